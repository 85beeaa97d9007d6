import json
import re
import threading

import av
import numpy as np
import pytest
from PIL import Image

from genie_studio.export import ExportCancelled, ExportError, ExportOptions, builtin_registry, parse_range
from genie_studio.export.images import gif_delays_cs

R = builtin_registry()


def test_png_sequence(frames, tmp_path):
    out = R.get("png").export(frames, tmp_path / "seq", ExportOptions(scale=3, fps=20, name="run"))
    pngs = sorted(p for p in out if p.suffix == ".png")
    assert len(pngs) == 12 and Image.open(pngs[0]).size == (60, 48)
    assert np.array_equal(np.asarray(Image.open(pngs[5]))[::3, ::3], frames[5])
    meta = json.loads((tmp_path / "seq" / "run.json").read_text())
    assert meta["fps"] == 20 and meta["durations_ms"] == [50] * 12
    with pytest.raises(ExportError, match="not an empty folder"):
        R.get("png").export(frames, tmp_path / "seq", ExportOptions(name="run"))


def test_gif_roundtrip_and_centisecond_rounding(frames, tmp_path):
    p = R.get("gif").export(frames, tmp_path / "a.gif", ExportOptions(fps=15, scale=2))[0]
    im = Image.open(p)
    assert im.n_frames == 12 and im.size == (40, 32) and im.info["loop"] == 0
    delays = []
    for i in range(im.n_frames):
        im.seek(i)
        delays.append(im.info["duration"])
    assert set(delays) <= {60, 70} and abs(sum(delays) - 12 * 1000 / 15) <= 5
    assert gif_delays_cs([50] * 4) == [5] * 4 and gif_delays_cs([5, 5]) == [2, 2]
    once = Image.open(R.get("gif").export(frames, tmp_path / "b.gif", ExportOptions(loop=False))[0])
    assert "loop" not in once.info


def test_apng_roundtrip(frames, tmp_path):
    p = R.get("apng").export(frames, tmp_path / "a.png", ExportOptions(fps=25, frames=(2, 9), scale=1))[0]
    im = Image.open(p)
    assert im.n_frames == 7 and im.size == (20, 16)
    im.seek(3)
    assert im.info["duration"] == 40
    assert np.array_equal(np.asarray(im.convert("RGB")), frames[5])


@pytest.mark.parametrize("fmt,acodec", [("mp4", "aac"), ("webm", "opus")])
def test_video_with_voice_over(recording, tmp_path, fmt, acodec):
    p = R.get(fmt).export(recording, tmp_path / f"v.{fmt}", ExportOptions(scale=2))[0]
    with av.open(str(p)) as c:
        v = c.streams.video[0]
        assert (v.width, v.height) == (40, 32) and float(v.average_rate) == pytest.approx(10, rel=0.05)
        assert sum(1 for _ in c.decode(v)) == 12
    with av.open(str(p)) as c:
        a = c.streams.audio[0]
        assert a.codec_context.name == acodec
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(a)])
        rate = a.rate
    # voice starts 0.2 s into the 1.2 s clip: silence first, then the tone, then it ends with the clip
    lead = np.abs(samples[: int(0.15 * rate)]).max()
    tone = np.abs(samples[int(0.3 * rate): int(0.9 * rate)]).max()
    assert lead < 0.05 and tone > 0.3
    assert len(samples) / rate == pytest.approx(1.2, abs=0.05)


def test_video_without_audio_and_odd_size(frames, tmp_path):
    odd = [f[:15, :19] for f in frames]
    p = R.get("mp4").export(odd, tmp_path / "v.mp4", ExportOptions(fps=30, scale=1))[0]
    with av.open(str(p)) as c:
        assert not c.streams.audio and (c.streams.video[0].width, c.streams.video[0].height) == (20, 16)
        assert sum(1 for _ in c.decode(video=0)) == 12


