"""Regenerate examples/heldout/: drawings framed the way designers draw, not the way we train.

    python examples/make_heldout.py

The training data comes from the procedural level generator and its renderer (a level exactly one
view tall, the player 9 of 64 pixels high, wobbly hatched strokes). These drawings come from neither:
their layouts are written out below (hand-placed ground, steps, platforms, coins, enemies, spikes),
and they are drawn with other hands. They vary along the three axes that lose the player:

- scale: the player from 4% to 20% of the image height (training: 14%);
- stroke: thin pencil outlines (1-2 px), bold marker outlines, filled shapes;
- canvas: square, 16:9 and long strips (the whole level in one picture), six of them levels four screens
  long or more with the player at the left end (the revealed-level measure, evaluate/revealed.py).

``examples/heldout/drawings.json`` lists each drawing with its axes; the world-fidelity evaluation
(genie_studio/evaluate/fidelity.py) runs on all of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "heldout"
INK = {  # the palette (docs/palette.md); a hand's colours vary a little around it
    "background": (244, 241, 232), "ground": (59, 47, 47), "platform": (139, 90, 43),
    "hazard": (215, 38, 61), "collectible": (244, 196, 48), "player": (31, 111, 235),
    "enemy": (123, 44, 191), "goal": (42, 157, 58),
}
# name, canvas (w, h), stroke, player height as a share of the image height
DRAWINGS = [
    ("pencil-square-06", (512, 512), "pencil", 0.06),
    ("pencil-wide-10", (960, 540), "pencil", 0.10),
    ("pencil-strip-18", (1600, 240), "pencil", 0.18),
    ("pencil-wide-04", (1920, 1080), "pencil", 0.04),
    ("marker-square-14", (400, 400), "marker", 0.14),
    ("marker-wide-05", (1280, 720), "marker", 0.05),
    ("marker-strip-12", (2000, 250), "marker", 0.12),
    ("marker-square-10", (256, 256), "marker", 0.10),
    ("filled-square-20", (300, 300), "filled", 0.20),
    ("filled-wide-08", (640, 360), "filled", 0.08),
    ("filled-strip-15", (1800, 200), "filled", 0.15),
    ("filled-strip-05", (2400, 300), "filled", 0.05),
    ("pencil-strip-09", (2200, 330), "pencil", 0.09),
    ("filled-wide-12", (1024, 576), "filled", 0.12),
    # levels four screens long or more, the player at the left end, as designers draw a level
    ("pencil-level-10", (2048, 512), "pencil", 0.10),
    ("marker-level-12", (2048, 512), "marker", 0.12),
    ("filled-level-14", (2400, 480), "filled", 0.14),
    ("pencil-level-16", (1800, 360), "pencil", 0.16),
    ("marker-level-08", (2400, 400), "marker", 0.08),
    ("filled-level-10", (2048, 400), "filled", 0.10),
]
SCREEN = 64 / (34 / 256)  # the view's width in units of the player's height (session/prompt.PLAYER_SHARE)


class Hand:
    """One drawing's pen: stroke weight, fill or not, a little wobble and colour drift."""

    def __init__(self, stroke: str, tile: float, rng: np.random.Generator):
        self.stroke, self.tile, self.rng = stroke, tile, rng
        self.width = {"pencil": 1 if tile < 40 else 2, "marker": max(3, round(tile * 0.16)),
                      "filled": max(2, round(tile * 0.08))}[stroke]
        self.fill = stroke == "filled"

    def color(self, name: str) -> tuple[int, int, int]:
        c = np.array(INK[name]) + self.rng.integers(-10, 11, 3)
        return tuple(int(v) for v in np.clip(c, 0, 255))

    def line(self, d: ImageDraw.ImageDraw, pts, name: str, width: int | None = None) -> None:
        w = width or self.width
        jit = [(x + self.rng.normal(0, 0.15 * w), y + self.rng.normal(0, 0.15 * w)) for x, y in pts]
        d.line(jit, fill=self.color(name), width=w, joint="curve")

    def shape(self, d: ImageDraw.ImageDraw, kind: str, box, name: str) -> None:
        c = self.color(name)
        fill = c if self.fill else None
        if kind == "ellipse":
            d.ellipse(box, outline=c, fill=fill, width=self.width)
        elif kind == "rect":
            d.rectangle(box, outline=c, fill=fill, width=self.width)
        else:  # polygon
            d.polygon(box, outline=c, fill=fill, width=self.width)


def _layout(cols: int, rng: np.random.Generator):
    """A hand-placed level: ground heights per column (tiles), and objects by column."""
    heights = np.ones(cols, dtype=int) * int(rng.integers(1, 3))
    pits, steps = [], []
    c = 10
    while c < cols - 6:
        kind = rng.choice(["step", "pit", "flat"], p=[0.3, 0.3, 0.4])
        if kind == "step":
            heights[c:] = np.clip(heights[c - 1] + rng.choice([-1, 1]), 1, 3)
            steps.append(c)
        elif kind == "pit":
            w = int(rng.integers(2, 4))
            heights[c:c + w] = 0
            pits.append((c, w))
        c += int(rng.integers(5, 9))
    return heights, pits


