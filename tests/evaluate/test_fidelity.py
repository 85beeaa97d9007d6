"""The world-fidelity suite: palette classes from frames, persistence after a scroll, the full run."""

import numpy as np
import pytest

from genie_studio.data.palette import PALETTE
from genie_studio.data.render import make_episode
from genie_studio.evaluate.card import _fidelity_lines
from genie_studio.evaluate.fidelity import (
    _NAMES,
    CLASSES,
    enemies_move,
    evaluate_fidelity,
    heldout_drawings,
    ink_classes,
    persistence,
    stands,
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
    out = evaluate_fidelity(tiny, pick, seeds=(1, 2), precision="fp32", mixed_frames=8)
    assert out["trials"] == 4 and out["drawings"] == 2
    assert out["actions"]["right"] == "right" and out["actions"]["noop"] == "noop"
    for key in ("persistence_idle", "persistence_moving"):
        assert 0.0 <= out[key]["overall"] <= 1.0
        assert set(out[key]["per_class"]) <= set(CLASSES)
    assert all(0.0 <= out["control"][k] <= 1.0 for k in ("right", "left", "jump"))
    assert 0.0 <= out["idle_still_2px"] <= 1.0 and 0.0 <= out["no_hop"]["right"] <= 1.0
    assert set(out["by"]["stroke"]) == {"pencil", "filled"}
    lines = _fidelity_lines({"decoders": {"copy": {"fidelity": out, "revealed": None}, "free": {"fidelity": out}},
                             "fidelity_plain": None})
    assert lines[5].split("|")[2:4] == [" keep drawing ", " generate all "]  # the decoders side by side
    table = [ln for ln in lines if ln.startswith("| object persistence while moving")]
    assert len(table) == 1 and table[0].split("|")[2].strip() == f"{out['persistence_moving']['overall']:.2f}"
    revealed = [ln for ln in lines if ln.startswith("| revealed level")]
    assert revealed[0].split("|")[2].strip() == "n/a"  # no revealed-level run given
    assert any(ln.startswith("| stroke: pencil") for ln in lines)


def _with_player(f, x, feet):
    f = f.copy()
    f[feet - 9:feet, x - 2:x + 2] = PALETTE["player"]
    return f


def test_the_drawing_holds_a_standing_player_not_a_floating_one():
    ground = [_with_player(_scene(), 30, 52) for _ in range(8)]
    assert stands(np.stack(ground))
    floating = [_with_player(_scene(), 30, 52 - (6 if i >= 4 else 0)) for i in range(8)]
    assert not stands(np.stack(floating))
    gone = ground[:5] + [_scene()] * 3  # the player vanishes
    assert not stands(np.stack(gone))


def test_enemies_must_still_walk():
    def enemy_at(x):
        f = _scene(erase=("enemy",))
        f[44:50, x:x + 6] = PALETTE["enemy"]
        return f

    assert enemies_move(np.stack([enemy_at(20), enemy_at(22), enemy_at(24)]))
    assert not enemies_move(np.stack([enemy_at(20)] * 3))  # frozen
    assert not enemies_move(np.stack([enemy_at(20), _scene(erase=("enemy",))]))  # melted away
    assert enemies_move(np.stack([_scene(erase=("enemy",))] * 2)) is None  # none in view


def test_the_suite_reports_the_new_measures_and_the_left_end_drawings(tiny):
    drawings = heldout_drawings()
    pick = [d for d in drawings if d["file"].startswith(("marker-level", "filled-square"))][:2]
    assert {d["player_at"] for d in pick} == {"left end", "mid-level"}
    out = evaluate_fidelity(tiny, pick, seeds=(1,), precision="fp32", mixed_frames=4, decoder="copy")
    for key in ("stands", "visible_after_mixed"):
        assert 0.0 <= out[key] <= 1.0
    assert set(out["by"]["player_at"]) == {"left end", "mid-level"}
    assert set(out["by"]["player_at"]["left end"]["control"]) == {"right", "left", "jump"}