def test_aseprite_sheet(recording, tmp_path):
    out = R.get("aseprite").export(recording, tmp_path / "s.json", ExportOptions(name="walk", scale=2,
                                                                                  extra={"columns": 5}))
    data = json.loads(out[0].read_text())
    sheet = Image.open(tmp_path / "s.png")
    assert data["meta"]["image"] == "s.png" and sheet.size == (200, 96)
    assert data["meta"]["size"] == {"w": 200, "h": 96}
    assert data["meta"]["frameTags"] == [{"name": "walk", "from": 0, "to": 11, "direction": "forward"}]
    assert len(data["frames"]) == 12 and all(f["duration"] == 100 for f in data["frames"].values())
    f7 = data["frames"]["walk 7.png"]["frame"]
    assert f7 == {"x": 80, "y": 32, "w": 40, "h": 32}
    crop = np.asarray(sheet)[f7["y"]:f7["y"] + 32:2, f7["x"]:f7["x"] + 40:2, :3]
    assert np.array_equal(crop, recording.frame(7))


def test_godot4_tres(frames, tmp_path):
    out = R.get("godot4").export(frames, tmp_path / "g" / "walk.tres",
                                 ExportOptions(name="walk", fps=12, scale=1, extra={"columns": 5}))
    assert [p.name for p in out] == ["walk.tres", "walk.png"]
    text = out[0].read_text()
    assert text.startswith('[gd_resource type="SpriteFrames" load_steps=14 format=3]')
    assert re.findall(r'\[ext_resource type="Texture2D" path="([^"]+)" id="(\w+)"\]', text) == [("walk.png", "1_sheet")]
    assert text.count('"texture": SubResource("AtlasTexture_') == 12 and '"name": &"walk"' in text
    assert "CanvasTexture" not in text and text.count('atlas = ExtResource("1_sheet")') == 12
    assert "region = Rect2(40, 16, 20, 16)" in text  # frame 7: row 1, column 2 of a 5-column sheet
    assert re.search(r'"speed": 12\.0', text) and text.count('"duration": 1.0') == 12
    sheet = np.asarray(Image.open(out[1]).convert("RGB"))
    assert sheet.shape == (3 * 16, 5 * 20, 3) and np.array_equal(sheet[16:32, 40:60], frames[7])


def test_cancel_and_progress_leave_nothing(frames, tmp_path):
    seen, cancel = [], threading.Event()

    def progress(done, total):
        seen.append((done, total))
        if done == 4:
            cancel.set()

    for fmt, name in [("gif", "a.gif"), ("png", "seq"), ("godot3", "g.tres")]:
        seen.clear()
        cancel.clear()
        with pytest.raises(ExportCancelled):
            R.get(fmt).export(frames, tmp_path / name, progress=progress, cancel=cancel)
        assert seen[:2] == [(1, 12), (2, 12)]
        assert list(tmp_path.iterdir()) == []


def test_unwritable_output_fails_clearly_and_leaves_nothing(frames, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for out in [blocker / "sub" / "a.gif", blocker / "a.mp4"]:
        with pytest.raises(ExportError, match="writable folder"):
            R.get("gif" if out.suffix == ".gif" else "mp4").export(frames, out)
    with pytest.raises(ExportError, match="writable folder"):
        R.get("gif").export(frames, "/proc/genie-studio-test/a.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_bad_options_fail_clearly(frames, tmp_path):
    with pytest.raises(ExportError, match="scale"):
        ExportOptions(scale=0)
    with pytest.raises(ExportError, match="A:B"):
        parse_range("3-5")
    assert parse_range("2:") == (2, None) and parse_range(":-1") == (None, -1)
    with pytest.raises(ExportError, match="selects no frames"):
        R.get("gif").export(frames, tmp_path / "never.gif", ExportOptions(frames=(8, 3)))
    with pytest.raises(ExportError, match="unknown export format 'nope'"):
        R.get("nope")
    assert R.for_path("x.webm").name == "webm"
