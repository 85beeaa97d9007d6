"""Decoding a big picture with memory bounded by what is kept, not by the file (issue #26 A).

An image with more than :data:`WORK_PIXELS` pixels is reduced *while it is decoded*, by a whole
factor ``k`` per side, to at most ``WORK_PIXELS``: each output pixel takes, per channel, the darkest
value of its k x k block, so that pencil lines survive (ink is darker than the paper; transparency is
laid on the paper first, as ``to_rgb`` does), and the framing still finds a one-pixel outline. The
framing (``prompt.fit_prompt``) only ever needs the drawing at the model's scale, far below that.
How each format is decoded:

* PNG, not interlaced, any bit depth and colour type but 16-bit colour: strip by strip (two
  megapixels at a time), at most :data:`MAX_INFLATED` bytes of pixel data in all (inflating is what
  takes the time). The inflated scanlines of a strip, after the previous strip's last row, are handed
  to Pillow as a small PNG with the same bytes per pixel, so that its C code undoes the row filters;
  the raw bytes it gives back are turned into pixels here (bit depths, palettes, transparency), then
  reduced. Memory: tens of MB at most.
* JPEG: Pillow's ``draft`` (the decoder's own 1/2, 1/4, 1/8 scaling), then reduced.
* Any other format, an interlaced or 16-bit colour PNG: decoded whole only when Pillow's copy of the
  pixels takes at most :data:`MAX_WHOLE_BYTES`, then reduced strip by strip; else refused.
"""

from __future__ import annotations

import io
import math
import struct
import zlib

import numpy as np
from PIL import Image, UnidentifiedImageError

from genie_studio.data.palette import PALETTE

WORK_PIXELS = 2_000_000  # an image with more pixels is reduced while decoded, to at most this many
MAX_WHOLE_BYTES = 64 << 20  # pixel memory Pillow may hold for a format decoded whole
MAX_INFLATED = 64 << 20  # bytes of PNG image data once inflated (inflating is what takes the time)
STRIP_PIXELS = 2 << 20  # pixels decoded and reduced at once
_PIECE = 1 << 20  # compressed bytes read at once
PAPER = PALETTE["background"]
_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel
_SAME_BPP = {1: 0, 2: 4, 3: 2, 4: 6}  # bytes per pixel -> the 8-bit colour type with as many
_STORED = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}  # Pillow's bytes per pixel (else 4)
_REDUCIBLE = {"1": "L", "I;16": "I", "I;16B": "I", "I;16L": "I", "La": "RGBA", "PA": "RGBA", "RGBa": "RGBA",
              "RGBX": "RGB", "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB", "HSV": "RGB"}


def factor(width: int, height: int, work: int = WORK_PIXELS) -> int:
    """The whole reduction per side that brings ``width x height`` to at most ``work`` pixels."""
    k = max(1, math.ceil(math.sqrt(width * height / work)))
    while math.ceil(width / k) * math.ceil(height / k) > work:
        k += 1
    return k


def decode(src, name: str, error: type[Exception], max_pixels: int, max_side: int,
           work: int = WORK_PIXELS) -> Image.Image:
    """Open and decode ``src`` (a path or a binary file), refusing with ``error(message)`` an image over
    ``max_pixels`` or ``max_side``; one over ``work`` pixels comes back reduced to at most that many."""
    try:
        img = Image.open(src)
        if img.width * img.height > max_pixels or max(img.size) > max_side:
            raise error(f"{name}: {img.width}x{img.height} is too large (limit {max_pixels / 10**6:g} "
                        f"megapixels, {max_side} pixels per side); scale it down first")
        if img.width * img.height > work:
            with img:
                return decode_reduced(img, name, error, work)
        img.load()
        return img
    except error:
        raise
    except Image.DecompressionBombError as e:
        raise error(f"{name}: the image is too large ({e}); scale it down first") from None
    except UnidentifiedImageError as e:
        raise error(f"{name}: not a readable image ({e}); use PNG, JPEG, WebP, BMP or GIF") from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error) as e:
        raise error(f"{name}: the image is damaged or truncated ({e})") from None