def draw(name: str, size: tuple[int, int], stroke: str, player_share: float, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    W, H = size
    player_h = player_share * H
    tile = player_h / 1.15  # the player is a little taller than a tile, as in the game
    hand = Hand(stroke, tile, rng)
    img = Image.new("RGB", size, INK["background"])
    d = ImageDraw.Draw(img)
    cols = int(np.ceil(W / tile)) + 1
    heights, pits = _layout(cols, rng)
    pcol = 3 if W / H > 2.5 else max(3, int(cols * 0.3))  # where the player stands
    heights[max(pcol - 3, 0):pcol + 4] = heights[pcol]
    pits = [(c, w) for c, w in pits if c + w < pcol - 3 or c > pcol + 3]
    for c, w in pits:
        heights[c:c + w] = 0

    def gy(col: int) -> float:  # y of the ground top at a column
        return H - heights[min(max(col, 0), cols - 1)] * tile

    # ground: the top edge as one line, then the body (hatched, outlined or filled)
    top = []
    for col in range(cols):
        x0, x1, y = col * tile, (col + 1) * tile, gy(col)
        if heights[col] == 0:
            if top:
                hand.line(d, top, "ground")
            top = []
            continue
        top += [(x0, y), (x1, y)]
        if hand.fill:
            d.rectangle([x0, y, x1, H], fill=hand.color("ground"))
        else:
            step = max(4.0, tile * (0.5 if stroke == "marker" else 0.35))
            for k in np.arange(x0, x1, step):
                hand.line(d, [(k, H), (min(k + (H - y) * 0.6, x1), max(y, H - (x1 - k) / 0.6))], "ground",
                          width=max(1, hand.width // 2))
    if top:
        hand.line(d, top, "ground")
    # objects near the player first (so that every view holds some), then along the level
    spots = [pcol + 2, pcol + 4, pcol - 3] + list(range(pcol + 7, cols - 2, 4)) + list(range(1, pcol - 4, 4))
    kinds = ["enemy", "coins", "hazard", "platform"]
    for i, col in enumerate(spots):
        if col < 0 or col >= cols or heights[col] == 0:
            continue
        kind = kinds[(i + int(rng.integers(0, 2))) % len(kinds)] if i > 2 else kinds[i]
        x, y = col * tile, gy(col)
        if kind == "enemy":
            hand.shape(d, "ellipse", [x + 0.05 * tile, y - 0.85 * tile, x + 0.95 * tile, y - 0.05 * tile], "enemy")
            e = max(1.0, tile * 0.1)
            d.ellipse([x + 0.3 * tile - e, y - 0.55 * tile - e, x + 0.3 * tile + e, y - 0.55 * tile + e],
                      fill=INK["background"])
        elif kind == "coins":
            for k in range(int(rng.integers(2, 4))):
                cx, cy = x + (k + 0.5) * tile, y - tile * float(rng.uniform(1.6, 2.4))
                hand.shape(d, "ellipse", [cx - 0.3 * tile, cy - 0.35 * tile, cx + 0.3 * tile, cy + 0.35 * tile],
                           "collectible")
        elif kind == "hazard":
            for k in range(int(rng.integers(1, 3))):
                x0 = x + k * 0.5 * tile
                hand.shape(d, "polygon", [(x0, y), (x0 + 0.25 * tile, y - 0.55 * tile), (x0 + 0.5 * tile, y)],
                           "hazard")
        else:
            py = y - tile * float(rng.uniform(2.2, 3.0))
            hand.shape(d, "rect", [x, py, x + 3 * tile, py + 0.45 * tile], "platform")
    gx = (cols - 3) * tile
    if gx > (pcol + 6) * tile and heights[cols - 3] > 0:
        gyy = gy(cols - 3)
        hand.line(d, [(gx, gyy), (gx, gyy - 2 * tile)], "goal")
        hand.shape(d, "polygon", [(gx, gyy - 2 * tile), (gx + 0.8 * tile, gyy - 1.7 * tile), (gx, gyy - 1.4 * tile)],
                   "goal")
    _player(d, hand, (pcol + 0.5) * tile, gy(pcol), player_h)
    return img


def _player(d: ImageDraw.ImageDraw, hand: Hand, cx: float, feet: float, h: float) -> None:
    c = hand.color("player")
    if hand.stroke == "filled":
        r = h * 0.2
        d.ellipse([cx - r, feet - h, cx + r, feet - h + 2 * r], fill=c)
        d.rounded_rectangle([cx - h * 0.25, feet - h + 2 * r, cx + h * 0.25, feet], radius=h * 0.1, fill=c)
        return
    # a stick figure: head, body, arms, legs
    w = hand.width
    r = h * 0.16
    d.ellipse([cx - r, feet - h, cx + r, feet - h + 2 * r], outline=c, width=w)
    neck, hip = feet - h + 2 * r, feet - h * 0.38
    hand.line(d, [(cx, neck), (cx, hip)], "player")
    hand.line(d, [(cx - h * 0.25, neck + h * 0.12), (cx, neck + h * 0.05), (cx + h * 0.25, neck + h * 0.12)], "player")
    hand.line(d, [(cx - h * 0.2, feet), (cx, hip), (cx + h * 0.2, feet)], "player")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    index = []
    for i, (name, size, stroke, share) in enumerate(DRAWINGS):
        img = draw(name, size, stroke, share, seed=30_000_000 + i)
        img.save(OUT / f"{name}.png", optimize=True)
        index.append({"file": f"{name}.png", "size": list(size), "stroke": stroke, "player_share": share,
                      "canvas": "square" if size[0] == size[1] else ("strip" if size[0] / size[1] > 3 else "16:9"),
                      "screens": round(size[0] / (share * size[1] * SCREEN / 64), 1),
                      "player_at": "left end" if size[0] / size[1] > 2.5 else "mid-level"})
    (OUT / "drawings.json").write_text(json.dumps({"version": 1, "drawings": index}, indent=1) + "\n")
    print(f"wrote {len(index)} drawings to {OUT}")


if __name__ == "__main__":
    main()
