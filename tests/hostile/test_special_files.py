"""Links and special files where a recording or a project should be (issue #26 E, F): a ``chunks``
link out of a recording is refused before repair can write through it; a FIFO or a /dev/zero link as
a chunk, a header or a project is refused or skipped at once, never read (no hang, no MemoryError)."""

from __future__ import annotations

import os
import sys
import time

import pytest

from genie_studio.project.document import ProjectError, load_project
from genie_studio.recording import Recording, RecordingError
from tests.hostile.recordings import make_recording

posix = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
                           reason="FIFOs and /dev/zero are POSIX")


def test_repair_never_writes_through_a_chunks_link(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    rec = tmp_path / "rec"
    rec.mkdir()
    make_recording(rec, n=8, per_chunk=4)
    (rec / "chunks").rename(elsewhere)
    (rec / "chunks").symlink_to(elsewhere, target_is_directory=True)
    victim = elsewhere / "chunk-000001.gsr"
    victim.write_bytes(victim.read_bytes()[:-5])  # damaged: repair would rewrite it
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    with pytest.raises(RecordingError, match="chunks.*not a folder inside the recording"):
        Recording(rec).repair()
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before


@posix
def test_a_fifo_chunk_is_skipped_not_read(tmp_path):
    rec = tmp_path / "rec"
    rec.mkdir()
    make_recording(rec, n=8, per_chunk=4)
    chunk = rec / "chunks" / "chunk-000001.gsr"
    chunk.unlink()
    os.mkfifo(chunk)
    t = time.monotonic()
    r = Recording(rec)
    assert len(r) == 4 and r.recovered and "not a regular file" in r.dropped[0]
    r.repair()  # the pipe goes; the four good frames stay
    assert len(Recording(rec)) == 4 and not chunk.exists()
    assert time.monotonic() - t < 2


@posix
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_special_header_is_a_recording_error(tmp_path, special):
    rec = tmp_path / "rec"
    rec.mkdir()
    make_recording(rec, n=4)
    header = rec / "recording.json"
    header.unlink()
    os.mkfifo(header) if special == "fifo" else header.symlink_to(special)
    t = time.monotonic()
    with pytest.raises(RecordingError, match="not a regular file"):
        Recording(rec)
    assert time.monotonic() - t < 2


@posix
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_special_project_is_a_project_error(tmp_path, special):
    project = tmp_path / "p.genie"
    os.mkfifo(project) if special == "fifo" else project.symlink_to(special)
    t = time.monotonic()
    with pytest.raises(ProjectError, match="not a project file"):
        load_project(project)
    assert time.monotonic() - t < 2


def test_a_folder_named_like_a_project_is_a_project_error(tmp_path):
    (tmp_path / "p.genie").mkdir()
    with pytest.raises(ProjectError, match="folder"):
        load_project(tmp_path / "p.genie")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_chunk_link_is_skipped(tmp_path):
    rec = tmp_path / "rec"
    rec.mkdir()
    make_recording(rec, n=8, per_chunk=4)
    outside = tmp_path / "outside.gsr"
    (rec / "chunks" / "chunk-000001.gsr").rename(outside)
    (rec / "chunks" / "chunk-000001.gsr").symlink_to(outside)
    r = Recording(rec)
    assert len(r) == 4 and "not a regular file" in r.dropped[0]
    r.repair()
    assert outside.exists() and len(Recording(rec)) == 4
