"""What a render style builds: sprites with masks, and the assets of one level in one style."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Sprite:
    rgb: np.ndarray  # [h, w, 3] uint8
    mask: np.ndarray  # [h, w, 1] bool
    dx: int = 0  # px offset of the sprite's top-left from the hit box's top-left
    dy: int = 0


@dataclass
class StyleAssets:
    strip: np.ndarray  # [H, Wlevel, 3] uint8, static level without coins
    coin: Sprite
    player: dict  # (facing, pose) -> Sprite; pose in {"stand", "run", "jump"}
    enemy: list  # [Sprite, Sprite] walk frames
