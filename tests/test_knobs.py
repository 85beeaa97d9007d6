"""Knobs (#28): one frozen home for what shapes a world, its checks, and its dict/JSON form (the settings
file and the wire use the same one)."""

import dataclasses
import json
import logging
import re

import pytest

from genie_studio import config
from genie_studio.knobs import LIVE, KnobError, Knobs


def test_knobs_are_frozen():
    k = Knobs()
    with pytest.raises(dataclasses.FrozenInstanceError):
        k.temperature = 2.0
    assert k.replace(temperature=2.0).temperature == 2.0 and k.temperature == Knobs().temperature


@pytest.mark.parametrize("name,value,says", [
    ("temperature", -0.5, "knob temperature must be a number in [0, 100], not -0.5"),
    ("temperature", float("nan"), "knob temperature must be a number"),
    ("temperature", "hot", "knob temperature must be a number"),
    ("maskgit_steps", 0, "knob maskgit_steps must be a whole number in 1..64, not 0"),
    ("maskgit_steps", 2.5, "knob maskgit_steps must be a whole number"),
    ("maskgit_steps", True, "knob maskgit_steps must be a whole number"),
    ("seed", -1, "knob seed must be a whole number in 0.."),
    ("fps", 0, "knob fps must be a number in (0, 1000], not 0"),
    ("context", 1, "knob context must be a whole number from 2, not 1"),
    ("device", "tpu", "knob device must be one of auto, cpu, cuda, not 'tpu'"),
    ("precision", "fp8", "knob precision must be one of auto, bf16, fp32"),
    ("decoder", "magic", "knob decoder must be one of copy, free, not 'magic'"),
    ("endless", 1, "knob endless must be true or false, not 1"),
    ("compile", "yes", "knob compile must be true or false"),
    ("model", "", "knob model must be a model name or folder"),
])
def test_a_bad_value_is_refused_with_a_sentence_that_names_the_knob(name, value, says):
    with pytest.raises(KnobError, match="^" + re.escape(says)) as e:
        Knobs(**{name: value})
    assert e.value.name == name and isinstance(e.value, ValueError)
    with pytest.raises(KnobError):
        Knobs().replace(**{name: value})  # a copy is checked like a new one


def test_numbers_take_their_kind():
    k = Knobs(temperature=1, fps=12.5, context=None)
    assert isinstance(k.temperature, float) and k.fps == 12.5 and k.context is None


def test_dict_and_json_round_trip():
    k = Knobs(model="tiny", device="cpu", precision="fp32", maskgit_steps=5, temperature=0.3, seed=9, fps=24,
              context=3, compile=False, decoder="copy", endless=True)
    assert Knobs.from_dict(k.to_dict()) == k
    assert Knobs.from_json(k.to_json()) == k
    assert json.loads(k.to_json()) == k.to_dict()
    assert set(k.live()) == set(LIVE) and k.live()["temperature"] == 0.3


def test_from_dict_reads_a_settings_dict_and_refuses_strangers_on_the_wire():
    base = Knobs(seed=4)
    settings = {"temperature": 0.5, "recent_files": [], "seed": None}  # None: the base's
    assert Knobs.from_dict(settings, base) == base.replace(temperature=0.5)
    with pytest.raises(KnobError, match="unknown knob 'steps'"):
        Knobs.from_dict({"steps": 3}, strict=True)
    with pytest.raises(KnobError, match="knobs must be an object"):
        Knobs.from_dict([1, 2])
    with pytest.raises(KnobError, match="not JSON"):
        Knobs.from_json("{temperature")
    with pytest.raises(KnobError, match="knobs must be an object"):
        Knobs.from_json("[]")


def test_the_settings_hold_every_knob_at_its_default_and_round_trip():
    assert {k: config.default_settings()[k] for k in Knobs().to_dict()} == Knobs().to_dict()
    k = Knobs(maskgit_steps=6, temperature=0.4, fps=24, decoder="copy", endless=True)
    config.save_settings({**config.load_settings(), **k.to_dict()})
    assert Knobs.from_dict(config.load_settings()) == k


def test_a_settings_file_with_a_bad_knob_keeps_the_others(caplog):
    p = config.paths()
    p.config.mkdir(parents=True)
    p.settings_file.write_text(json.dumps({"version": 1, "temperature": -3.0, "maskgit_steps": 5, "decoder": "x"}))
    with caplog.at_level(logging.WARNING):
        s = config.load_settings()
    assert s["temperature"] == Knobs().temperature and s["decoder"] == Knobs().decoder and s["maskgit_steps"] == 5
    assert "knob temperature must be" in caplog.text and "knob decoder must be" in caplog.text
