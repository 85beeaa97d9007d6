"""The world-fidelity suite: palette classes from frames, persistence after a scroll, the full run."""

import numpy as np
import pytest

from genie_studio.data.palette import PALETTE
from genie_studio.data.render import make_episode
from genie_studio.evaluate.card import _fidelity_lines
from genie_studio.evaluate.fidelity import (
    _NAMES,
    CLASSES,
    evaluate_fidelity,
    heldout_drawings,
    ink_classes,
    persistence,
)
from genie_studio.world.tiny import tiny_world


def _scene(w=96, h=64, shift=0, erase=()):
    f = np.zeros((h, w, 3), np.uint8) + np.array(PALETTE["background"], np.uint8)
    f[52:, :] = PALETTE["ground"]
    for name, (x, y) in {"collectible": (40, 20), "hazard": (60, 46), "enemy": (20, 44), "platform": (70, 30)}.items():
        if name not in erase:
            f[y:y + 6, x - shift:x - shift + 6] = PALETTE[name]
    return f


def test_ink_classes_read_faint_strokes_and_paper():
    f = _scene()
    c = ink_classes(f)
    assert (c[0] == -1).all()  # paper
    assert (c[60] == _NAMES.index("ground")).all()
    faint = (np.array(PALETTE["background"]) * 0.5 + np.array(PALETTE["enemy"]) * 0.5).astype(np.uint8)
    assert ink_classes(faint[None, None])[0, 0] == _NAMES.index("enemy")  # a stroke blended 50% with paper


def test_persistence_follows_the_scroll_and_sees_erasure():
    first = _scene()
    scrolled = persistence(first, _scene(shift=8))
    assert {k for k in scrolled} == set(CLASSES) - set()  # every class present
    assert all(o == n for o, n in scrolled.values())  # a scroll keeps everything
    erased = persistence(first, _scene(erase=("collectible", "hazard")))
    assert erased["collectible"][0] == 0 and erased["hazard"][0] == 0
    assert erased["ground"][0] == erased["ground"][1]


def test_training_frames_persist_when_the_game_scrolls():
    frames, actions, _ = make_episode(11, "sketch", (64, 64), 6)
    p = persistence(frames[0], frames[4])
    dice = {k: o / n for k, (o, n) in p.items()}
    assert dice["ground"] > 0.9


@pytest.fixture(scope="module")
def tiny():
    return tiny_world(size=(32, 32))


def test_suite_runs_on_a_tiny_model_and_reports_every_axis(tiny):
    drawings = heldout_drawings()
    assert len(drawings) >= 12
    assert {d["stroke"] for d in drawings} == {"pencil", "marker", "filled"}
    assert {d["canvas"] for d in drawings} == {"square", "16:9", "strip"}
    shares = [d["player_share"] for d in drawings]
    assert min(shares) <= 0.04 and max(shares) >= 0.2
    pick = [d for d in drawings if d["file"].startswith(("pencil-strip", "filled-square"))][:2]
    out = evaluate_fidelity(tiny, pick, seeds=(1, 2), precision="fp32")
    assert out["trials"] == 4 and out["drawings"] == 2
    assert out["actions"]["right"] == "right" and out["actions"]["noop"] == "noop"
    for key in ("persistence_idle", "persistence_moving"):
        assert 0.0 <= out[key]["overall"] <= 1.0
        assert set(out[key]["per_class"]) <= set(CLASSES)
    assert all(0.0 <= out["control"][k] <= 1.0 for k in ("right", "left", "jump"))
    assert 0.0 <= out["idle_still_2px"] <= 1.0 and 0.0 <= out["no_hop"]["right"] <= 1.0
    assert set(out["by"]["stroke"]) == {"pencil", "filled"}
    lines = _fidelity_lines({"fidelity": out, "fidelity_plain": None})
    table = [ln for ln in lines if ln.startswith("| object persistence while moving")]
    assert len(table) == 1 and table[0].split("|")[3].strip() == "n/a"  # no plain run given
    assert any(ln.startswith("| stroke: pencil") for ln in lines)
