"""Rendering: a static level strip drawn once per episode, then per frame a slice at the camera x
plus pasted sprites (player, enemies, remaining coins are erased from the strip when collected).

Styles: ``sketch`` (hand-drawn in the semantic palette on paper), ``pixel`` (flat tiles),
``chalk`` (chalk on a dark board). Resolution (H, W): H <= 256, W = H (square) or a 16:9 width
``round(H*16/9/4)*4``; one world unit is ``H/64`` px.
"""

from __future__ import annotations

import numpy as np

from genie_studio.data import render_pixel, render_sketch
from genie_studio.data.agent import ExplorerAgent
from genie_studio.data.level import COIN, ROWS, TILE, Level, generate_level
from genie_studio.data.platformer import FP, PH, PW, Game
from genie_studio.data.sprites import Sprite, StyleAssets

STYLES = ("sketch", "pixel", "chalk")


def wide_width(h: int) -> int:
    return int(round(h * 16 / 9 / 4)) * 4


def resolve_resolution(resolution) -> tuple[int, int]:
    if isinstance(resolution, int):
        resolution = (resolution, resolution)
    h, w = (int(v) for v in resolution)
    if not 16 <= h <= 256:
        raise ValueError(f"resolution height must be in 16..256, got {h}")
    if w not in (h, wide_width(h)):
        raise ValueError(f"width must be {h} (square) or {wide_width(h)} (16:9) for height {h}, got {w}")
    return h, w


def _build_assets(style: str, level: Level, scale: float, seed: int) -> StyleAssets:
    rng = np.random.default_rng([seed, 0x5717E])
    if style == "pixel":
        return render_pixel.build(level, scale, rng)
    if style in ("sketch", "chalk"):
        return render_sketch.build(level, scale, rng, chalk=(style == "chalk"))
    raise ValueError(f"unknown style {style!r}; known: {', '.join(STYLES)}")


def _paste(frame: np.ndarray, sp: Sprite, x: int, y: int) -> None:
    h, w = sp.mask.shape[:2]
    x += sp.dx
    y += sp.dy
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, fw), min(y + h, fh)
    if x0 >= x1 or y0 >= y1:
        return
    np.copyto(frame[y0:y1, x0:x1], sp.rgb[y0 - y : y1 - y, x0 - x : x1 - x],
              where=sp.mask[y0 - y : y1 - y, x0 - x : x1 - x])


