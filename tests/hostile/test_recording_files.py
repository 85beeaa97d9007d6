"""Hostile and damaged recordings (issue #15, defect 8): paths stay inside the folder, decompression
is bounded, and a damaged record costs only its own frame."""

import json
import os
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_studio.export.images import GifExporter
from genie_studio.recording import Recording, RecordingError, chunks, trim
from genie_studio.recording.wav import write_wav
from tests.hostile.recordings import make_recording


def _header(folder):
    return json.loads((folder / "recording.json").read_text())


def _set_header(folder, **changes):
    h = _header(folder)
    h.update(changes)
    (folder / "recording.json").write_text(json.dumps(h))


def test_prompt_outside_the_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"private")
    make_recording(tmp_path / "rec")
    for bad in ("../secret.png", str(secret), "chunks/../../secret.png"):
        _set_header(tmp_path / "rec", prompt=bad)
        with pytest.raises(RecordingError, match="prompt"):
            trim(Recording(tmp_path / "rec"), 1, 3, out=tmp_path / f"copy{len(bad)}")
    _set_header(tmp_path / "rec", prompt="prompt.png")
    (tmp_path / "rec" / "prompt.png").unlink()
    (tmp_path / "rec" / "prompt.png").symlink_to(secret)  # a link leading out is refused too
    with pytest.raises(RecordingError, match="prompt"):
        Recording(tmp_path / "rec")


def test_audio_outside_the_folder_is_never_touched(tmp_path):
    victim = tmp_path / "victim.wav"
    write_wav(victim, np.zeros(1000, np.int16), 16000)
    with open(victim, "ab") as f:
        f.write(b"\x01")  # odd length: repair_wav would rewrite it
    before = victim.read_bytes()
    make_recording(tmp_path / "rec", closed=False, audio={"file": "../victim.wav", "offset": 0.0})
    with pytest.raises(RecordingError, match="audio"):
        Recording(tmp_path / "rec").audio()
    assert victim.read_bytes() == before


def test_a_record_that_inflates_past_its_shape_is_damaged_not_a_memory_bomb(tmp_path):
    make_recording(tmp_path / "rec", n=2)
    m = json.dumps({"i": 2, "t": 0.2, "action": 1, "label": "", "inputs": [], "steps": 2, "temperature": 1.0,
                    "shape": [8, 12, 3]}).encode()
    p = zlib.compress(bytes(64 * 1024 * 1024), 9)  # 64 MiB of zeros in ~64 KiB
    rec = chunks.HEAD.pack(chunks.MAGIC, len(m), len(p), zlib.crc32(m + p)) + m + p
    with open(chunks.chunk_path(tmp_path / "rec", 0), "ab") as f:
        f.write(rec)
    r = Recording(tmp_path / "rec")
    assert len(r) == 3
    tracemalloc.start()
    t = time.perf_counter()
    try:
        with pytest.raises(RecordingError, match="shape"):
            r.frame(2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024 and time.perf_counter() - t < 1.0


def _damage(folder, how):
    c0 = chunks.chunk_path(folder, 0)
    data = bytearray(c0.read_bytes())
    if how == "halved":
        data = data[:len(data) // 2]
    else:
        data[40] ^= 0x01  # inside the first record
    c0.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["flipped", "halved"])
def test_a_damaged_first_chunk_costs_only_its_own_frames(tmp_path, how):
    frames = make_recording(tmp_path / "rec", n=12, per_chunk=4)
    index = [json.loads(x) for x in (tmp_path / "rec" / "index.jsonl").read_text().splitlines()]
    half = chunks.chunk_path(tmp_path / "rec", 0).stat().st_size // 2
    lost = [0] if how == "flipped" else [e["i"] for e in index if e["chunk"] == 0 and e["offset"] + e["size"] > half]
    assert lost and len(lost) < 4
    _damage(tmp_path / "rec", how)
    r = Recording(tmp_path / "rec")
    kept = [f for i, f in enumerate(frames) if i not in lost]
    assert r.recovered and r.dropped and len(r) == len(kept)
    assert all(np.array_equal(a, b) for a, b in zip(r.frames(), kept))
    assert r.info()["dropped"] == r.dropped
    out = GifExporter().export(r, tmp_path / "out.gif")
    assert out and out[0].stat().st_size > 0
    said = r.repair()
    assert said and "chunk-000000.gsr" in said[0]
    again = Recording(tmp_path / "rec")
    assert not again.recovered and not again.dropped and len(again) == len(kept)
    assert any("repair dropped" in n for n in again.header["notes"])
    assert all(np.array_equal(a, b) for a, b in zip(again.frames(), kept))


def test_damage_in_the_middle_keeps_the_frames_after_it(tmp_path):
    frames = make_recording(tmp_path / "rec", n=8, per_chunk=8)
    c0 = chunks.chunk_path(tmp_path / "rec", 0)
    entries = [json.loads(x) for x in (tmp_path / "rec" / "index.jsonl").read_text().splitlines()]
    data = bytearray(c0.read_bytes())
    data[entries[3]["offset"] + 2] ^= 0xFF  # the magic of record 3
    c0.write_bytes(bytes(data))
    r = Recording(tmp_path / "rec")
    assert len(r) == 7 and np.array_equal(r.frame(3), frames[4]) and np.array_equal(r.frame(6), frames[7])


header_value = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats()
                            | st.text(max_size=20) | st.sampled_from(["../x", "/etc/passwd", "prompt.png", ".."]),
                            lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(st.sampled_from(["file", "offset", "name", "action", "steps"]),
                                              inner, max_size=3), max_leaves=6)
HEADER_KEYS = ["resolution", "fps", "labels", "notes", "name", "model", "seed", "steps", "temperature", "prompt",
               "audio", "prefix_actions", "closed", "replayable", "frames"]


def _use(folder):
    """Open and use a recording; only RecordingError may come out."""
    try:
        r = Recording(folder)
        r.info()
        for i in range(len(r)):
            try:
                r.frame(i)
            except RecordingError:
                pass
        r.audio()
    except RecordingError:
        pass


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(HEADER_KEYS), header_value, min_size=1, max_size=3))
def test_generated_headers(tmp_path_factory, changes):
    folder = tmp_path_factory.mktemp("h") / "rec"
    make_recording(folder, n=3)
    _set_header(folder, **changes)
    _use(folder)


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), max_size=5), st.integers(0, 10**6),
       st.booleans(), st.binary(max_size=64))
def test_damaged_chunks_and_index(tmp_path_factory, flips, cut, cut_it, index_junk):
    folder = tmp_path_factory.mktemp("c") / "rec"
    frames = make_recording(folder, n=6, per_chunk=3)
    c = chunks.chunk_path(folder, 1)
    data = bytearray(c.read_bytes())
    for i, x in flips:
        data[i % len(data)] ^= x
    c.write_bytes(bytes(data[:cut % (len(data) + 1)] if cut_it else data))
    with open(folder / "index.jsonl", "ab") as f:
        f.write(index_junk)
    r = Recording(folder)
    assert len(r) >= 3  # chunk 0 is intact whatever happened to chunk 1
    for i in range(3):
        assert np.array_equal(r.frame(i), frames[i])
    _use(folder)
    if r.recovered:
        r.repair()
        assert not Recording(folder).dropped


def test_file_names_inside(tmp_path):
    from genie_studio.recording.meta import inside

    os.symlink(tmp_path, tmp_path / "loop")
    assert inside(tmp_path, "a.png") == tmp_path / "a.png"
    for bad in ("", ".", "..", "../a", "a/b", "a\\b", "a\0b", "loop", 5, None):
        assert inside(tmp_path, bad) is None, bad
