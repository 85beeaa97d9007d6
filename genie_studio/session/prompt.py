"""Turning any image into a prompt frame: the one fit policy shared by the editor, the CLI and the server.

Policy (``fit_prompt``):
1. Decode with Pillow; refuse files that are not images, empty images and images over 64 megapixels
   (a clear :class:`PromptError`, never a crash or a frozen app).
2. Convert any mode to 8-bit RGB: 16-bit and float greyscale are rescaled to 8 bits, CMYK and
   palette images are converted, transparency is composited onto the sketch paper colour.
3. Scale (area filter) so that the image's height matches the model's (a level is exactly one view
   tall), or its width if the image is narrower than the model's aspect ratio.
4. Crop the other axis to the model's size. Horizontally the window is centred on the player
   (pixels in the palette's player colour), as the game's camera does; with no player it takes the
   left end, where levels start.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from genie_studio.data.palette import PALETTE
from genie_studio.data.probe import player_position

MAX_PIXELS = 64_000_000
PAPER = PALETTE["background"]


class PromptError(ValueError):
    """An image that cannot be used as a prompt; the message says why and what to do."""


def open_image(src) -> Image.Image:
    if isinstance(src, Image.Image):
        return src
    if isinstance(src, np.ndarray):
        return _from_array(src)
    if isinstance(src, (bytes, bytearray)):
        src = io.BytesIO(src)
        name = "image data"
    else:
        name = os.fspath(src)
        if not Path(name).exists():
            raise PromptError(f"{name}: no such file")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(src)
        if img.width * img.height > MAX_PIXELS:
            raise PromptError(f"{name}: {img.width}x{img.height} is too large (limit {MAX_PIXELS // 10**6} "
                              "megapixels); scale it down first")
        img.load()
    except PromptError:
        raise
    except Image.DecompressionBombError as e:
        raise PromptError(f"{name}: the image is too large ({e}); scale it down first") from None
    except UnidentifiedImageError as e:
        raise PromptError(f"{name}: not a readable image ({e}); use PNG, JPEG, WebP, BMP or GIF") from None
    except (OSError, ValueError, SyntaxError) as e:
        raise PromptError(f"{name}: the image is damaged or truncated ({e})") from None
    return img


def _from_array(a: np.ndarray) -> Image.Image:
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4):
        raise PromptError(f"array of shape {a.shape} is not an image (expected HxW, HxWx3 or HxWx4)")
    if a.dtype != np.uint8:
        a = a.astype(np.float64)
        hi = 1.0 if a.max(initial=0) <= 1.0 else (255.0 if a.max() <= 255 else 65535.0)
        a = np.clip(a / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return Image.fromarray(a, "RGBA" if a.shape[2] == 4 else "RGB")


def to_rgb(img: Image.Image) -> Image.Image:
    if img.width == 0 or img.height == 0:
        raise PromptError("the image is empty (0 pixels)")
    img = ImageOps.exif_transpose(img) if hasattr(img, "getexif") else img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = np.zeros_like(a) if hi <= lo else (a - lo) / (hi - lo)
        img = Image.fromarray((a * 255 + 0.5).astype(np.uint8), "L")
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, PAPER + (255,))
        img = Image.alpha_composite(bg, rgba)
    return img.convert("RGB")


def fit_prompt(src, size: tuple[int, int]) -> np.ndarray:
    """Any image -> uint8 RGB array of ``size`` = (H, W), following the policy above."""
    H, W = size
    img = to_rgb(open_image(src))
    w, h = img.size
    scale = H / h if w / h >= W / H else W / w
    nw, nh = max(W, round(w * scale)), max(H, round(h * scale))
    img = img.resize((nw, nh), Image.Resampling.BOX if scale < 1 else Image.Resampling.NEAREST)
    a = np.asarray(img)
    top = (nh - H) // 2
    left = 0
    if nw > W:
        pos = player_position(a)
        if pos is not None:
            left = int(np.clip(round(pos[0] - W / 2), 0, nw - W))
    return np.ascontiguousarray(a[top:top + H, left:left + W])
