"""Exports a designer can post at once (#27 item 2): a crisp default size, exact frame timing."""

import json
import struct
from fractions import Fraction

import av
import numpy as np
import pytest
from PIL import Image

from genie_studio.cli import main
from genie_studio.export import ExportError, ExportOptions, auto_scale, builtin_registry, default_registry, parse_scale
from genie_studio.export.apng import _chunks
from tests.export.conftest import make_frames

R = builtin_registry()


def test_auto_scale_is_the_smallest_whole_upscale_to_512():
    assert auto_scale(64, 64) == 8 and auto_scale(20, 16) == 26 and auto_scale(456, 256) == 2
    assert auto_scale(512, 300) == 1 and auto_scale(1024, 768) == 1
    assert parse_scale("auto") is None and parse_scale("3") == 3
    with pytest.raises(ExportError, match="auto or a whole number"):
        parse_scale("1.5")


def test_default_export_is_crisp_and_at_least_512(tmp_path):
    frames = make_frames(3, (64, 64))
    gif = Image.open(R.get("gif").export(frames, tmp_path / "a.gif")[0])
    assert gif.size == (512, 512)
    got = np.asarray(gif.convert("RGB"))
    assert np.array_equal(got[::8, ::8], np.asarray(Image.fromarray(frames[0]).quantize(256).convert("RGB")))
    assert np.array_equal(got[3::8, 5::8], got[::8, ::8])  # nearest-neighbour: each pixel an 8x8 square
    own = Image.open(R.get("gif").export(frames, tmp_path / "b.gif", ExportOptions(scale=1))[0])
    assert own.size == (64, 64)


def test_cli_export_scale_auto_and_explicit(recording, tmp_path):
    assert main(["export", str(recording.folder), "--out", str(tmp_path / "a.png")]) == 0
    assert Image.open(tmp_path / "a.png").size == (520, 416)  # 20x16 frames, 26x
    assert main(["export", str(recording.folder), "--out", str(tmp_path / "b.png"), "--scale", "1"]) == 0
    assert Image.open(tmp_path / "b.png").size == (20, 16)
    assert main(["export", str(recording.folder), "--out", str(tmp_path / "c.png"), "--scale", "big"]) == 1


def test_ms_durations_keep_the_running_total(tmp_path):
    clip_ms = R.get("aseprite").export(make_frames(30), tmp_path / "s.json", ExportOptions(fps=30, scale=1))[0]
    doc = json.loads(clip_ms.read_text())
    ms = [f["duration"] for f in doc["frames"].values()]
    assert sum(ms) == 1000 and set(ms) == {33, 34} and doc["meta"]["fps"] == 30


def test_apng_stores_one_thirtieth_of_a_second(tmp_path):
    p = R.get("apng").export(make_frames(30), tmp_path / "a.png", ExportOptions(fps=30, scale=1))[0]
    delays = [struct.unpack(">HH", data[20:24]) for kind, data in _chunks(p.read_bytes()) if kind == b"fcTL"]
    assert delays == [(1, 30)] * 30
    im = Image.open(p)
    total = 0.0
    for i in range(im.n_frames):
        im.seek(i)
        total += im.info["duration"]
    assert total == pytest.approx(1000, abs=1e-6)
    assert np.array_equal(np.asarray(im.convert("RGB")), make_frames(30)[29])
    with av.open(str(p)) as c:  # FFmpeg reads it too
        assert sum(1 for _ in c.decode(video=0)) == 30


def test_webp_lasts_exactly_one_second_at_30fps(tmp_path):
    registry = default_registry()
    if "webp" not in registry:
        pytest.skip("the webp plugin is not loaded")
    p = registry.get("webp").export(make_frames(30), tmp_path / "a.webp", ExportOptions(fps=30, scale=1))[0]
    im = Image.open(p)
    durations = []
    for i in range(im.n_frames):
        im.seek(i)
        im.load()  # WebP fills info["duration"] when the frame is decoded
        durations.append(im.info["duration"])
    assert sum(durations) == 1000 and set(durations) == {33, 34}


def test_mp4_frames_fall_on_exact_thirtieths(tmp_path):
    p = R.get("mp4").export(make_frames(30), tmp_path / "a.mp4", ExportOptions(fps=30, scale=1))[0]
    with av.open(str(p)) as c:
        times = [Fraction(f.pts) * f.time_base for f in c.decode(video=0)]
    assert times == [Fraction(i, 30) for i in range(30)]