def decode_reduced(img: Image.Image, name: str, error: type[Exception], work: int = WORK_PIXELS) -> Image.Image:
    """``img`` (opened by Pillow, not loaded) reduced to at most ``work`` pixels while it is decoded;
    ``error(message)`` for an image that would need more memory than the policy allows."""
    w, h = img.size
    k = factor(w, h, work)
    out = None
    if img.format == "PNG" and not img.info.get("interlace"):
        out = _png_reduced(img.fp, k, name, error)
    if out is None:
        if img.format == "JPEG":
            img.draft(img.mode, (math.ceil(w / k), math.ceil(h / k)))
        need = img.width * img.height * _STORED.get(img.mode, 4)
        if need > MAX_WHOLE_BYTES:
            raise error(f"{name}: a {w}x{h} {img.format} {img.mode} image would take {need >> 20} MB to decode "
                        f"(limit {MAX_WHOLE_BYTES >> 20} MB); save it as an 8-bit PNG or a JPEG, or scale it down")
        img.load()
        out = _reduce_whole(img, factor(img.width, img.height, work))
    for key in ("exif", "XML:com.adobe.xmp"):  # keep the orientation for to_rgb's exif_transpose
        if key in img.info:
            out.info[key] = img.info[key]
    return out


def _reducible(part: Image.Image) -> Image.Image:
    if part.mode == "P":
        return part.convert("RGBA" if "transparency" in part.info else "RGB")
    return part.convert(_REDUCIBLE[part.mode]) if part.mode in _REDUCIBLE else part


def shrink(part: Image.Image, k: int) -> Image.Image:
    """``part`` (mode L, RGB, RGBA, LA or I) reduced by ``k``: the darkest value of each block per
    channel, on the paper where transparent (RGB or L); a box filter for 16-bit grey (I)."""
    if k == 1:
        return part
    if part.mode in ("I", "F"):
        return part.reduce(k)
    if part.mode in ("LA", "RGBA"):
        paper = Image.new("RGBA", part.size, PAPER + (255,))
        part = Image.alpha_composite(paper, part.convert("RGBA")).convert("RGB")
    a = np.asarray(part)
    pad = ((0, -a.shape[0] % k), (0, -a.shape[1] % k)) + ((0, 0),) * (a.ndim - 2)
    if pad[0][1] or pad[1][1]:
        a = np.pad(a, pad, mode="edge")
    rows = a[0::k].copy()
    for i in range(1, k):
        np.minimum(rows, a[i::k], out=rows)
    out = rows[:, 0::k].copy()
    for j in range(1, k):
        np.minimum(out, rows[:, j::k], out=out)
    return Image.fromarray(out)


