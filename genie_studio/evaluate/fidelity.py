"""What a designer sees first: does the world keep the drawing, and do the actions do one clean thing?

Measured on held-out drawings (``examples/heldout/``: pencil, marker and filled strokes; square, 16:9
and strip canvases; the player 4-20% of the image height), each fitted by the shared prompt policy and
played with several sampling seeds. For every drawing and seed:

- **object persistence**: each palette class's mask (ground, platforms, hazards, coins, enemies) in
  frame 0 against a later frame, aligned by the level's scroll, as a Dice overlap with 1 pixel of
  slack. Idle: frame 16 of an idle run. Moving: frames 2 and 4 of a run holding "right". Enemies walk
  on their own, so they count by how much of them is left (the smaller pixel count over the larger).
  Classes are read from the colour by :func:`ink_classes`, which also finds faint, thin strokes.
- **sustained control**: hold an input 12 frames. Right/left succeed when the player moves at least 8%
  of the frame width that way relative to the level; jump when the player rises at least 6% of the
  frame height within 8 frames.
- **action distinctness**: idle keeps the player visible and within 2 px of where it stood (at 64 px);
  plain right/left keep the feet down (the player never rises more than ``HOP_SHARE`` of the frame).
- **the drawing holds the player**: from frame 4 to the end of the idle run, the player's feet stay
  within 3 px (at 64 px) above the ground or platform drawn under it in frame 0 (aligned by the scroll).
- **enemies still move**: where an enemy is in view at frame 0, the enemy ink at the end of the idle
  run is still there (at least 30%) and its centre has moved at least 1.5 px (at 64 px) relative to the
  level: a frozen world fails.
- **the player after mixed play**: visible after ``MIXED_FRAMES`` frames of ``MIXED`` play.

The inputs are sent as the default controls send them (``labels.control_action``: the label itself,
else the first combination containing it), so the figures are what a player gets.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from genie_studio.data.palette import PALETTE, mask
from genie_studio.data.probe import PLAYER_TOLERANCE, level_shift, player_position
from genie_studio.evaluate.labels import control_action, measure
from genie_studio.progress import progress_bar
from genie_studio.resources import heldout_dir
from genie_studio.session.prompt import fit_prompt
from genie_studio.session.world_session import WorldSession, step_many

CLASSES = ("ground", "platform", "hazard", "collectible", "enemy")
SEEDS = (1, 2, 3)
IDLE_FRAMES, MOVE_FRAMES, HOLD = 16, (2, 4), 12
HOP_SHARE = 4 / 64  # a rise above this share of the frame height while running is a hop
MIXED = ("right", "right", "jump", "right", "noop", "left", "left", "jump", "noop", "right")  # 8 frames each
MIXED_FRAMES = 128
_NAMES = tuple(n for n in PALETTE if n != "background")
_BG = np.array(PALETTE["background"], np.float32)
_DIRS = np.stack([np.array(PALETTE[n], np.float32) - _BG for n in _NAMES])  # [K, 3]


def heldout_drawings(folder=None) -> list[dict]:
    """The held-out drawing set: ``[{"path", "stroke", "canvas", "player_share"}, ...]``."""
    folder = Path(folder) if folder else heldout_dir()
    index = json.loads((folder / "drawings.json").read_text())
    return [dict(d, path=folder / d["file"]) for d in index["drawings"]]


def ink_classes(frame: np.ndarray, min_alpha: float = 0.3, tolerance: float = 40.0) -> np.ndarray:
    """Palette class index into ``PALETTE`` order without the background (-1: paper or no match).

    A pixel is read as paper blended with one ink (``bg + alpha * (ink - bg)``), the form that
    anti-aliased and box-reduced strokes take: the class whose blend line passes closest, if the pixel
    holds at least ``min_alpha`` of that ink and lies within ``tolerance`` of its line."""
    p = frame.astype(np.float32) - _BG
    alpha = np.clip(np.einsum("hwc,kc->hwk", p, _DIRS) / np.einsum("kc,kc->k", _DIRS, _DIRS), 0, 1)
    resid = np.linalg.norm(p[:, :, None, :] - alpha[..., None] * _DIRS, axis=-1)
    k = resid.argmin(-1)
    a = np.take_along_axis(alpha, k[..., None], -1)[..., 0]
    r = np.take_along_axis(resid, k[..., None], -1)[..., 0]
    return np.where((a >= min_alpha) & (r <= tolerance), k, -1)


def _dilate(m: np.ndarray) -> np.ndarray:
    out = m.copy()
    out[1:] |= m[:-1]
    out[:-1] |= m[1:]
    out2 = out.copy()
    out2[:, 1:] |= out[:, :-1]
    out2[:, :-1] |= out[:, 1:]
    return out2


def persistence(first: np.ndarray, later: np.ndarray, max_shift: int = 24) -> dict:
    """Per class: (overlap, size) pairs of ``first`` vs ``later`` after aligning by the scroll."""
    s = level_shift(first, later, max_shift)
    w = first.shape[1]
    a, b = ink_classes(first), ink_classes(later)
    # later[:, x] shows what first showed at x + s
    if s >= 0:
        a, b = a[:, s:], b[:, : w - s]
    else:
        a, b = a[:, : w + s], b[:, -s:]
    return class_overlaps(a, b)


def class_overlaps(a: np.ndarray, b: np.ndarray) -> dict:
    """Per class present in either of two aligned class maps: (overlap, size), a Dice pair with 1 px of
    slack; enemies walk on their own, so they count by how much of them is left."""
    out = {}
    for name in CLASSES:
        k = _NAMES.index(name)
        ma, mb = a == k, b == k
        na, nb = int(ma.sum()), int(mb.sum())
        if na + nb == 0:
            continue
        if name == "enemy":
            out[name] = (2 * min(na, nb), na + nb)
        else:
            out[name] = (int((ma & _dilate(mb)).sum() + (mb & _dilate(ma)).sum()), na + nb)
    return out


def _pool(items: list[dict]) -> dict:
    """Sum (overlap, size) per class over trials -> per-class Dice, and "overall": their mean, each class
    weighing the same (pooling pixels would let the ground, most of every frame, hide lost objects)."""
    tot: dict[str, list[int]] = {}
    for it in items:
        for k, (o, n) in it.items():
            t = tot.setdefault(k, [0, 0])
            t[0] += o
            t[1] += n
    per = {k: round(o / n, 3) for k, (o, n) in tot.items() if n}
    return {"overall": round(float(np.mean(list(per.values()))), 3) if per else None, "per_class": per}


def _rollouts(wm, prompts, action, frames: int, seeds, bar=None, **kw) -> list[np.ndarray]:
    """Each prompt x seed played for ``frames`` frames of ``action`` (an index, or one per frame)."""
    sessions, firsts = [], []
    for p in prompts:
        for sd in seeds:
            s = WorldSession(wm, seed=sd, **kw)
            firsts.append(s.reset(p))
            sessions.append(s)
    out = [[f] for f in firsts]
    for i in range(frames):
        a = action[i] if isinstance(action, (list, tuple)) else action
        for lst, f in zip(out, step_many(sessions, [a] * len(sessions))):
            lst.append(f)
        if bar is not None:
            bar.update(1)
    return [np.stack(f) for f in out]


def _feet(frame: np.ndarray) -> tuple[float, float] | None:
    """(x centre, y of the lowest pixel) of the player-coloured blob."""
    pos = player_position(frame)
    if pos is None:
        return None
    ys, xs = np.nonzero(mask(frame, "player", PLAYER_TOLERANCE))
    near = (np.abs(xs - pos[0]) <= frame.shape[0] / 8) & (np.abs(ys - pos[1]) <= frame.shape[0] / 8)
    return pos[0], float(ys[near].max() + 1)


def stands(frames: np.ndarray, start: int = 4) -> bool:
    """The player's feet rest on what frame 0 shows as ground or platform under it (module docstring)."""
    H, W = frames.shape[1:3]
    cls = ink_classes(frames[0])
    solid = (cls == _NAMES.index("ground")) | (cls == _NAMES.index("platform"))
    tol = 3.0 * H / 64
    for f in frames[start:]:
        feet = _feet(f)
        if feet is None:
            return False
        x = int(round(feet[0])) + level_shift(frames[0], f)
        cols = solid[:, max(0, x - 2):min(W, x + 3)]
        rows = np.nonzero(cols.any(1) & (np.arange(H) >= feet[1] - tol))[0]
        if not len(rows) or rows[0] - feet[1] > tol:
            return False
    return True


