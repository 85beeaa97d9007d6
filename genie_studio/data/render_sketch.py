"""The hand-drawn styles: "sketch" (palette inks on paper) and "chalk" (chalk on a dark board).

Everything static is drawn once per episode into the level strip at 2x supersampling with wobbly,
overshooting strokes and hatch fills (per-episode jitter of line thickness, wobble, hatch spacing and
ink shade), then box-downsampled; the paper texture is part of the strip so it scrolls with the level.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from genie_studio.data.level import GOAL, GROUND, PLATFORM, ROWS, SPIKE, TILE, Level
from genie_studio.data.palette import PALETTE
from genie_studio.data.sprites import Sprite, StyleAssets

SS = 2  # supersampling factor
CHALK = {
    "background": (38, 52, 46),
    "ground": (222, 216, 200),
    "platform": (226, 170, 110),
    "hazard": (240, 110, 124),
    "collectible": (246, 220, 110),
    "player": (44, 120, 240),
    "enemy": (186, 140, 226),
    "goal": (130, 214, 140),
}


class Pen:
    """Per-episode drawing hand: wobble amplitude, line width and ink shades."""

    def __init__(self, rng: np.random.Generator, u: float, chalk: bool, wobble: float = 1.0):
        self.rng, self.u = rng, u
        self.amp = rng.uniform(0.2, 0.5) * wobble
        self.width = rng.uniform(0.85, 1.45) * (1.25 if chalk else 1.0)
        self.spacing = rng.uniform(3.2, 4.8)
        self.angle = rng.uniform(0.6, 1.0) * rng.choice([-1, 1])
        base = CHALK if chalk else PALETTE
        self.ink = {
            k: tuple(int(np.clip(c + rng.integers(-12, 13), 0, 255)) for c in v) for k, v in base.items()
        }
        self.ink["background"] = base["background"]
        self.ink["player"] = tuple(int(np.clip(c + rng.integers(-6, 7), 0, 255)) for c in base["player"])

    def shade(self, name: str, j: int = 6) -> tuple[int, int, int]:
        return tuple(int(np.clip(c + self.rng.integers(-j, j + 1), 0, 255)) for c in self.ink[name])

    def path(self, pts, step: float = 3.0) -> list[tuple[float, float]]:
        """Resample a polyline (units) and displace it perpendicular by smooth noise -> px coords."""
        out = []
        for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
            n = max(2, int(np.hypot(x1 - x0, y1 - y0) / step) + 1)
            t = np.linspace(0, 1, n)
            noise = np.convolve(self.rng.normal(0, self.amp * 1.8, n + 4), np.ones(5) / 5, "valid")
            nx, ny = -(y1 - y0), (x1 - x0)
            ln = max(np.hypot(nx, ny), 1e-6)
            xs = x0 + (x1 - x0) * t + nx / ln * noise
            ys = y0 + (y1 - y0) * t + ny / ln * noise
            out.extend(zip(xs * self.u, ys * self.u))
        return out

    def stroke(self, draw, p0, p1, color, width=None, overshoot=True):
        (x0, y0), (x1, y1) = p0, p1
        if overshoot:
            d = np.hypot(x1 - x0, y1 - y0) or 1.0
            e0, e1 = self.rng.uniform(-0.3, 1.4, 2)
            x0, y0 = x0 - (x1 - x0) / d * e0, y0 - (y1 - y0) / d * e0
            x1, y1 = x1 + (x1 - x0) / d * e1, y1 + (y1 - y0) / d * e1
        w = max(1, int(round((width or self.width) * self.u * self.rng.uniform(0.85, 1.15))))
        draw.line(self.path([(x0, y0), (x1, y1)]), fill=color, width=w, joint="curve")

    def hatch(self, size, direction: float) -> Image.Image:
        """A full-size layer of jittered diagonal hatch lines (L mode)."""
        w, h = size
        layer = Image.new("L", size, 0)
        d = ImageDraw.Draw(layer)
        sp = self.spacing * self.u
        dx = h * direction
        x = -abs(dx) - sp
        lw = max(1, int(round(self.width * 0.8 * self.u)))
        while x < w + abs(dx):
            j = self.rng.uniform(-0.3, 0.3) * sp
            d.line(
                [(x + j, -2), (x + j + dx + self.rng.uniform(-1, 1) * self.u, h + 2)], fill=255, width=lw
            )
            x += sp * self.rng.uniform(0.8, 1.2)
        return layer


def _runs(mask_row: np.ndarray) -> list[tuple[int, int]]:
    m = np.concatenate([[0], mask_row.astype(np.int8), [0]])
    d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _texture(strip: np.ndarray, rng: np.random.Generator, chalk: bool) -> np.ndarray:
    h, w = strip.shape[:2]
    blot = rng.normal(0, 1, (max(2, h // 12), max(2, w // 12))).astype(np.float32)
    blot_img = Image.fromarray(((blot * 30) + 128).clip(0, 255).astype(np.uint8)).resize(
        (w, h), Image.BILINEAR
    )
    low = (np.asarray(blot_img, np.float32) - 128) / 30 * (5.0 if chalk else 2.5)
    grain = rng.normal(0, 3.5 if chalk else 2.0, (h, w)).astype(np.float32)
    out = strip.astype(np.float32) + (low + grain)[..., None]
    if not chalk:  # faint fibres
        for _ in range(w // 40):
            y, x = int(rng.integers(h)), int(rng.integers(w))
            out[y, x : x + int(rng.integers(3, 12))] -= 6
    return out.clip(0, 255).astype(np.uint8)


def _chalk_grain(img: Image.Image, bg, rng, keep: float = 0.72) -> Image.Image:
    a = np.asarray(img).copy()
    ink = np.any(a[..., :3] != np.array(bg, np.uint8), axis=-1)
    drop = ink & (rng.random(ink.shape) > keep)
    if a.shape[-1] == 4:
        a[drop, 3] = 0
    else:
        a[drop] = bg
    return Image.fromarray(a)


def _draw_level(
    level: Level, pen: Pen, draw: ImageDraw.ImageDraw, img: Image.Image, chalk: bool
) -> None:
    t = level.tiles
    size = img.size
    u = pen.u
    ground = t == GROUND
    tops = [
        int(np.flatnonzero(ground[:, c])[0]) if ground[:, c].any() else None for c in range(level.cols)
    ]
    # fills: hatch clipped to the ground / platform silhouettes (inset a little)
    for kind, direction, name in ((GROUND, pen.angle, "ground"), (PLATFORM, -pen.angle, "platform")):
        region = Image.new("L", size, 0)
        rd = ImageDraw.Draw(region)
        for row in range(ROWS):
            for a, b in _runs(t[row] == kind):
                below = kind == GROUND and row + 1 < ROWS and (t[row + 1, a:b] == GROUND).all()
                rd.rectangle(
                    [
                        a * TILE * u + u,
                        row * TILE * u + u,
                        b * TILE * u - u,
                        (row + 1) * TILE * u + (u if below else -u),
                    ],
                    fill=255,
                )
        layer = ImageChops.multiply(pen.hatch(size, direction), region)
        img.paste(pen.shade(name), mask=layer)
    # ground outlines: top edges, and vertical edges where heights change
    ink = pen.ink["ground"]
    bottom = ROWS * TILE + 2
    for c in range(level.cols):
        top = tops[c]
        left = tops[c - 1] if c > 0 else top
        if top is not None:
            x0 = c * TILE
            y = top * TILE
            # merge horizontal runs: only start a segment where the previous column differs
            if left != top:
                n = 1
                while c + n < level.cols and tops[c + n] == top:
                    n += 1
                pen.stroke(draw, (x0, y), (x0 + n * TILE, y), pen.shade("ground"))
        if c > 0 and top != left:
            ys = [v * TILE if v is not None else bottom for v in (top, left)]
            pen.stroke(draw, (c * TILE, min(ys)), (c * TILE, max(ys)), ink)
    # platforms: outlined boxes with plank marks
    for row in range(ROWS):
        for a, b in _runs(t[row] == PLATFORM):
            x0, x1, y0, y1 = a * TILE, b * TILE, row * TILE + 0.5, (row + 1) * TILE - 0.5
            col = pen.shade("platform", 10)
            for p, q in (
                ((x0, y0), (x1, y0)),
                ((x0, y1), (x1, y1)),
                ((x0, y0), (x0, y1)),
                ((x1, y0), (x1, y1)),
            ):
                pen.stroke(draw, p, q, col)
            for k in range(a + 1, b):
                if pen.rng.random() < 0.6:
                    pen.stroke(
                        draw, (k * TILE, y0 + 1.5), (k * TILE, y1 - 1.5), col, pen.width * 0.7, False
                    )
    # spikes: filled zig-zag triangles
    for row, col in zip(*np.nonzero(t == SPIKE)):
        x, y = col * TILE, (row + 1) * TILE
        for k in range(2):
            h = pen.rng.uniform(3.6, 5.0)
            tri = [
                (x + k * 4 + 0.3, y),
                (x + k * 4 + 2 + pen.rng.uniform(-0.5, 0.5), y - h),
                (x + k * 4 + 3.7, y),
            ]
            draw.polygon([(px * u, py * u) for px, py in tri], fill=pen.shade("hazard"))
            pen.stroke(draw, tri[0], tri[1], pen.ink["hazard"], overshoot=False)
            pen.stroke(draw, tri[1], tri[2], pen.ink["hazard"], overshoot=False)
    # goal: a pole with a filled flag
    for col in np.flatnonzero((t == GOAL).any(axis=0)):
        rows = np.flatnonzero(t[:, col] == GOAL)
        x, ytop, ybot = col * TILE + 2, rows[0] * TILE, (rows[-1] + 1) * TILE
        pen.stroke(draw, (x, ybot), (x, ytop), pen.ink["goal"], pen.width * 1.3, False)
        flag = [(x, ytop), (x + 6, ytop + 2.2), (x, ytop + 4.4)]
        draw.polygon([(px * u, py * u) for px, py in flag], fill=pen.shade("goal"))
        pen.stroke(draw, flag[0], flag[1], pen.ink["goal"], overshoot=False)
        pen.stroke(draw, flag[1], flag[2], pen.ink["goal"], overshoot=False)


def _sprite_canvas(pen: Pen):
    pad = 2
    n = int(round((TILE + 2 * pad) * pen.u))
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    return img, ImageDraw.Draw(img), pad


def _finish(img: Image.Image, pad: int, scale: float, chalk: bool, pen: Pen):
    if chalk:
        img = _chalk_grain(img, (0, 0, 0), pen.rng, keep=0.85)
    n = max(1, int(round(img.size[0] / SS)))
    small = np.asarray(img.resize((n, n), Image.BOX))
    mask = small[..., 3:4] >= 110
    off = -int(round(pad * scale))
    return Sprite(np.ascontiguousarray(small[..., :3]), np.ascontiguousarray(mask), off, off)


def _player(pen: Pen, pose: str, facing: int, scale: float, chalk: bool):
    img, d, pad = _sprite_canvas(pen)
    u = pen.u
    col = pen.ink["player"] + (255,)

    def P(x, y):
        x = x if facing > 0 else TILE - x
        return ((x + pad) * u, (y + pad) * u)

    def line(a, b, w):
        d.line([P(*a), P(*b)], fill=col, width=max(1, int(round(w * u))), joint="curve")

    hx, hy, r = 4.4, 1.9, 1.8
    d.ellipse(
        [
            P(hx - r, hy - r)[0] if facing > 0 else P(hx + r, 0)[0],
            (hy - r + pad) * u,
            P(hx + r, hy)[0] if facing > 0 else P(hx - r, 0)[0],
            (hy + r + pad) * u,
        ],
        fill=col,
    )
    line((4.2, 3.2), (4.0, 5.6), 2.6)
    if pose == "jump":
        line((4, 4), (1.6, 2.4), 1.3), line((4, 4), (6.6, 2.6), 1.3)
        line((4, 5.5), (2.4, 6.6), 1.5), line((2.4, 6.6), (3.0, 8), 1.5), line((4, 5.5), (6.2, 7.6), 1.5)
    elif pose == "run":
        line((4, 4.1), (1.8, 5.2), 1.3), line((4, 4.1), (6.6, 3.4), 1.3)
        line((4, 5.5), (1.6, 7.9), 1.5), line((4, 5.5), (6.8, 7.9), 1.5)
    else:
        line((4, 4.1), (2.0, 5.6), 1.3), line((4, 4.1), (6.2, 5.4), 1.3)
        line((4, 5.5), (2.8, 8), 1.5), line((4, 5.5), (5.4, 8), 1.5)
    return _finish(img, pad, scale, chalk, pen)


def _enemy(pen: Pen, frame: int, scale: float, chalk: bool):
    img, d, pad = _sprite_canvas(pen)
    u = pen.u
    col = pen.ink["enemy"] + (255,)
    Q = lambda x, y: ((x + pad) * u, (y + pad) * u)  # noqa: E731
    d.ellipse([Q(0.6, 1.6), Q(7.4, 7.4)], fill=col)
    for fx in (1.2, 5.2) if frame == 0 else (2.0, 4.4):
        d.ellipse([Q(fx, 6.4), Q(fx + 2.2, 8.0)], fill=col)
    eye = pen.ink["background"] + (255,)
    for ex in (2.2, 4.6):
        d.ellipse([Q(ex, 3.0), Q(ex + 1.4, 4.6)], fill=eye)
    return _finish(img, pad, scale, chalk, pen)


def _coin(pen: Pen, scale: float, chalk: bool):
    img, d, pad = _sprite_canvas(pen)
    u = pen.u
    Q = lambda x, y: ((x + pad) * u, (y + pad) * u)  # noqa: E731
    d.ellipse([Q(1.6, 1.6), Q(6.4, 6.6)], fill=pen.shade("collectible") + (255,))
    pts = pen.path([(4, 1.4), (6.6, 4), (4, 6.8), (1.4, 4), (4.2, 1.2)], step=1.5)
    d.line(
        [(x + pad * u, y + pad * u) for x, y in pts],
        fill=tuple(int(c * 0.8) for c in pen.ink["collectible"]) + (255,),
        width=max(1, int(round(pen.width * 0.8 * u))),
    )
    return _finish(img, pad, scale, chalk, pen)


def build(
    level: Level, scale: float, rng: np.random.Generator, chalk: bool = False, wobble: float = 1.0
):
    u = scale * SS
    pen = Pen(rng, u, chalk, wobble)
    h_px = int(round(ROWS * TILE * scale))
    w_px = int(round(level.cols * TILE * scale))
    img = Image.new("RGB", (w_px * SS, h_px * SS), pen.ink["background"])
    draw = ImageDraw.Draw(img)
    _draw_level(level, pen, draw, img, chalk)
    if chalk:
        img = _chalk_grain(img, pen.ink["background"], rng)
    strip = np.asarray(img.resize((w_px, h_px), Image.BOX))
    strip = _texture(strip, rng, chalk)
    player = {
        (f, p): _player(pen, p, f, scale, chalk) for f in (1, -1) for p in ("stand", "run", "jump")
    }
    return StyleAssets(
        strip=strip,
        coin=_coin(pen, scale, chalk),
        player=player,
        enemy=[_enemy(pen, 0, scale, chalk), _enemy(pen, 1, scale, chalk)],
    )
