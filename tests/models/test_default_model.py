"""Regression test on the shipped model: it loads offline, and holding the Right (Left) key, that is the
action the default controls send for it, from an example sketch moves the player right (left) relative
to the level."""

from pathlib import Path

import numpy as np
import pytest

from genie_studio.controls.defaults import default_profile
from genie_studio.controls.profile import resolve
from genie_studio.data.probe import player_motion
from genie_studio.model_catalog import DEFAULT_MODEL, bundled_dir, resolve_model
from genie_studio.session.open import load_world
from genie_studio.session.world_session import WorldSession, step_many

ROOT = Path(__file__).resolve().parents[2]
SKETCHES = sorted((ROOT / "examples" / "sketches").glob("*.png"))


@pytest.fixture(scope="module")
def session():
    # one thread, like every test (tests/conftest.py): two took 2-3x longer here whenever another process held a core
    folder = bundled_dir() / DEFAULT_MODEL
    assert folder.is_dir(), "the default model must ship in models/"
    assert resolve_model(DEFAULT_MODEL).resolve() == folder.resolve()
    total = sum(f.stat().st_size for f in folder.iterdir())
    assert total <= 50 * 2**20
    return WorldSession(load_world(folder), seed=0)


KEYS = [("key:Right", 1), ("key:Left", -1)]
HOLD = 12


@pytest.fixture(scope="module")
def held(session):
    """(sketch, key) -> the frames of holding that key for HOLD frames from that sketch: every case played at
    once, one batched step per frame (a session per case, seed 0 each, on the one loaded model)."""
    cases = [(sketch, key) for sketch in SKETCHES[:2] for key, _ in KEYS]
    worlds = [WorldSession(session.model, seed=0) for _ in cases]
    actions = [key_action(session.labels, key) for _, key in cases]
    frames = [[w.reset(sketch)] for w, (sketch, _) in zip(worlds, cases)]
    for _ in range(HOLD):
        for out, f in zip(frames, step_many(worlds, actions)):
            out.append(f)
    return {case: np.stack(f) for case, f in zip(cases, frames)}


def key_action(labels, key: str) -> int:
    return resolve(default_profile(labels), {key: 1})


def test_labels_give_the_arrow_keys_actions(session):
    assert len(session.labels) == 8 and len(set(session.labels)) == 8
    assert "noop" in session.labels
    idle = session.labels.index("noop")
    for key in ("key:Left", "key:Right"):
        assert key_action(session.labels, key) != idle, f"{key} sends the idle action"


@pytest.mark.parametrize("sketch", SKETCHES[:2], ids=lambda p: p.stem)
@pytest.mark.parametrize("key,sign", KEYS, ids=["right", "left"])
def test_holding_an_arrow_moves_the_player_that_way(session, held, sketch, key, sign):
    action = key_action(session.labels, key)
    motion = np.nan_to_num(player_motion(held[sketch, key]))
    dx = float(motion[:, 0].sum())
    assert sign * dx > 4, f"player moved {dx:+.1f}px relative to the level in {HOLD} frames of {key} " \
                          f"({session.labels[action]})"


def test_shipped_model_files_name_no_machine_paths():
    """config.json, eval.json and the card give dataset paths as typed (relative), never this machine's."""
    folder = bundled_dir() / DEFAULT_MODEL
    for name in ("config.json", "eval.json", "README.md"):
        text = (folder / name).read_text()
        for bad in ("/work/", "/home/", "/tmp/", "/root/"):
            assert bad not in text, f"{name} names a machine path ({bad})"