def enemies_move(frames: np.ndarray) -> bool | None:
    """None when no enemy is in view at frame 0, else whether one still walks (module docstring)."""
    k = _NAMES.index("enemy")
    first, last = ink_classes(frames[0]) == k, ink_classes(frames[-1]) == k
    n0, n1 = int(first.sum()), int(last.sum())
    if n0 < 3:
        return None
    if n1 < 0.3 * n0:
        return False
    s = level_shift(frames[0], frames[-1])
    x0 = float(np.nonzero(first)[1].mean())
    x1 = float(np.nonzero(last)[1].mean()) + s
    return abs(x1 - x0) >= 1.5 * frames.shape[1] / 64


def _idle_still(frames: np.ndarray, px: float) -> tuple[bool, bool]:
    """(visible throughout, within ``px`` of its first position throughout)"""
    pos = [player_position(f) for f in frames]
    if any(p is None for p in pos):
        return False, False
    d = max(float(np.hypot(p[0] - pos[0][0], p[1] - pos[0][1])) for p in pos)
    return True, d <= px


def evaluate_fidelity(wm, drawings=None, seeds=SEEDS, frame_player: bool = True, progress: bool = False,
                      mixed_frames: int = MIXED_FRAMES, **session_kw) -> dict:
    """Run the suite on ``drawings`` (default: the held-out set) and return the figures, overall and
    by stroke, canvas and scale."""
    drawings = drawings if drawings is not None else heldout_drawings()
    H, W = wm.tokenizer.cfg.image_size
    labels = wm.action_labels
    # framed: each session fits the drawing itself (the "copy" decoder keeps all of it as the level)
    prompts = [d["path"] if frame_player else fit_prompt(d["path"], (H, W), frame_player=False) for d in drawings]
    idx = {name: control_action(labels, name) for name in ("noop", "right", "left", "jump")}
    trials: list[dict] = [{"drawing": d, "seed": s} for d in drawings for s in seeds]
    bar = progress_bar(IDLE_FRAMES + 3 * HOLD + mixed_frames, "fidelity", unit="step", enabled=progress)
    session_kw["bar"] = bar
    if idx["noop"] is not None:
        for t, r in zip(trials, _rollouts(wm, prompts, idx["noop"], IDLE_FRAMES, seeds, **session_kw)):
            t["idle_persist"] = persistence(r[0], r[IDLE_FRAMES])
            t["idle_visible"], t["idle_still"] = _idle_still(r[:HOLD + 1], 2.0 * H / 64)
            t["stands"] = stands(r)
            moving = enemies_move(r)
            if moving is not None:
                t["enemies_move"] = moving
    mixed = [control_action(labels, n) for n in MIXED]
    if mixed_frames and None not in mixed:
        acts = [mixed[(i // 8) % len(mixed)] for i in range(mixed_frames)]
        for t, r in zip(trials, _rollouts(wm, prompts, acts, mixed_frames, seeds, **session_kw)):
            t["mixed_visible"] = player_position(r[-1]) is not None
    for name in ("right", "left", "jump"):
        if idx[name] is None:
            continue
        rolls = _rollouts(wm, prompts, idx[name], HOLD, seeds, **session_kw)
        for t, r in zip(trials, rolls):
            dx, rise, _ = measure(r)
            if name == "jump":
                t["jump_ok"] = measure(r[:9])[1] >= 0.06 * H
                continue
            sign = 1 if name == "right" else -1
            t[f"{name}_ok"] = sign * dx >= 0.08 * W
            t[f"{name}_no_hop"] = rise <= HOP_SHARE * H
            if name == "right":
                t["move_persist"] = [persistence(r[0], r[k]) for k in MOVE_FRAMES]

    bar.close()

    def summary(ts: list[dict]) -> dict:
        def rate(key):
            v = [t[key] for t in ts if key in t]
            return round(float(np.mean(v)), 3) if v else None

        return {
            "persistence_idle": _pool([t["idle_persist"] for t in ts if "idle_persist" in t]),
            "persistence_moving": _pool([p for t in ts for p in t.get("move_persist", [])]),
            "control": {n: rate(f"{n}_ok") for n in ("right", "left", "jump")},
            "idle_still_2px": rate("idle_still"), "idle_visible": rate("idle_visible"),
            "stands": rate("stands"), "enemies_move": rate("enemies_move"),
            "visible_after_mixed": rate("mixed_visible"),
            "no_hop": {n: rate(f"{n}_no_hop") for n in ("right", "left")},
            "trials": len(ts),
        }

    out = summary(trials)
    out.update({"drawings": len(drawings), "seeds": list(seeds), "framing": frame_player,
                "actions": {k: (labels[v] if v is not None else None) for k, v in idx.items()}})
    by: dict = {}
    for axis in ("stroke", "canvas", "player_at"):
        for val in sorted({d.get(axis, "mid-level") for d in drawings}):
            s = summary([t for t in trials if t["drawing"].get(axis, "mid-level") == val])
            by.setdefault(axis, {})[val] = _brief(s)
    for lo, hi in ((0.0, 0.08), (0.08, 0.15), (0.15, 1.0)):
        s = summary([t for t in trials if lo <= t["drawing"]["player_share"] < hi])
        if s["trials"]:
            by.setdefault("scale", {})[f"player {lo:.0%}-{hi:.0%}"] = _brief(s)
    out["by"] = by
    return out


def _brief(s: dict) -> dict:
    ctl = [v for v in s["control"].values() if v is not None]
    return {"persistence_moving": s["persistence_moving"]["overall"],
            "persistence_idle": s["persistence_idle"]["overall"],
            "control_mean": round(float(np.mean(ctl)), 3) if ctl else None, "control": s["control"],
            "trials": s["trials"]}
