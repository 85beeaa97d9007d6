"""The session builder's local half: settings -> a WorldSession, with errors that say what to fix."""

import pytest

from genie_studio.knobs import KnobError, Knobs
from genie_studio.session.devices import resolve_precision
from genie_studio.session.open import SessionError, SessionSettings, open_local
from genie_studio.session.world_session import WorldSession
from genie_studio.world.tiny import tiny_world


def test_a_folder_becomes_a_local_session_with_the_knobs(model_dir):
    s = open_local(SessionSettings(Knobs(model=str(model_dir), device="cpu", maskgit_steps=3, temperature=0.5, seed=7)))
    assert isinstance(s, WorldSession) and (s.steps, s.temperature, s.seed) == (3, 0.5, 7)
    assert s.precision == resolve_precision("auto", "cpu") and s.model.path == model_dir


def test_a_loaded_model_is_used_as_is():
    wm = tiny_world()
    s = open_local(SessionSettings(Knobs(device="cpu", precision="fp32", context=3), loaded=wm))
    assert s.model is wm and s.context == 3 and s.precision == "fp32"


def test_editor_settings_map_onto_the_builder(model_dir):
    settings = {"model": str(model_dir), "device": "cpu", "maskgit_steps": 4, "temperature": 0.8, "seed": 2}
    s = open_local(SessionSettings.from_settings(settings))
    assert (s.steps, s.temperature, s.seed) == (4, 0.8, 2) and s.model.lam is None  # the editor skips the LAM


@pytest.mark.parametrize("settings,part,match", [
    (SessionSettings(Knobs(model="no-such-model", device="cpu")), "model", "not found"),
    (SessionSettings(token_file="t"), "device", "needs a server"),
])
def test_failures_name_the_part_to_fix(settings, part, match):
    with pytest.raises(SessionError, match=match) as e:
        open_local(settings)
    assert e.value.part == part


def test_a_knob_the_device_cannot_take_is_refused_before_anything_opens():
    with pytest.raises(KnobError, match="device must be one of auto, cpu, cuda, not 'tpu'"):
        Knobs(device="tpu")
    with pytest.raises(KnobError, match="precision must be one of auto, bf16, fp32"):
        Knobs(precision="fp8")
    with pytest.raises(SessionError, match="knob temperature") as e:
        SessionSettings.from_settings({"temperature": -1.0})
    assert e.value.part == "knobs"


def test_an_unknown_backend_is_refused():
    with pytest.raises(SessionError, match="unknown backend"):
        SessionSettings.from_settings({"backend": "cloud"})
