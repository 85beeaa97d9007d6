"""Revealed level: an ideal world that shows the drawing scores 1, a world that invents its own does not."""

import numpy as np
import pytest

from genie_studio.evaluate.fidelity import _pool, heldout_drawings
from genie_studio.evaluate.revealed import evaluate_revealed, game_advance, level_drawings, revealed
from genie_studio.session.level import erase
from genie_studio.session.prompt import fit_strip, player_box
from genie_studio.world.tiny import tiny_world


@pytest.fixture(scope="module")
def level():
    d = [d for d in level_drawings() if d["file"].startswith("marker-level")][0]
    return fit_strip(d["path"], (64, 64))


def _game(strip, x0, frames=32):
    """Frames of the ideal world: the drawing, the camera following a player who runs right."""
    W = 64
    still = erase(strip, ("player",))
    cx = player_box(strip)[0]
    out = [strip[:, x0:x0 + W]]
    for t in range(1, frames + 1):
        c = int(np.clip(cx + 4 * t - W / 2, 0, strip.shape[1] - W))
        out.append(still[:, c - c % 4:c - c % 4 + W])
    return np.stack(out)


def test_the_held_out_set_has_six_levels_four_screens_long_with_the_player_at_the_left_end():
    levels = level_drawings(heldout_drawings())
    assert len([d for d in levels if "-level-" in d["file"]]) >= 6
    assert {d["stroke"] for d in levels} == {"pencil", "marker", "filled"}
    assert all(d["screens"] >= 4 for d in levels)


def test_an_ideal_world_scores_one_and_a_frozen_one_does_not(level):
    strip, x0 = level
    frames = _game(strip, x0)
    score, adv = revealed(frames, strip, x0)
    game = game_advance(strip, x0, 64)
    assert game > 64  # the camera passes a whole screen in 32 frames
    assert adv == game
    assert all(o == n for o, n in score.values())
    frozen, adv0 = revealed(np.stack([frames[0]] * 33), strip, x0)
    assert adv0 == 0 and not frozen  # nothing was revealed
    # a world that scrolls but invents its own level: paper and a flat ground only
    invented = frames.copy()
    invented[:, :-8] = frames[0, 0, 0]
    score, _ = revealed(invented, strip, x0)
    assert _pool([score])["overall"] < 0.5  # each class weighs the same: the ground alone cannot pass


def test_the_measure_runs_on_a_model(level):
    wm = tiny_world(size=(32, 32))
    d = [d for d in level_drawings() if d["file"].startswith("marker-level")][:1]
    out = evaluate_revealed(wm, d, seeds=(1,), frames=4, precision="fp32", decoder="copy")
    assert out["drawings"] == 1 and out["trials"] == 1
    assert out["overall"] is None or 0.0 <= out["overall"] <= 1.0
    assert out["per_drawing"][0]["game_advance_px"] >= 0
