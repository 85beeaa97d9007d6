"""Pixel operations of the sketch canvas that need no Qt: bucket fill and stroke smoothing."""

from __future__ import annotations

import numpy as np


def flood_fill(img: np.ndarray, x: int, y: int, color) -> int:
    """Fill, in place, the 4-connected region of ``img`` [H,W,C] that has the colour of pixel (x, y).

    Scanline algorithm: each run of equal pixels is found and filled with numpy, so the cost grows
    with the number of runs rather than pixels. Returns the number of pixels changed.
    """
    H, W = img.shape[:2]
    if not (0 <= x < W and 0 <= y < H):
        return 0
    color = np.asarray(color, dtype=img.dtype)
    target = img[y, x].copy()
    if np.array_equal(target, color):
        return 0
    same = np.all(img == target, axis=-1)  # [H,W] pixels of the target colour (before filling)
    filled = np.zeros((H, W), dtype=bool)
    stack = [(x, y)]
    while stack:
        sx, sy = stack.pop()
        if filled[sy, sx] or not same[sy, sx]:
            continue
        row = same[sy]
        # extend left and right from sx along the row
        off = np.flatnonzero(~row[:sx][::-1])
        left = sx - (off[0] if off.size else sx)
        off = np.flatnonzero(~row[sx:])
        right = sx + (off[0] if off.size else W - sx) - 1
        filled[sy, left:right + 1] = True
        for ny in (sy - 1, sy + 1):
            if 0 <= ny < H:
                cand = same[ny, left:right + 1] & ~filled[ny, left:right + 1]
                if cand.any():
                    # one seed per run of candidates
                    c = cand.astype(np.int8)
                    starts = np.flatnonzero(np.diff(np.concatenate(([0], c))) == 1)
                    stack.extend((left + int(s), ny) for s in starts)
    img[filled] = color
    return int(filled.sum())


class StrokeSmoother:
    """A "lazy brush" for the pencil: the pen trails the pointer, which removes hand jitter.

    Each new pointer position moves the pen a fraction ``1 - strength`` of the way towards it.
    ``finish()`` returns the final stretch so the stroke still ends where the pointer did.
    """

    def __init__(self, x: float, y: float, strength: float = 0.5):
        self.strength = float(min(max(strength, 0.0), 0.95))
        self.x, self.y = float(x), float(y)
        self.last = (float(x), float(y))

    def add(self, x: float, y: float) -> tuple[float, float]:
        k = 1.0 - self.strength
        self.x += (x - self.x) * k
        self.y += (y - self.y) * k
        self.last = (float(x), float(y))
        return self.x, self.y

    def finish(self) -> tuple[float, float]:
        self.x, self.y = self.last
        return self.last
