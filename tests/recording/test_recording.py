import hashlib
import json

import numpy as np
import pytest

from genie_studio.config import paths
from genie_studio.recording import (
    Recorder,
    Recording,
    RecordingError,
    ReplayError,
    delete,
    list_recordings,
    rename,
    replay,
    trim,
)
from genie_studio.recording import chunks as chunks_mod
from genie_studio.recording.wav import read_wav, write_wav
from genie_studio.session.world_session import WorldSession

SPEC = ["right"] * 6 + ["jump", "left", "noop", "right"]


def record(model_dir, prompt, folder, seed=3, actions=SPEC, **kw):
    s = WorldSession(model_dir, precision="fp32", seed=seed)
    r = Recorder.for_session(s, folder, prompt, **kw)
    for a in actions:
        r.step(a, inputs=[{"key": a}])
    return r.close(), s


def test_records_everything_and_reopens(model_dir, prompt, tmp_path):
    rec, s = record(model_dir, prompt, tmp_path / "rec", fps=20, clock="nominal")
    again = Recording(tmp_path / "rec")
    assert len(again) == len(SPEC) + 1 and not again.recovered
    assert again.actions == [None] + s.actions
    assert [m["label"] for m in again.metas()[1:]] == SPEC
    assert again.metas()[1]["inputs"] == [{"key": "right"}] and again.metas()[0]["inputs"] == []
    assert again.timestamps == pytest.approx([i / 20 for i in range(len(SPEC) + 1)])
    for a, b in zip(again.frames(), s.frames):
        assert np.array_equal(a, b)
    h = again.header
    assert h["model"]["config_sha256"] == hashlib.sha256((model_dir / "config.json").read_bytes()).hexdigest()
    assert h["model"]["name"] == "tiny-test" and h["seed"] == 3 and h["steps"] == s.steps and h["temperature"] == 1.0
    assert (tmp_path / "rec" / "prompt.png").is_file()
    assert again.durations_ms() == [50] * len(again)


def test_replay_is_deterministic_and_checks_the_model(model_dir, prompt, tmp_path):
    rec, _ = record(model_dir, prompt, tmp_path / "rec")
    out = list(replay(rec))
    assert len(out) == len(rec)
    assert all(np.array_equal(a, b) for a, b in zip(out, rec.frames()))
    # a different seed gives different frames: the check above can fail
    other, _ = record(model_dir, prompt, tmp_path / "rec2", seed=4)
    assert not all(np.array_equal(a, b) for a, b in zip(other.frames(), rec.frames()))
    from genie_studio.world.tiny import tiny_world

    with pytest.raises(ReplayError, match="config sha256"):
        list(replay(rec, model=tiny_world(seed=5)))


def test_a_copy_decoder_recording_replays_with_its_decoder(model_dir, prompt, tmp_path):
    s = WorldSession(model_dir, precision="fp32", seed=3, decoder="copy", endless=True)
    r = Recorder.for_session(s, tmp_path / "rec", prompt)
    for a in SPEC:
        r.step(a)
    rec = r.close()
    assert rec.header["decoder"] == "copy" and rec.header["endless"] is True
    assert all(np.array_equal(a, b) for a, b in zip(replay(rec), rec.frames()))
    # recordings made before the copy decoder have no decoder field: they replay with the free one
    old, _ = record(model_dir, prompt, tmp_path / "old")
    h = json.loads((old.folder / "recording.json").read_text())
    assert h.pop("decoder") == "free"
    (old.folder / "recording.json").write_text(json.dumps(h))
    assert all(np.array_equal(a, b) for a, b in zip(replay(Recording(old.folder)), old.frames()))


def test_trim_keeps_replay_and_cuts_audio(model_dir, prompt, tmp_path):
    rec, _ = record(model_dir, prompt, tmp_path / "rec", fps=10, clock="nominal")
    rate = 8000
    write_wav(rec.folder / "voice.wav", np.arange(rate * 2, dtype=np.int16)[:, None], rate)
    rec.header["audio"] = {"file": "voice.wav", "offset": 0.0, "samplerate": rate, "channels": 1}
    (rec.folder / "recording.json").write_text(json.dumps(rec.header))
    rec = Recording(rec.folder)
    frames = list(rec.frames())
    t = trim(rec, 3, 8)
    assert len(t) == 5 and t.folder == rec.folder
    assert all(np.array_equal(a, b) for a, b in zip(t.frames(), frames[3:8]))
    assert len(t.header["prefix_actions"]) == 3 and t.timestamps[0] == 0.0
    assert all(np.array_equal(a, b) for a, b in zip(replay(t), frames[3:8]))
    samples, r = read_wav(t.audio_path)
    assert r == rate and samples[0, 0] == int(0.3 * rate) and len(samples) == int(0.5 * rate)
    with pytest.raises(RecordingError, match="bad trim range"):
        trim(t, 4, 2)


def test_list_rename_delete(model_dir, prompt, tmp_path):
    root = paths().recordings
    rec, _ = record(model_dir, prompt, root / "first", actions=["right"])
    record(model_dir, prompt, root / "second", actions=["left"])
    assert sorted(r.folder.name for r in list_recordings()) == ["first", "second"]
    renamed = rename(rec, "Jump test: 1/2")
    assert renamed.folder.name == "Jump test_ 1_2" and renamed.name == "Jump test: 1/2"
    with pytest.raises(RecordingError, match="already exists"):
        rename(renamed, "second")
    (tmp_path / "notrec").mkdir()
    with pytest.raises(RecordingError, match="refusing"):
        delete(tmp_path / "notrec")
    delete(renamed)
    assert [r.folder.name for r in list_recordings(root)] == ["second"]
    with pytest.raises(RecordingError, match="not empty"):
        record(model_dir, prompt, root / "second")


def test_chunks_roll_and_torn_tail_recovers(model_dir, prompt, tmp_path, monkeypatch):
    monkeypatch.setattr(chunks_mod, "CHUNK_FRAMES", 4)
    rec, _ = record(model_dir, prompt, tmp_path / "rec")
    assert len(list((tmp_path / "rec" / "chunks").iterdir())) == 3
    frames = list(rec.frames())
    # simulate a crash: the index lost its last 3 lines, a torn record sits at the end of the last chunk
    idx = tmp_path / "rec" / "index.jsonl"
    lines = idx.read_text().splitlines(True)
    idx.write_text("".join(lines[:-3]) + lines[-3][:10])
    last = sorted((tmp_path / "rec" / "chunks").iterdir())[-1]
    with open(last, "ab") as f:
        f.write(chunks_mod.encode({"i": 99}, frames[0])[:-7])
    h = json.loads((tmp_path / "rec" / "recording.json").read_text())
    h["closed"] = False
    (tmp_path / "rec" / "recording.json").write_text(json.dumps(h))
    back = Recording(tmp_path / "rec")
    assert back.recovered and len(back) == len(frames)
    assert all(np.array_equal(a, b) for a, b in zip(back.frames(), frames))
    back.repair()
    again = Recording(tmp_path / "rec")
    assert not again.recovered and len(again) == len(frames)
    assert "recovered after a crash" in again.header["notes"]


def test_bad_folders_fail_clearly(tmp_path):
    with pytest.raises(RecordingError, match="no such recording"):
        Recording(tmp_path / "nope")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "recording.json").write_text("{")
    with pytest.raises(RecordingError, match="unreadable"):
        Recording(tmp_path / "x")
