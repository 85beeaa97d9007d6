"""The semantic sketch palette (docs/palette.md), shared by the generator, the probe and the editor's brushes.

The machine-readable copy lives next to this module in ``palette.json`` (regenerate it with
``python -m genie_studio.data.palette``); a test checks the two agree. See docs/palette.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

PALETTE: dict[str, tuple[int, int, int]] = {
    "background": (0xF4, 0xF1, 0xE8),
    "ground": (0x3B, 0x2F, 0x2F),
    "platform": (0x8B, 0x5A, 0x2B),
    "hazard": (0xD7, 0x26, 0x3D),
    "collectible": (0xF4, 0xC4, 0x30),
    "player": (0x1F, 0x6F, 0xEB),
    "enemy": (0x7B, 0x2C, 0xBF),
    "goal": (0x2A, 0x9D, 0x3A),
}
NAMES: tuple[str, ...] = tuple(PALETTE)
# Euclidean distance in 8-bit RGB; sketch strokes stay within ~25 of their entry, the nearest two
# entries (platform/ground) are ~100 apart, so 48 separates them with margin.
DEFAULT_TOLERANCE = 48.0
JSON_PATH = Path(__file__).with_name("palette.json")

_COLORS = np.array(list(PALETTE.values()), dtype=np.int32)  # [K,3]


def hex_color(name: str) -> str:
    r, g, b = PALETTE[name]
    return f"#{r:02X}{g:02X}{b:02X}"


def classify(rgb: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """Index into ``NAMES`` of the nearest palette entry per pixel, -1 where none is within ``tolerance``.

    ``rgb``: [..., 3] uint8. Metric: Euclidean distance in 8-bit RGB space.
    """
    a = np.asarray(rgb)
    if a.shape[-1] != 3:
        raise ValueError(f"expected [...,3] RGB, got shape {a.shape}")
    flat = a.reshape(-1, 3).astype(np.int32)
    d2 = np.zeros((flat.shape[0], len(_COLORS)), dtype=np.int32)
    for k, c in enumerate(_COLORS):
        diff = flat - c
        d2[:, k] = np.einsum("ij,ij->i", diff, diff)
    idx = d2.argmin(axis=1)
    best = d2[np.arange(flat.shape[0]), idx]
    out = np.where(best <= tolerance * tolerance, idx, -1).astype(np.int64)
    return out.reshape(a.shape[:-1])


def mask(rgb: np.ndarray, name: str, tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """Boolean [...] mask of pixels within ``tolerance`` (Euclidean RGB) of palette entry ``name``."""
    if name not in PALETTE:
        raise KeyError(f"unknown palette entry {name!r}; known: {', '.join(NAMES)}")
    diff = np.asarray(rgb).astype(np.int32) - np.array(PALETTE[name], dtype=np.int32)
    return np.einsum("...i,...i->...", diff, diff) <= tolerance * tolerance


def palette_document() -> dict:
    return {
        "version": 1,
        "metric": "euclidean_rgb8",
        "default_tolerance": DEFAULT_TOLERANCE,
        "entries": [{"name": n, "hex": hex_color(n), "rgb": list(PALETTE[n])} for n in NAMES],
    }


def write_json(path: Path = JSON_PATH) -> None:
    from genie_studio.fsutil import atomic_write_json

    atomic_write_json(path, palette_document())


def load_json(path: Path = JSON_PATH) -> dict[str, tuple[int, int, int]]:
    doc = json.loads(Path(path).read_text())
    return {e["name"]: tuple(e["rgb"]) for e in doc["entries"]}


if __name__ == "__main__":
    write_json()
    print(f"wrote {JSON_PATH}")
