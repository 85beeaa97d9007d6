"""An animated PNG writer with exact frame delays (APNG's fcTL stores each delay as a fraction of a second).

Pillow encodes each frame as a PNG; this module lays their image data out as an APNG
(https://wiki.mozilla.org/APNG_Specification): IHDR, acTL (frame count, plays), then per frame an fcTL
(size, delay_num/delay_den, dispose and blend ops) and its data, IDAT for the first frame (the image a
viewer without APNG support shows) and fdAT for the others. A frame at 30 frames/s is stored as 1/30 s,
which Pillow before 12.1 rounded to 33/1000 s (0.99 s a second).
"""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_U16 = 0xFFFF


def _chunks(png: bytes):
    """(type, data) of each chunk of a PNG file."""
    pos = len(SIGNATURE)
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind = png[pos + 4:pos + 8]
        yield kind, png[pos + 8:pos + 8 + length]
        pos += 12 + length


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def delay_fraction(seconds) -> tuple[int, int]:
    """A frame's delay as APNG's (numerator, denominator), both 16-bit: 1/30 s -> (1, 30)."""
    f = Fraction(seconds).limit_denominator(1000)
    if f.numerator > MAX_U16:  # over 65 s: whole hundredths (denominator 100) as far as they go
        f = Fraction(min(MAX_U16, round(f * 100)), 100)
    return max(f.numerator, 0), f.denominator


def write_apng(path: str | Path, frames, delays, loop: bool = True) -> None:
    """Write RGB frames ([H, W, 3] uint8, all one size) with ``delays`` (seconds, as fractions or
    floats) to ``path``; ``loop`` False plays once."""
    delays = list(delays)
    out = io.BytesIO()
    out.write(SIGNATURE)
    seq, header = 0, None
    for i, frame in enumerate(frames):
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8), "RGB").save(buf, format="PNG")
        parts = list(_chunks(buf.getvalue()))
        ihdr = next(data for kind, data in parts if kind == b"IHDR")
        if header is None:
            header = ihdr
            out.write(_chunk(b"IHDR", ihdr))
            out.write(_chunk(b"acTL", struct.pack(">II", len(delays), 0 if loop else 1)))
        elif ihdr[:8] != header[:8]:
            raise ValueError(f"frame {i} is {ihdr[:8].hex()} and not the first frame's size")
        num, den = delay_fraction(delays[i])
        width, height = struct.unpack(">II", header[:8])
        # dispose_op 0 (none), blend_op 0 (source): each frame replaces the whole canvas
        out.write(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, width, height, 0, 0, num, den, 0, 0)))
        seq += 1
        for kind, data in parts:
            if kind != b"IDAT":
                continue
            if i == 0:
                out.write(_chunk(b"IDAT", data))
            else:
                out.write(_chunk(b"fdAT", struct.pack(">I", seq) + data))
                seq += 1
    if header is None:
        raise ValueError("an animated PNG needs at least one frame")
    out.write(_chunk(b"IEND", b""))
    Path(path).write_bytes(out.getvalue())
