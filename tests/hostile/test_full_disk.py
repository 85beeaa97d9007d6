"""Recording onto a full disk (issue #26 H): before, ``record`` printed two chained OSError tracebacks;
now one line says what is full and what was kept, and the frames already on disk open as a recovered
recording. The disk is the boundary here: ``os.fsync`` answers ENOSPC, as a full file system does."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from genie_studio.cli import main
from genie_studio.recording import Recorder, Recording, RecordingError


def _fill_disk_after(monkeypatch, calls: int):
    real, count = os.fsync, [0]

    def fsync(fd):
        count[0] += 1
        if count[0] > calls:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _recorder(folder):
    return Recorder(folder, model={"name": "m", "config_sha256": "0" * 64, "path": None},
                    prompt=np.zeros((8, 8, 3), np.uint8), labels=["a", "b"], resolution=(8, 8), clock="nominal",
                    flush_interval=60)


def test_a_full_disk_stops_the_recording_with_one_clear_error(tmp_path, monkeypatch):
    rec = _recorder(tmp_path / "r")
    for i in range(3):
        rec.add_frame(np.full((8, 8, 3), i, np.uint8), None if i == 0 else 1)
    rec.flush()  # three frames reach the disk
    _fill_disk_after(monkeypatch, 0)
    rec.add_frame(np.full((8, 8, 3), 9, np.uint8), 0)
    with pytest.raises(RecordingError, match="the disk is full; recording stopped. At least the 3 frames") as e:
        rec.flush()
    assert e.value.__cause__ is None and e.value.__context__ is None or e.value.__suppress_context__
    with pytest.raises(RecordingError, match="disk is full"):
        rec.add_frame(np.zeros((8, 8, 3), np.uint8), 0)  # later frames get the same answer
    kept = rec.close()  # never raises a second error
    monkeypatch.undo()
    assert len(kept) >= 3 and Recording(tmp_path / "r").recovered


def test_record_on_a_full_disk_prints_one_line(tmp_path, monkeypatch, capsys, model_dir):
    prompt = tmp_path / "p.png"
    from PIL import Image

    Image.new("RGB", (16, 16), "white").save(prompt)
    out = tmp_path / "take"
    _fill_disk_after(monkeypatch, 2)  # the prompt and the header are written; the frames are not
    code = main(["record", str(prompt), "--model", str(model_dir), "--actions", "right*6", "--out", str(out),
                 "--no-compile", "--steps", "1"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "the disk is full" in err and "kept" in err and str(out) in err
