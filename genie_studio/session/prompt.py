"""Turning any image into a prompt frame: the one fit policy shared by the editor, the CLI and the server.

Policy (``fit_prompt``):
1. Decode with Pillow; refuse files that are not images, empty images and images over 64 megapixels
   (a clear :class:`PromptError`, never a crash or a frozen app).
2. Convert any mode to 8-bit RGB: 16-bit and float greyscale are rescaled to 8 bits, CMYK and
   palette images are converted, transparency is composited onto the sketch paper colour.
3. Frame it as the training camera would (``frame_player``):
   - find the player by the palette's player colour; scale so that it is as tall as in the training
     frames (``PLAYER_SHARE`` of the view height), whatever scale the designer drew at;
   - centre the view on the player horizontally, clamped to the drawing (a level's end stays at the
     frame's edge, as the camera does at a level's end);
   - put the drawing's bottom edge at the bottom of the view, where the ground is in training, and
     raise the view only if the player would leave it;
   - where the view reaches past the drawing (a drawing shorter or narrower than the view), extend
     its edge pixels: the sky above, the ground to the sides.
   With no player (or ``frame_player=False``) the image is scaled so that its height fills the view
   (its width, if narrower than the view) and the window takes the left end, where levels start.
4. Reduce to the model's size without losing thin lines: when the strokes are thinner than what one
   model pixel covers (pencil lines in a big drawing), reduce by keeping the inkiest pixel of each
   2x2 block until a box filter can finish the job; otherwise a box filter (area average). Only the
   window is ever resampled, so memory stays bounded by the drawing and the model's frame, whatever
   the aspect ratio (a 20000x1 image costs nothing).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from genie_studio.data.palette import PALETTE, mask
from genie_studio.data.probe import PLAYER_TOLERANCE
from genie_studio.session import image_decode

MAX_PIXELS = 64_000_000
MAX_SIDE = 65_535  # pixels per side (a wider row alone would not fit the decoding budget)
PAPER = PALETTE["background"]


class PromptError(ValueError):
    """An image that cannot be used as a prompt; the message says why and what to do."""


def open_image(src) -> Image.Image:
    """Any image source -> a decoded Pillow image. Files and bytes over ``image_decode.WORK_PIXELS`` come
    back reduced while decoded (memory bounded by the output: ``session/image_decode.py``); only
    regular files are opened (a FIFO or a device is refused, never read)."""
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
        if not Path(name).is_file():
            raise PromptError(f"{name}: not a regular file (a folder, a device or a pipe); choose an image file")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return image_decode.decode(src, name, PromptError, MAX_PIXELS, MAX_SIDE)


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


PLAYER_SHARE = 34 / 256  # player height / view height in training frames (tests/session/test_prompt.py)
SNAP = 0.1  # a drawing within 10% of the training scale is fitted by its height alone (no resampling blur)
INK_THRESHOLD = 60.0  # RGB distance from the paper colour beyond which a pixel is ink
THIN = 0.8  # share of ink in strokes thinner than half a model pixel that makes a drawing "pencil"
MAX_ANALYSIS_PIXELS = 4_000_000  # the thin-stroke test runs on windows up to this size
MAX_SCREENS = 32  # the longest level a session keeps, in views (fit_strip)


def player_box(a: np.ndarray) -> tuple[float, float, float] | None:
    """(centre x, top y, bottom y) in pixels of the player-coloured figure, or None when there is none.

    Stray player-coloured pixels elsewhere are ignored: pixels far from the median (more than a quarter
    of the image height) do not count; a figure must be at least 3 pixels tall."""
    h = a.shape[0]
    ys, xs = np.nonzero(mask(a, "player", PLAYER_TOLERANCE))
    if len(xs) < 3:
        return None
    mx, my = np.median(xs), np.median(ys)
    r = max(h / 4, 4)
    keep = (np.abs(xs - mx) <= r) & (np.abs(ys - my) <= r)
    if keep.sum() < 3:
        return None
    ys, xs = ys[keep], xs[keep]
    top, bottom = float(ys.min()), float(ys.max() + 1)
    if bottom - top < 3:
        return None
    return float((xs.min() + xs.max() + 1) / 2), top, bottom


def _window(img_hw, size, box, frame_player: bool):
    """The source window (x0, y0, width, height) in source pixels; it may reach past the image."""
    h, w = img_hw
    H, W = size
    if frame_player and box is not None:
        cx, top, bottom = box
        f = (bottom - top) / (PLAYER_SHARE * H)  # source pixels per model pixel
        if abs(f / (h / H) - 1) < SNAP:
            f = h / H
        ww, wh = W * f, H * f
        x0 = (w - ww) / 2 if ww >= w else float(np.clip(cx - ww / 2, 0, w - ww))
        y0 = h - wh
        margin = wh / 8  # a tile of sky above the player's head
        if top - margin < y0:
            y0 = top - margin
        return x0, y0, ww, wh
    f = h / H if w / h >= W / H else w / W
    ww, wh = W * f, H * f
    x0 = float(np.clip(box[0] - ww / 2, 0, w - ww)) if box is not None and ww < w else 0.0
    return x0, (h - wh) / 2, ww, wh


def _ink(a: np.ndarray) -> np.ndarray:
    d = a.astype(np.int32) - np.array(PAPER, np.int32)
    return np.einsum("...i,...i->...", d, d)


def _thin_share(a: np.ndarray, f: float) -> float:
    """The share of ink in strokes thinner than about half a model pixel (that a box filter would fade).
    Pencil drawings score ~1.0, marker 0.4-0.7, filled shapes < 0.1, the training renderer 0.25-0.4."""
    k = int(np.ceil(f / 2))
    if k < 2 or a.shape[0] * a.shape[1] > MAX_ANALYSIS_PIXELS:
        return 0.0
    ink = _ink(a) > INK_THRESHOLD ** 2
    n = int(ink.sum())
    if n == 0:
        return 0.0
    core = ink
    for axis in (0, 1):  # erosion by a k x k square: a run of k inked pixels along each axis
        c = np.cumsum(np.pad(core, [(1, 0) if i == axis else (0, 0) for i in range(2)]).astype(np.int32), axis)
        win = np.take(c, range(k, c.shape[axis]), axis) - np.take(c, range(0, c.shape[axis] - k), axis)
        core = win == k
    return 1 - core.sum() / n


def _ink_pool(a: np.ndarray) -> np.ndarray:
    """Halve the size, keeping from each 2x2 block its inkiest pixel."""
    h, w = a.shape[0] // 2 * 2, a.shape[1] // 2 * 2
    blocks = a[:h, :w].reshape(h // 2, 2, w // 2, 2, 3).transpose(0, 2, 1, 3, 4).reshape(h // 2, w // 2, 4, 3)
    pick = _ink(blocks).argmax(-1)
    return np.take_along_axis(blocks, pick[..., None, None], 2)[:, :, 0]


def _ink_resize(a: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """Resize by less than 2x per axis, each output pixel taking the inkiest of the (up to 3x3) source
    pixels it covers: no blending of a 1-pixel line into a faint tint."""

    def spans(n_out: int, n_in: int) -> list[np.ndarray]:
        lo = np.minimum((np.arange(n_out) * n_in / n_out).astype(int), n_in - 1)
        hi = np.clip(np.ceil((np.arange(n_out) + 1) * n_in / n_out).astype(int) - 1, lo, n_in - 1)
        return [lo, np.minimum(lo + 1, hi), hi]

    cands = np.stack([a[ys][:, xs] for ys in spans(oh, a.shape[0]) for xs in spans(ow, a.shape[1])], 2)
    pick = _ink(cands).argmax(-1)
    return np.take_along_axis(cands, pick[..., None, None], 2)[:, :, 0]


def fit_prompt(src, size: tuple[int, int], frame_player: bool = True) -> np.ndarray:
    """Any image -> uint8 RGB array of ``size`` = (H, W), following the policy above."""
    H, W = size
    img = to_rgb(open_image(src))
    w, h = img.size
    x0, y0, ww, wh = _window((h, w), (H, W), player_box(np.asarray(img)), frame_player)
    return _render(img, (x0, y0, ww, wh), (H, W))


def fit_strip(src, size: tuple[int, int], frame_player: bool = True, patch: int = 4,
              max_screens: int = MAX_SCREENS) -> tuple[np.ndarray, int]:
    """The whole drawing at the model's scale: (strip [H, Ws, 3] uint8, view x in pixels).

    The same policy as :func:`fit_prompt` (scale, vertical placement, the view framed on the player),
    but the window spans the drawing's whole width, so that ``strip[:, x:x + W]`` is the prompt frame
    and the rest is the level beyond the view. ``Ws`` and the view's x are multiples of ``patch`` (the
    camera moves in token columns); a drawing no wider than the view gives a strip one view wide. At
    most ``max_screens`` views are kept, around the first one (bounded memory for absurd aspect ratios).
    """
    H, W = size
    img = to_rgb(open_image(src))
    w, h = img.size
    x0, y0, ww, wh = _window((h, w), (H, W), player_box(np.asarray(img)), frame_player)
    f = wh / H  # source pixels per model pixel
    sx0, sx1 = min(x0, 0.0), max(x0 + ww, float(w))
    width = max(W, int(np.ceil((sx1 - sx0) / f / patch - 1e-6)) * patch)
    width = min(width, max(W, max_screens * W // patch * patch))
    view = int(np.clip(round((x0 - sx0) / f / patch) * patch, 0, width - W))
    if width == max_screens * W // patch * patch and (sx1 - sx0) / f > width:  # crop around the view
        left = int(np.clip(view - (width - W) // 2, 0, (sx1 - sx0) / f - width)) // patch * patch
        sx0, view = sx0 + left * f, view - left
    strip = _render(img, (sx0, y0, width * f, wh), (H, width))
    return strip, view


def _render(img: Image.Image, window: tuple[float, float, float, float], size: tuple[int, int]) -> np.ndarray:
    """The source ``window`` (x0, y0, width, height; it may reach past the image) resampled to ``size``."""
    H, W = size
    w, h = img.size
    x0, y0, ww, wh = window
    f = wh / H  # source pixels per model pixel
    # the part of the window inside the image, and where it lands in the model frame
    ix0, iy0 = max(0, int(round(x0))), max(0, int(round(y0)))
    ix1, iy1 = min(w, int(round(x0 + ww))), min(h, int(round(y0 + wh)))
    ox0 = int(np.clip(round((ix0 - x0) / f), 0, W - 1))
    oy0 = int(np.clip(round((iy0 - y0) / f), 0, H - 1))
    ow = int(np.clip(round((ix1 - ix0) / f), 1, W - ox0))
    oh = int(np.clip(round((iy1 - iy0) / f), 1, H - oy0))
    part = img.crop((ix0, iy0, max(ix1, ix0 + 1), max(iy1, iy0 + 1)))
    if f >= 2 and _thin_share(np.asarray(part), f) > THIN:
        a = np.asarray(part)
        while a.shape[0] >= 2 * oh and a.shape[1] >= 2 * ow:
            a = _ink_pool(a)
        inner = _ink_resize(a, oh, ow)
    else:
        resample = Image.Resampling.BOX if f >= 1 else Image.Resampling.NEAREST
        inner = np.asarray(part.resize((ow, oh), resample))
    out = np.pad(inner, ((oy0, H - oy0 - oh), (ox0, W - ox0 - ow), (0, 0)), mode="edge")
    return np.ascontiguousarray(out)
