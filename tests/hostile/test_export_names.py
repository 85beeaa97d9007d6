"""An animation name cannot lead an export out of its folder (issue #26 I): ``--name '../../..'``
wrote outside ``--out`` and put the traversal into the ``.tres`` paths; now it is sanitised as a
recording's name is."""

from __future__ import annotations

import pytest

from genie_studio.export import ExportError, ExportOptions, default_registry
from genie_studio.recording import Recording
from tests.hostile.recordings import make_recording


@pytest.fixture
def rec(tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    make_recording(folder, n=3)
    return Recording(folder)


def _files(root):
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("fmt,out", [("png", "deep/a/b/frames"), ("godot4", "deep/a/b/walk.tres"),
                                     ("godot3", "deep/a/b/walk.tres"), ("aseprite", "deep/a/b/walk.json")])
@pytest.mark.parametrize("name", ["../../..", "/etc/passwd", "..\\..\\x", "a/../../b"])
def test_a_hostile_name_stays_inside_the_output(rec, tmp_path, fmt, out, name):
    before = _files(tmp_path)
    target = tmp_path / out
    written = default_registry().get(fmt).export(rec, target, ExportOptions(name=name, scale=1))
    new = _files(tmp_path) - before
    assert new and all(target.parent in p.parents or p == target for p in new), sorted(map(str, new))
    for p in written:
        assert "/" not in p.name and ".." not in p.name
    for p in new:
        if p.suffix in (".tres", ".json"):
            text = p.read_text()
            assert "../" not in text and "..\\" not in text


def test_an_empty_name_is_refused():
    with pytest.raises(ExportError, match="not a usable animation name"):
        ExportOptions(name=" ... ")
