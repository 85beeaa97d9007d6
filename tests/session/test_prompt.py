"""The prompt fitting policy: any drawing is framed as the training camera frames a level."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from genie_studio.data.palette import PALETTE, mask
from genie_studio.data.render import make_episode
from genie_studio.session.prompt import PLAYER_SHARE, fit_prompt, player_box

HELDOUT = Path(__file__).resolve().parents[2] / "examples" / "heldout"


def _player_height(frame: np.ndarray) -> float:
    box = player_box(frame)
    assert box is not None, "no player in the frame"
    return box[2] - box[1]


def test_player_share_is_the_training_frames():
    heights = []
    for seed in range(4):
        frames, _, pos = make_episode(seed, "sketch", (256, 256), 16)
        heights += [_player_height(f) for f, p in zip(frames, pos) if not np.isnan(p[0])]
    assert abs(np.median(heights) / 256 - PLAYER_SHARE) <= 1 / 256


@pytest.mark.parametrize("entry", json.loads((HELDOUT / "drawings.json").read_text())["drawings"],
                         ids=lambda e: e["file"])
def test_any_scale_is_brought_to_the_training_scale(entry):
    framed = fit_prompt(HELDOUT / entry["file"], (64, 64))
    plain = fit_prompt(HELDOUT / entry["file"], (64, 64), frame_player=False)
    h = _player_height(framed)
    assert abs(h - PLAYER_SHARE * 64) <= 2.5, h
    cx = player_box(framed)[0]
    assert 8 <= cx <= 56  # in view, centred unless the drawing ends
    # the ground is drawn in the bottom rows, as in training frames: more ink there than in the sky
    ink = np.abs(framed.astype(int) - PALETTE["background"]).sum(-1) > 60
    assert ink[-6:].mean() > 0.1 and ink[-6:].mean() > 3 * ink[:6].mean()
    if abs(entry["player_share"] - PLAYER_SHARE) > 0.05:  # far from the training scale: plain fit is off
        plain_box = player_box(plain)
        assert plain_box is None or abs((plain_box[2] - plain_box[1]) - PLAYER_SHARE * 64) > 2.5


def test_hairlines_stay_legible():
    img = Image.new("RGB", (2048, 512), PALETTE["background"])
    d = ImageDraw.Draw(img)
    d.rectangle([1000, 400, 1030, 460], outline=PALETTE["player"], width=1)  # a pencil player: 7x reduction
    d.line([(0, 461), (2047, 461)], fill=PALETTE["ground"], width=1)  # a pencil ground line
    d.ellipse([1200, 300, 1240, 340], outline=PALETTE["collectible"], width=1)  # a pencil coin
    out = fit_prompt(img, (64, 64))
    assert mask(out, "ground", 60).any(axis=1).any()
    assert mask(out, "ground", 60).sum() >= 40  # a line across the view, not a faint tint
    assert mask(out, "collectible", 60).sum() >= 3


def test_training_style_sketches_keep_their_texture():
    """In-distribution drawings (bold strokes) are box-filtered as before: no ink pooling."""
    frames, _, _ = make_episode(3, "sketch", (256, 256), 1)
    big = frames[0]
    framed, plain = fit_prompt(big, (64, 64)), fit_prompt(big, (64, 64), frame_player=False)
    assert np.abs(framed.astype(int) - plain.astype(int)).mean() < 12


@pytest.mark.parametrize("size", [(20000, 1), (1, 20000), (30000, 3)])
def test_extreme_aspect_ratios_cost_nothing(size):
    img = Image.new("RGB", size, (10, 200, 30))
    tracemalloc.start()
    out = fit_prompt(img, (64, 64))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert out.shape == (64, 64, 3)
    assert peak < 20 * 2**20, peak
