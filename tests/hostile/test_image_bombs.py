"""Image bombs under the pixel limit (issue #26 A): a prompt is decoded with memory bounded by what
the framing keeps, not by the file; what would cost more is refused with a clear PromptError."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest
from PIL import Image

from genie_studio.session import image_decode
from genie_studio.session.prompt import PromptError, fit_prompt


def png(width: int, height: int, depth: int, ctype: int, row: bytes, rows: int | None = None) -> bytes:
    """A PNG whose every scanline is ``row`` (filter byte included), built without a canvas; with
    ``rows``, its data stops after that many (the header still says ``height``)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z = zlib.compressobj(9)
    body = b"".join(z.compress(row) for _ in range(height if rows is None else rows)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, ctype, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def one_bit_bomb() -> bytes:
    """The reported file: 8000x8000, 1 bit per pixel, a few KB; 2 GB and 10 s to frame before."""
    return png(8000, 8000, 1, 0, b"\0" + b"\xff" * 1000)


def _measured(path) -> dict:
    """fit_prompt(path) in a fresh process: its peak RSS over the imports' and its seconds."""
    code = textwrap.dedent(f"""
        import json, resource, time
        from genie_studio.session.prompt import fit_prompt
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        try:
            out = fit_prompt({str(path)!r}, (64, 64)).shape
        except Exception as e:
            out = type(e).__name__ + ": " + str(e)
        took = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"out": str(out), "s": took, "mb": (peak - base) / 1024}}))
    """)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(sys.platform == "win32", reason="ru_maxrss is POSIX")
def test_one_bit_bomb_is_framed_in_bounded_memory_and_time(tmp_path):
    f = tmp_path / "bomb.png"
    f.write_bytes(one_bit_bomb())
    assert f.stat().st_size < 20_000
    m = _measured(f)
    assert m["out"] == "(64, 64, 3)", m
    assert m["mb"] < 100, m  # before: 1.9 GB
    assert m["s"] < 3.0, m  # before: 6-10 s (about 1 s on an idle core)


def test_rgb_bomb_is_refused_at_once():
    bomb = png(7999, 8000, 8, 2, b"\0" + b"\xff" * (7999 * 3), rows=1)  # refused from its header
    with pytest.raises(PromptError, match="pixel data.*scale it down"):
        fit_prompt(bomb, (64, 64))


def test_too_wide_is_refused():
    with pytest.raises(PromptError, match="too large"):
        fit_prompt(png(70_000, 2, 1, 0, b"\0" + bytes(8750)), (64, 64))


def _png_of(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def _kinds():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (101, 203, 3), dtype=np.uint8)
    pal = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return {
        "rgb": (Image.fromarray(rgb), {}),
        "rgba": (Image.fromarray(np.dstack([rgb, rgb[..., 0]])), {}),
        "grey": (Image.fromarray(rgb[..., 1]), {}),
        "grey+alpha": (Image.fromarray(rgb[..., :2].copy(), "LA"), {}),
        "1-bit": (Image.fromarray(rgb[..., 0] > 128), {}),
        "palette 4-bit": (pal, {"bits": 4}),
        "palette transparent": (pal, {"transparency": 3}),
        "grey 16-bit": (Image.fromarray(rgb[..., 2].astype(np.uint16) * 200), {}),
        "rgb keyed": (Image.fromarray(rgb), {"transparency": tuple(int(x) for x in rgb[0, 0])}),
    }


@pytest.mark.parametrize("kind", list(_kinds()))
def test_strip_decoding_matches_decoding_whole(kind):
    img, kw = _kinds()[kind]
    data = _png_of(img, **kw)
    with Image.open(io.BytesIO(data)) as opened:
        got = image_decode.decode_reduced(opened, kind, PromptError, work=3000)
    whole = Image.open(io.BytesIO(data))
    whole.load()
    if "transparency" in whole.info and whole.mode in ("L", "RGB"):  # a keyed colour is transparent
        whole = whole.convert("LA" if whole.mode == "L" else "RGBA")
    want = image_decode._reduce_whole(whole, image_decode.factor(*whole.size, 3000))
    assert got.size == want.size and got.mode == want.mode
    assert np.array_equal(np.asarray(got), np.asarray(want))


def test_a_truncated_big_png_is_damaged_not_a_crash():
    data = one_bit_bomb()
    with pytest.raises(PromptError, match="damaged or truncated"):
        fit_prompt(data[: len(data) // 2], (64, 64))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_prompt_is_refused_without_reading(tmp_path):
    fifo = tmp_path / "prompt.png"
    os.mkfifo(fifo)
    with pytest.raises(PromptError, match="not a regular file"):
        fit_prompt(fifo, (64, 64))
