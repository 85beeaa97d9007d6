"""Atomic writes are durable: the file is fsynced, then the folder after the rename (issue #15, defect 10)."""

import os
import stat

from genie_studio.fsutil import atomic_write_text


def test_atomic_write_fsyncs_the_folder_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        return real_fsync(fd)

    def replace(a, b):
        synced.append("replace")
        return real_replace(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write_text(tmp_path / "a.json", "{}")
    assert synced == ["file", "replace", "dir"]
    assert (tmp_path / "a.json").read_text() == "{}" and os.listdir(tmp_path) == ["a.json"]