class Renderer:
    """Draws frames of a ``Game`` in one style; the strip is built once."""

    def __init__(self, level: Level, style: str, resolution=(64, 64), seed: int = 0, wobble: float = 1.0):
        self.h, self.w = resolve_resolution(resolution)
        self.scale = self.h / (ROWS * TILE)
        self.view_w_units = int(round(self.w / self.scale))
        self.style = style
        self._wobble = wobble
        assets = _build_assets(style, level, self.scale, seed) if wobble == 1.0 else _build_wobbly(
            style, level, self.scale, seed, wobble)
        self.assets = assets
        self.clean = assets.strip
        self.strip = assets.strip.copy()
        self.level = level
        for row, col in zip(*np.nonzero(level.tiles == COIN)):
            self._coin(row, col, draw=True)

    def px(self, units: float) -> int:
        return int(round(units * self.scale))

    def _coin(self, row: int, col: int, draw: bool) -> None:
        x, y = self.px(col * TILE), self.px(row * TILE)
        if draw:
            _paste(self.strip, self.assets.coin, x, y)
        else:
            sp = self.assets.coin
            h, w = sp.mask.shape[:2]
            xs, ys = slice(max(x + sp.dx, 0), x + sp.dx + w), slice(max(y + sp.dy, 0), y + sp.dy + h)
            self.strip[ys, xs] = self.clean[ys, xs]

    def frame(self, game: Game, out: np.ndarray | None = None) -> np.ndarray:
        for row, col in game.collected:
            self._coin(row, col, draw=False)
        cam = game.camera_x()
        cx = self.px(cam)
        if out is None:
            out = np.empty((self.h, self.w, 3), dtype=np.uint8)
        view = self.strip[:, cx : cx + self.w]
        out[:, : view.shape[1]] = view
        if view.shape[1] < self.w:  # level narrower than the view
            out[:, view.shape[1] :] = self.clean[:, -1:]
        lo, hi = cam - TILE, cam + self.view_w_units
        for e in game.enemies:
            if e.alive and lo <= e.x <= hi:
                _paste(out, self.assets.enemy[(e.x // 4) % 2], self.px(e.x) - cx, self.px(e.y))
        if game.alive:
            if not game.on_ground():
                pose = "jump"
            else:
                pose = "run" if (game.x // 4) % 2 else "stand"
            sp = self.assets.player[(game.facing, pose)]
            _paste(out, sp, self.px(game.x) - cx, int(round(game.y / FP * self.scale)))
        return out

    def player_screen_pos(self, game: Game) -> tuple[float, float]:
        """Centre of the player's hit box on screen, in pixels (NaN while dead)."""
        if not game.alive:
            return (float("nan"), float("nan"))
        cx = self.px(game.camera_x())
        return (self.px(game.x) - cx + PW * self.scale / 2, game.y / FP * self.scale + PH * self.scale / 2)


def _build_wobbly(style, level, scale, seed, wobble):
    rng = np.random.default_rng([seed, 0x5717E])
    return render_sketch.build(level, scale, rng, chalk=(style == "chalk"), wobble=wobble)


def make_game(seed: int, resolution=(64, 64), width_tiles: int | None = None,
              start: str = "random") -> tuple[Game, Level]:
    h, w = resolve_resolution(resolution)
    level = generate_level(seed, width_tiles)
    rng = np.random.default_rng([seed, 0x57A27])
    cps = level.checkpoints
    col = cps[0] if start == "start" or rng.random() < 0.3 else cps[int(rng.integers(len(cps)))]
    return Game(level, view_w=int(round(w * 64 / h)), start_col=col), level


def make_episode(seed: int, style: str = "sketch", resolution=(64, 64), length: int = 64,
                 width_tiles: int | None = None):
    """Play one seeded episode. Returns (frames [T,H,W,3] uint8, actions [T] int8, positions [T,2] f32).

    ``actions[t]`` is the action applied between frame t and t+1 (-1 for the last frame);
    ``positions[t]`` is the player's hit-box centre on screen in pixels (NaN while dead).
    """
    h, w = resolve_resolution(resolution)
    game, level = make_game(seed, (h, w), width_tiles)
    ren = Renderer(level, style, (h, w), seed)
    agent = ExplorerAgent(seed)
    frames = np.empty((length, h, w, 3), dtype=np.uint8)
    actions = np.full(length, -1, dtype=np.int8)
    positions = np.empty((length, 2), dtype=np.float32)
    for t in range(length):
        if t:
            game.step(int(actions[t - 1]))
        ren.frame(game, out=frames[t])
        positions[t] = ren.player_screen_pos(game)
        if t < length - 1:
            actions[t] = agent.act(game)
    return frames, actions, positions


def render_level_image(seed: int, style: str = "sketch", resolution=(64, 64),
                       width_tiles: int | None = None, wobble: float = 1.0,
                       start_col: int | None = None) -> np.ndarray:
    """A prompt image of level ``seed`` with the player standing on ground: at the level start
    (left of centre), or at ``start_col`` (the nearest checkpoint; the camera centres the player)."""
    game, level = make_game(seed, resolution, width_tiles, start="start")
    if start_col is None:
        game.x = max(game.x, 3 * TILE)  # room behind the player, left of centre
    else:
        game.x = min(level.checkpoints, key=lambda c: abs(c - start_col)) * TILE
    top = level.ground_top(game.x // TILE)
    if top is not None:
        game.y = (top * TILE - PH) * FP
    return Renderer(level, style, resolution, seed, wobble=wobble).frame(game)