def _reduce_whole(img: Image.Image, k: int) -> Image.Image:
    """A decoded image reduced by ``k``, a strip at a time (a conversion never copies it all)."""
    if k == 1:
        return img
    w, h = img.size
    rows = max(1, STRIP_PIXELS // (w * k)) * k
    out = None
    for y in range(0, h, rows):
        part = shrink(_reducible(img.crop((0, y, w, min(h, y + rows)))), k)
        if out is None:
            out = Image.new(part.mode, (math.ceil(w / k), math.ceil(h / k)))
        out.paste(part, (0, y // k))
    return out


# ---- PNG, strip by strip -----------------------------------------------------------------------------
def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind)) if kind != b"IDAT" else 0  # Pillow does not check IDAT's
    return b"".join((struct.pack(">I", len(data)), kind, data, struct.pack(">I", crc)))


def _png_chunks(fp, name, error):
    """(kind, data) of the small chunks that matter, then ("IDAT", piece) in pieces of at most 1 MiB."""
    fp.seek(0)
    if fp.read(8) != _SIG:
        raise error(f"{name}: not a PNG file")
    while True:
        head = fp.read(8)
        if len(head) < 8:
            return
        n, kind = struct.unpack(">I4s", head)
        if kind == b"IDAT":
            while n:
                piece = fp.read(min(n, _PIECE))
                if not piece:
                    return
                n -= len(piece)
                yield kind, piece
            fp.read(4)
        elif kind == b"IEND":
            return
        elif kind in (b"IHDR", b"PLTE", b"tRNS"):
            if n > 1024:
                raise error(f"{name}: damaged PNG ({kind.decode()} chunk of {n} bytes)")
            yield kind, fp.read(n)
            fp.read(4)
        else:
            fp.seek(n + 4, 1)


def _png_reduced(fp, k: int, name: str, error) -> Image.Image | None:
    """A non-interlaced PNG reduced by ``k`` strip by strip; None for 16-bit colour (decoded whole)."""
    chunks = _png_chunks(fp, name, error)
    meta: dict[bytes, bytes] = {}
    first = b""
    for kind, data in chunks:
        if kind == b"IDAT":
            first = data
            break
        meta[kind] = data
    if len(meta.get(b"IHDR", b"")) != 13 or not first:
        raise error(f"{name}: damaged PNG (no header or no image data)")
    w, h, depth, ctype = struct.unpack(">IIBB", meta[b"IHDR"][:10])
    if ctype not in _CHANNELS or depth not in (1, 2, 4, 8, 16):
        raise error(f"{name}: damaged PNG (bit depth {depth}, colour type {ctype})")
    ch = _CHANNELS[ctype]
    bpp = max(1, ch * depth // 8)
    if bpp not in _SAME_BPP:
        return None
    rowbytes = (w * ch * depth + 7) // 8
    if rowbytes * h > MAX_INFLATED:
        raise error(f"{name}: a {w}x{h} PNG holds {rowbytes * h >> 20} MB of pixel data (limit {MAX_INFLATED >> 20} MB "
                    f"above {WORK_PIXELS // 10**6} megapixels); scale it down, or save it as a JPEG")
    rows = max(1, STRIP_PIXELS // (w * k)) * k
    look = _Pixels(w, depth, ctype, meta.get(b"PLTE", b""), meta.get(b"tRNS"))
    feed = _Inflated(first, chunks)
    out, prev, y = None, None, 0
    while y < h:
        n = min(rows, h - y)
        lines = feed.read(n * (rowbytes + 1))
        if len(lines) < n * (rowbytes + 1):
            raise error(f"{name}: the image is damaged or truncated (its data ends at row "
                        f"{y + len(lines) // (rowbytes + 1)} of {h})")
        raw = _unfilter(lines, prev, n, rowbytes, bpp)
        prev = raw[-rowbytes:]
        part = shrink(Image.fromarray(*look(raw, n)), k)
        if out is None:
            out = Image.new(part.mode, (math.ceil(w / k), math.ceil(h / k)))
        out.paste(part, (0, y // k))
        y += n
    return out


class _Inflated:
    """The inflated image data of a PNG, read in bounded amounts."""

    def __init__(self, first: bytes, chunks):
        self.d, self.pending, self.chunks, self.done = zlib.decompressobj(), first, chunks, False

    def read(self, size: int) -> bytes:
        buf = bytearray()
        while len(buf) < size:
            got = self.d.decompress(self.pending, size - len(buf))
            self.pending = self.d.unconsumed_tail
            buf += got
            if got or self.pending:
                continue
            if self.done or self.d.eof:
                break
            self.pending = next((data for kind, data in self.chunks if kind == b"IDAT"), b"")
            self.done = not self.pending
        return bytes(buf)


def _unfilter(lines: bytes, prev: bytes | None, n: int, rowbytes: int, bpp: int) -> bytes:
    """Undo the PNG row filters of ``n`` scanlines (each a filter byte + ``rowbytes``): Pillow decodes
    them as an 8-bit PNG with the same bytes per pixel, after the previous row (unfiltered)."""
    head = struct.pack(">IIBBBBB", rowbytes // bpp, n + (prev is not None), 8, _SAME_BPP[bpp], 0, 0, 0)
    body = b"\0" + prev + lines if prev is not None else lines
    png = _SIG + _chunk(b"IHDR", head) + _chunk(b"IDAT", zlib.compress(body, 0)) + _chunk(b"IEND", b"")
    with Image.open(io.BytesIO(png)) as im:
        raw = im.tobytes()
    return raw[rowbytes:] if prev is not None else raw


class _Pixels:
    """Raw PNG rows -> (array, Pillow mode): bit depths unpacked, palettes and transparency applied."""

    def __init__(self, w: int, depth: int, ctype: int, plte: bytes, trns: bytes | None):
        self.w, self.depth, self.ctype, self.trns = w, depth, ctype, trns
        if ctype == 3:
            pal = np.zeros((256, 4), np.uint8)
            pal[:, 3] = 255
            rgb = np.frombuffer(plte[:len(plte) // 3 * 3], np.uint8).reshape(-1, 3)[:256]
            pal[:len(rgb), :3] = rgb
            if trns:
                pal[:len(trns), 3] = np.frombuffer(trns[:256], np.uint8)
            self.palette = pal if trns else np.ascontiguousarray(pal[:, :3])

    def __call__(self, raw: bytes, n: int) -> tuple[np.ndarray, str]:
        a = np.frombuffer(raw, np.uint8).reshape(n, -1)
        w, depth, ctype = self.w, self.depth, self.ctype
        if depth == 1:
            v = np.unpackbits(a, axis=1, count=w)
            if ctype == 3:
                return self._indexed(v)
            return self._keyed(v, v * np.uint8(255), "L")
        if depth < 8:
            shifts = np.arange(8 - depth, -1, -depth, dtype=np.uint8)
            v = ((a[:, :, None] >> shifts) & ((1 << depth) - 1)).reshape(n, -1)[:, :w]
            if ctype == 3:
                return self._indexed(v)
            return self._keyed(v, (v * (255 // ((1 << depth) - 1))).astype(np.uint8), "L")
        if ctype == 3:
            return self._indexed(a[:, :w])
        ch = _CHANNELS[ctype]
        if depth == 8:
            v = a.reshape(n, w, ch)
            if ctype in (0, 2):
                return self._keyed(v, v[..., 0] if ch == 1 else v, "L" if ch == 1 else "RGB")
            return v, "LA" if ch == 2 else "RGBA"
        v16 = a.reshape(n, w, ch, 2)
        if ctype == 0 and not self.trns:  # 16-bit grey keeps its range (to_rgb rescales it)
            return (v16[..., 0, 0].astype(np.int32) << 8) | v16[..., 0, 1], "I"
        full = (v16[..., 0].astype(np.uint16) << 8) | v16[..., 1]
        hi = np.ascontiguousarray(v16[..., 0])
        if ctype == 0:
            return self._keyed(full, hi[..., 0], "L")
        return hi, "LA"  # 16-bit grey + alpha (16-bit colour never comes here)

    def _indexed(self, v: np.ndarray) -> tuple[np.ndarray, str]:
        return self.palette[v], "RGBA" if self.palette.shape[1] == 4 else "RGB"

    def _keyed(self, value: np.ndarray, pixels: np.ndarray, mode: str) -> tuple[np.ndarray, str]:
        """``pixels``, with an alpha channel when tRNS names one colour (``value``) as transparent."""
        if not self.trns or len(self.trns) < 2 * (1 if mode == "L" else 3):
            return np.ascontiguousarray(pixels), mode
        key = np.array(struct.unpack(f">{1 if mode == 'L' else 3}H", self.trns[:2 if mode == "L" else 6]))
        hit = value == key if mode == "L" else (value == key).all(-1)
        alpha = np.where(hit, 0, 255).astype(np.uint8)
        return np.dstack([pixels, alpha]), "LA" if mode == "L" else "RGBA"
