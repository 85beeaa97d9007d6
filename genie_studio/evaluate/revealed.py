"""Revealed level: does holding right show the level the designer drew, screen after screen?

On the held-out drawings that are levels at least ``MIN_SCREENS`` views long with the player at the left
end (``examples/heldout/drawings.json``), each drawing is fitted at its full width (``fit_strip``: the
drawing at the model's scale, the player at its training height) and played holding "right" for
``FRAMES`` frames, with several sampling seeds. For every frame:

- **alignment**: the strip position the frame shows, the one whose pixels differ least from the frame
  (player-coloured pixels ignored), searched within ``SEARCH`` pixels of the previous frame's;
- **revealed objects**: in the frame's columns that show strip columns beyond the first view (what was
  not in view at frame 0), each palette class of the drawing (ground, platforms, hazards, coins,
  enemies; the player excluded) against the frame, as a Dice overlap with 1 px of slack, pooled over
  frames and trials, each class weighing the same (as ``fidelity.persistence``);
- **camera advance**: the alignment's advance over the run against the game's: the game's camera
  follows the player's centre at 4 px a frame from where it was drawn, clamped to the level (walls and
  gaps on the way ignored).

An ideal world scores 1.0 and an advance ratio of 1.0; a world that invents its own level scores what
its invention happens to share with the drawing (ground and paper alone: about 0.2).
"""

from __future__ import annotations

import numpy as np

from genie_studio.data.palette import mask
from genie_studio.data.probe import PLAYER_TOLERANCE
from genie_studio.evaluate.fidelity import SEEDS, _pool, _rollouts, class_overlaps, heldout_drawings, ink_classes
from genie_studio.evaluate.labels import control_action
from genie_studio.progress import progress_bar
from genie_studio.session.prompt import fit_strip, player_box

FRAMES = 32
MIN_SCREENS = 4.0
SEARCH = 12  # pixels either side of the previous frame's alignment
SPEED = 4  # the game's player speed, pixels a frame at 64 px (data/platformer.SPEED)


def level_drawings(drawings=None) -> list[dict]:
    """The held-out drawings this measure runs on: levels >= MIN_SCREENS long, the player at the left end."""
    drawings = drawings if drawings is not None else heldout_drawings()
    return [d for d in drawings if d.get("screens", 0) >= MIN_SCREENS and d.get("player_at") == "left end"]


def _gray(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def align(frame: np.ndarray, strip: np.ndarray, around: int, search: int = SEARCH) -> int:
    """The strip x (pixels) that ``frame`` shows, within ``search`` of ``around``; ties to ``around``."""
    W = frame.shape[1]
    g, s = _gray(frame), _gray(strip)
    ok = ~mask(frame, "player", PLAYER_TOLERANCE)
    best, best_x = np.inf, around
    for x in sorted(range(max(0, around - search), min(strip.shape[1] - W, around + search) + 1),
                    key=lambda x: abs(x - around)):
        err = float(np.abs(g - s[:, x:x + W])[ok].mean())
        if err < best - 1e-6:
            best, best_x = err, x
    return best_x


def revealed(frames: np.ndarray, strip: np.ndarray, view_x: int) -> tuple[dict, int]:
    """Per class (overlap, size) over the revealed columns of every frame, and the camera's advance."""
    W = frames.shape[2]
    ref = ink_classes(strip)
    xs = [view_x]
    tot: dict[str, list[int]] = {}
    for f in frames[1:]:
        x = align(f, strip, xs[-1])
        xs.append(x)
        j0 = max(0, view_x + W - x)  # first screen column showing a strip column beyond the first view
        if j0 >= W:
            continue
        for name, (o, n) in class_overlaps(ref[:, x + j0:x + W], ink_classes(f)[:, j0:]).items():
            t = tot.setdefault(name, [0, 0])
            t[0] += o
            t[1] += n
    return {k: tuple(v) for k, v in tot.items()}, xs[-1] - xs[0]


def game_advance(strip: np.ndarray, view_x: int, W: int, frames: int = FRAMES) -> int:
    """How far the game's camera moves in ``frames`` frames of "right" from the drawn start."""
    box = player_box(strip)
    cx = box[0] if box is not None else view_x + W / 2

    def cam(x: float) -> int:
        c = int(np.clip(x - W / 2, 0, strip.shape[1] - W))
        return c - c % SPEED

    return cam(cx + SPEED * frames) - cam(cx)


def evaluate_revealed(wm, drawings=None, seeds=SEEDS, frames: int = FRAMES, progress: bool = False,
                      **session_kw) -> dict:
    """Run the measure (module docstring) and return the pooled figures and each drawing's."""
    drawings = level_drawings(drawings)
    H, W = wm.tokenizer.cfg.image_size
    right = control_action(wm.action_labels, "right")
    if not drawings or right is None:
        return {"drawings": 0, "overall": None}
    fitted = [fit_strip(d["path"], (H, W), patch=int(wm.tokenizer.cfg.patch)) for d in drawings]
    bar = progress_bar(frames, "revealed level", unit="step", enabled=progress)
    rolls = _rollouts(wm, [d["path"] for d in drawings], right, frames, seeds, bar=bar, **session_kw)
    bar.close()
    trials, per = [], []
    for i, (d, (strip, vx)) in enumerate(zip(drawings, fitted)):
        game = game_advance(strip, vx, W, frames)
        ts = []
        for k in range(len(seeds)):
            score, adv = revealed(rolls[i * len(seeds) + k], strip, vx)
            ts.append({"score": score, "advance": adv / game if game else None})
        trials += ts
        ratios = [t["advance"] for t in ts if t["advance"] is not None]
        per.append({"file": d["file"], "revealed": _pool([t["score"] for t in ts])["overall"],
                    "advance_ratio": round(float(np.mean(ratios)), 2) if ratios else None,
                    "game_advance_px": game})
    pooled = _pool([t["score"] for t in trials])
    ratios = [t["advance"] for t in trials if t["advance"] is not None]
    return {"overall": pooled["overall"], "per_class": pooled["per_class"],
            "advance_ratio": round(float(np.mean(ratios)), 2) if ratios else None,
            "advance_in_range": round(float(np.mean([0.9 <= r <= 1.1 for r in ratios])), 3) if ratios else None,
            "drawings": len(drawings), "trials": len(trials), "frames": frames, "per_drawing": per}
