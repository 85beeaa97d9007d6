"""The "pixel" style: flat 8x8 tiles and sprites (its own colours; the player stays player-blue)."""

from __future__ import annotations

import numpy as np

from genie_studio.data.level import GOAL, GROUND, PLATFORM, ROWS, SPIKE, TILE, Level
from genie_studio.data.palette import PALETTE
from genie_studio.data.sprites import Sprite, StyleAssets

SKIES = [(150, 206, 240), (248, 214, 170), (40, 36, 72), (206, 232, 214)]
GROUNDS = [((120, 78, 48), (84, 170, 72)), ((150, 110, 90), (200, 200, 210)), ((96, 96, 110), (70, 150, 90))]


def _pattern(rows: list[str], colors: dict[str, tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    h, w = len(rows), len(rows[0])
    rgb = np.zeros((h, w, 3), np.uint8)
    m = np.zeros((h, w, 1), bool)
    for y, r in enumerate(rows):
        for x, ch in enumerate(r):
            if ch != ".":
                rgb[y, x] = colors[ch]
                m[y, x] = True
    return rgb, m


PLAYER = [
    "..BBBB..",
    ".BBBBBB.",
    ".BBWBWB.",
    ".BBBBBB.",
    "BBDBBDBB",
    ".BBBBBB.",
    ".BB..BB.",
    ".DD..DD.",
]
PLAYER_RUN = PLAYER[:6] + ["BB....BB", "DD....DD"]
PLAYER_JUMP = ["B.BBBB.B"] + PLAYER[1:6] + [".BBBBBB.", "..D..D.."]
ENEMY = [
    "..EEEE..",
    ".EEEEEE.",
    "EEWEEWEE",
    "EEKEEKEE",
    "EEEEEEEE",
    ".EEEEEE.",
    ".E.EE.E.",
    "EE....EE",
]
ENEMY2 = ENEMY[:6] + ["E.E..E.E", ".EE..EE."]
COIN = [
    "........",
    "...YY...",
    "..YOOY..",
    ".YOYYOY.",
    ".YOYYOY.",
    "..YOOY..",
    "...YY...",
    "........",
]


def _scale(a: np.ndarray, scale: float) -> np.ndarray:
    h, w = a.shape[:2]
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    if scale == int(scale):
        k = int(scale)
        return np.repeat(np.repeat(a, k, axis=0), k, axis=1)
    ys = (np.arange(nh) / scale).astype(int).clip(0, h - 1)
    xs = (np.arange(nw) / scale).astype(int).clip(0, w - 1)
    return a[ys][:, xs]


def _sprite(rows, colors, scale, flip=False):
    rgb, m = _pattern(rows, colors)
    if flip:
        rgb, m = rgb[:, ::-1], m[:, ::-1]
    return Sprite(np.ascontiguousarray(_scale(rgb, scale)), np.ascontiguousarray(_scale(m, scale)))


def build(level: Level, scale: float, rng: np.random.Generator):
    sky = np.array(SKIES[int(rng.integers(len(SKIES)))], np.uint8)
    dirt, grass = (np.array(c, np.uint8) for c in GROUNDS[int(rng.integers(len(GROUNDS)))])
    brick = np.array((178, 96, 52), np.uint8)
    w_units = level.cols * TILE
    img = np.empty((ROWS * TILE, w_units, 3), np.uint8)
    img[:] = sky
    # a flat horizon band of far hills (static, part of the strip so it scrolls with the level)
    hills = (np.sin(np.arange(w_units) / 11.0 + rng.uniform(0, 6)) * 5 + 44).astype(int)
    yy = np.arange(ROWS * TILE)[:, None]
    img[yy >= hills[None, :]] = (sky.astype(int) * 0.85).astype(np.uint8)
    t = level.tiles
    solid = (t == GROUND)
    for col in range(level.cols):
        x = col * TILE
        for row in range(ROWS):
            y = row * TILE
            v = t[row, col]
            blk = img[y : y + TILE, x : x + TILE]
            if v == GROUND:
                blk[:] = dirt
                blk[::4, (row + col) % 2 :: 3] = (dirt * 0.8).astype(np.uint8)
                if row == 0 or not solid[row - 1, col]:
                    blk[:2] = grass
            elif v == PLATFORM:
                blk[:] = brick
                blk[3] = blk[7] = (brick * 0.6).astype(np.uint8)
                blk[:4, 0] = blk[4:, 4] = (brick * 0.6).astype(np.uint8)
            elif v == SPIKE:
                for k in range(4):
                    for cx in (2, 6):
                        blk[4 + k, max(cx - 1 - k // 2, 0) : cx + 1 + k // 2] = (200, 200, 210)
                blk[7] = (150, 150, 160)
            elif v == GOAL:
                blk[:, 1:2] = (90, 90, 90)
                if t[row - 1, col] != GOAL:
                    blk[0:4, 2:7] = PALETTE["goal"]
    strip = _scale(img, scale)
    colors = {"B": PALETTE["player"], "D": (16, 60, 140), "W": (255, 255, 255), "K": (0, 0, 0),
              "E": (150, 60, 60), "Y": (250, 210, 60), "O": (200, 140, 20)}
    enemy_color = [(150, 60, 60), (120, 80, 40), (90, 60, 150)][int(rng.integers(3))]
    colors["E"] = enemy_color
    player = {}
    for facing in (1, -1):
        for pose, rows in (("stand", PLAYER), ("run", PLAYER_RUN), ("jump", PLAYER_JUMP)):
            player[(facing, pose)] = _sprite(rows, colors, scale, flip=facing < 0)
    return StyleAssets(
        strip=np.ascontiguousarray(strip),
        coin=_sprite(COIN, colors, scale),
        player=player,
        enemy=[_sprite(ENEMY, colors, scale), _sprite(ENEMY2, colors, scale)],
    )
