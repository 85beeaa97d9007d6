"""Regenerate examples/sketches/*.png (hand-drawn prompt images) and docs/styles.png.

    python examples/make_sketches.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from genie_studio.data.level import TILE, generate_level
from genie_studio.data.render import STYLES, make_episode, render_level_image, wide_width

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [10_000_001, 10_000_007, 10_000_023, 10_000_042, 10_000_077, 10_000_101, 10_000_133, 10_000_211]


def _busy_column(seed: int, res) -> int:
    """The checkpoint whose view holds the most pits, platforms, spikes, coins and enemies."""
    lv = generate_level(seed)
    half = int(res[1] / res[0] * 32) // TILE
    feat = (lv.tiles[:, :] > 1).sum(axis=0) + np.array([lv.ground_top(c) is None for c in range(lv.cols)])
    for c, _ in lv.enemies:
        feat[c] += 2
    return max(lv.checkpoints, key=lambda c: feat[max(c - half, 0) : c + half].sum())


def sketches() -> None:
    out = ROOT / "examples" / "sketches"
    out.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(SEEDS):
        res = (256, 256) if i % 2 == 0 else (256, wide_width(256))
        img = render_level_image(seed, "sketch", res, wobble=1.6, start_col=_busy_column(seed, res))
        Image.fromarray(img).save(out / f"sketch_{i + 1:02d}_{res[1]}x{res[0]}.png", optimize=True)


def styles_grid(per_style: int = 6) -> None:
    rows = []
    for k, style in enumerate(STYLES):
        frames, _, _ = make_episode(20_000_000 + k, style, (128, 128), 8 * per_style)
        rows.append(np.concatenate([np.pad(f, ((2, 2), (2, 2), (0, 0)), constant_values=255)
                                    for f in frames[::8]], axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(ROOT / "docs" / "styles.png", optimize=True)


if __name__ == "__main__":
    sketches()
    styles_grid()
    print("wrote examples/sketches/*.png and docs/styles.png")
