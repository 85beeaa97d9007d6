"""Frame analysis in numpy: where is the player, how far did the level scroll, how did the player move.

Used to label a model's latent actions and to test controllability, on generated or generated-by-model
frames alike; only the palette's player colour is assumed.
"""

from __future__ import annotations

import numpy as np

from genie_studio.data.palette import mask

PLAYER_TOLERANCE = 60.0


def player_position(frame: np.ndarray, tolerance: float = PLAYER_TOLERANCE,
                    min_pixels: int | None = None) -> tuple[float, float] | None:
    """Centroid (x, y) in pixels of the player-coloured blob, or None when there is none.

    Robust to stray pixels: take the median of all player pixels, keep those within a radius of
    H/8 of it, and return their centroid; fewer than ``min_pixels`` (default ~H/16) -> None.
    """
    h = frame.shape[0]
    m = mask(frame, "player", tolerance)
    ys, xs = np.nonzero(m)
    need = max(3, h // 16) if min_pixels is None else min_pixels
    if len(xs) < need:
        return None
    mx, my = np.median(xs), np.median(ys)
    r = h / 8
    keep = (np.abs(xs - mx) <= r) & (np.abs(ys - my) <= r)
    if keep.sum() < need:
        return None
    return float(xs[keep].mean()), float(ys[keep].mean())


def _gray(frame: np.ndarray) -> np.ndarray:
    return frame.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def level_shift(frame_a: np.ndarray, frame_b: np.ndarray, max_shift: int = 16,
                tolerance: float = PLAYER_TOLERANCE) -> int:
    """Horizontal camera scroll in pixels from ``frame_a`` to ``frame_b`` (positive: the view moved
    right, i.e. the level content moved left, ``b[:, x] ~ a[:, x + s]``).

    Minimises the mean absolute difference over candidate shifts, ignoring player-coloured pixels;
    ties go to the smallest |s|.
    """
    a, b = _gray(frame_a), _gray(frame_b)
    ok = ~(mask(frame_a, "player", tolerance) | mask(frame_b, "player", tolerance))
    w = a.shape[1]
    max_shift = min(max_shift, w // 2)
    best, best_s = np.inf, 0
    for s in sorted(range(-max_shift, max_shift + 1), key=abs):
        if s >= 0:
            da, db = a[:, s:], b[:, : w - s]
            m = ok[:, : w - s] & ok[:, s:]
        else:
            da, db = a[:, : w + s], b[:, -s:]
            m = ok[:, -s:] & ok[:, : w + s]
        n = m.sum()
        if n == 0:
            continue
        err = float(np.abs(da - db)[m].sum() / n)
        if err < best - 1e-6:
            best, best_s = err, s
    return best_s


def player_motion(frames: np.ndarray, max_shift: int = 16,
                  tolerance: float = PLAYER_TOLERANCE) -> np.ndarray:
    """[T-1, 2] player displacement relative to the level between consecutive frames, in pixels.

    x: screen displacement plus the level scroll (positive = moved right in the level);
    y: screen displacement (positive = moved down). NaN where the player is not found in either frame.
    """
    frames = np.asarray(frames)
    pos = [player_position(f, tolerance) for f in frames]
    out = np.full((max(len(frames) - 1, 0), 2), np.nan, dtype=np.float32)
    for t in range(len(frames) - 1):
        p, q = pos[t], pos[t + 1]
        if p is None or q is None:
            continue
        s = level_shift(frames[t], frames[t + 1], max_shift, tolerance)
        out[t] = (q[0] - p[0] + s, q[1] - p[1])
    return out
