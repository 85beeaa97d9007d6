"""Regression test on the shipped model: it loads offline, and holding "right" from an example sketch
moves the player right relative to the level."""

from pathlib import Path

import numpy as np
import pytest
import torch

from genie_studio.data.probe import player_motion
from genie_studio.registry import DEFAULT_MODEL, bundled_dir, resolve_model
from genie_studio.session.world_session import WorldSession

ROOT = Path(__file__).resolve().parents[2]
SKETCHES = sorted((ROOT / "examples" / "sketches").glob("*.png"))


@pytest.fixture(scope="module")
def session():
    torch.set_num_threads(2)
    folder = bundled_dir() / DEFAULT_MODEL
    assert folder.is_dir(), "the default model must ship in models/"
    assert resolve_model(DEFAULT_MODEL).resolve() == folder.resolve()
    total = sum(f.stat().st_size for f in folder.iterdir())
    assert total <= 50 * 2**20
    return WorldSession(folder, seed=0)


def test_labels_name_a_right_action(session):
    assert "right" in session.labels
    assert len(session.labels) == 8 and len(set(session.labels)) == 8


@pytest.mark.parametrize("sketch", SKETCHES[:2], ids=lambda p: p.stem)
def test_holding_right_moves_the_player_right(session, sketch):
    frames = [session.reset(sketch)]
    for _ in range(12):
        frames.append(session.step("right"))
    motion = np.nan_to_num(player_motion(np.stack(frames)))
    dx = float(motion[:, 0].sum())
    assert dx > 4, f"player moved {dx:.1f}px relative to the level in 12 frames of 'right'"
