"""Procedural tile levels: 8 tiles tall (= the view height, no vertical scroll), 100-200 tiles long.

A level is a grid ``tiles[row, col]`` (row 0 at the top) plus entity lists. One tile is
``TILE`` = 8 world units; the view is 64 units tall.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TILE = 8
ROWS = 8
EMPTY, GROUND, PLATFORM, SPIKE, COIN, GOAL = 0, 1, 2, 3, 4, 5
SOLID = (GROUND, PLATFORM)


@dataclass
class Level:
    tiles: np.ndarray  # int8 [ROWS, cols]
    enemies: list[tuple[int, int]] = field(default_factory=list)  # (col, row) spawn tiles
    checkpoints: list[int] = field(default_factory=list)  # columns with safe ground to (re)spawn
    seed: int = 0

    @property
    def cols(self) -> int:
        return int(self.tiles.shape[1])

    @property
    def width_units(self) -> int:
        return self.cols * TILE

    def solid(self) -> np.ndarray:
        return (self.tiles == GROUND) | (self.tiles == PLATFORM)

    def ground_top(self, col: int) -> int | None:
        """Row of the topmost solid tile in ``col`` (None for a pit)."""
        s = np.flatnonzero(self.solid()[:, col])
        return int(s[0]) if len(s) else None


def generate_level(seed: int, width_tiles: int | None = None) -> Level:
    """A seeded level: flat runs, pits, stairs, floating platforms, spikes, enemies, coins, a goal."""
    rng = np.random.default_rng([seed, 0x1E7E1])
    cols = int(width_tiles) if width_tiles else int(rng.integers(100, 201))
    cols = max(cols, 24)
    t = np.zeros((ROWS, cols), dtype=np.int8)
    enemies: list[tuple[int, int]] = []
    checkpoints = [1]
    h = int(rng.integers(1, 3))  # ground height in tiles (1..3)

    def fill(c: int, height: int) -> None:
        t[ROWS - height :, c] = GROUND

    c = 0
    for c in range(6):  # safe start
        fill(c, h)
    c = 6
    end = cols - 10
    while c < end:
        kind = rng.choice(["flat", "gap", "stairs", "platforms", "spikes", "enemy", "step"],
                          p=[0.28, 0.14, 0.09, 0.14, 0.12, 0.15, 0.08])
        if kind == "flat" or kind == "enemy":
            n = int(rng.integers(5, 14))  # long flat runs: plain running without a hop
            for k in range(n):
                if c + k < end:
                    fill(c + k, h)
            if kind == "enemy" and n >= 5:
                enemies.append((c + int(rng.integers(2, n - 1)), ROWS - h - 1))
            if rng.random() < 0.5:
                for k in range(int(rng.integers(1, 4))):
                    if c + 1 + k < end:
                        t[ROWS - h - 1 - int(rng.integers(1, 3)), c + 1 + k] = COIN
            if n >= 6:
                checkpoints.append(c + 1)
            c += n
        elif kind == "gap":
            w = int(rng.integers(1, 5))
            if rng.random() < 0.35 and w >= 3:  # a floating platform over the pit
                r = ROWS - h - int(rng.integers(2, 4))
                t[max(r, 2), c + 1 : c + w - 1 + 1] = PLATFORM
            c += w
            for k in range(2):
                if c + k < end:
                    fill(c + k, h)
            c += 2
        elif kind == "stairs":
            up = h <= 2 if rng.random() < 0.7 else h == 3
            steps = int(rng.integers(1, 3))
            for _ in range(steps):
                h = min(4, h + 1) if up else max(1, h - 1)
                for _k in range(2):
                    if c < end:
                        fill(c, h)
                        c += 1
        elif kind == "step":
            h = int(np.clip(h + rng.choice([-2, -1, 1, 2]), 1, 3))
            for _ in range(3):
                if c < end:
                    fill(c, h)
                    c += 1
        elif kind == "platforms":
            n = int(rng.integers(5, 10))
            for k in range(n):
                if c + k < end:
                    fill(c + k, h)
            pl = int(rng.integers(2, 5))
            r = ROWS - h - int(rng.integers(2, 4))
            start = c + int(rng.integers(0, max(1, n - pl)))
            r = max(r, 1)
            t[r, start : min(start + pl, end)] = PLATFORM
            if rng.random() < 0.6 and r > 0:
                t[r - 1, start : min(start + pl, end)] = COIN
            c += n
        elif kind == "spikes":
            for k in range(5):
                if c + k < end:
                    fill(c + k, h)
            w = int(rng.integers(1, 3))
            t[ROWS - h - 1, c + 2 : min(c + 2 + w, end)] = SPIKE
            c += 5
    for c2 in range(min(c, end), cols):
        fill(c2, h)
    goal_col = cols - 4
    t[ROWS - h - 2 : ROWS - h, goal_col] = GOAL
    checkpoints = sorted({cp for cp in checkpoints if cp < cols - 8 and _safe(t, cp)})
    return Level(tiles=t, enemies=enemies, checkpoints=checkpoints, seed=int(seed))


def _safe(t: np.ndarray, col: int) -> bool:
    s = np.flatnonzero(t[:, col] == GROUND)
    if not len(s):
        return False
    top = s[0]
    return top >= 2 and t[top - 1, col] in (EMPTY, COIN) and t[top - 2, col] in (EMPTY, COIN)
