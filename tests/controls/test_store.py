"""Profiles on disk: round-trip, import/export, corrupt files backed up, other models remapped."""

import json
import logging

import pytest

from genie_studio.config import paths
from genie_studio.controls import (
    ProfileError,
    default_profile,
    export_profile,
    import_profile,
    load_profile,
    profile_path,
    save_profile,
)

LABELS = ["noop", "left", "right", "jump"]


def test_missing_profile_is_the_default_and_round_trips():
    p, warnings = load_profile("tiny-test", LABELS)
    assert warnings == [] and p.to_dict() == default_profile(LABELS, "tiny-test").to_dict()
    p.clear(3)
    p.bind(3, "pad:b")
    path = save_profile(p)
    assert path == profile_path("tiny-test") and path.parent == paths().profiles
    doc = json.loads(path.read_text())
    assert doc["version"] == 1 and doc["format"] == "genie-studio-controls"
    q, warnings = load_profile("tiny-test", LABELS)
    assert warnings == [] and q.to_dict() == p.to_dict()
    assert [b.inputs for b in q.bindings_for(3)] == [("pad:b",)]
    assert not list(path.parent.glob("*.tmp"))  # atomic write leaves no temp file


def test_profile_names_are_safe_file_names():
    assert profile_path("../../etc/passwd").parent == paths().profiles
    assert profile_path("/some/models/sketchworld-tiny").name == "sketchworld-tiny.json"


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[]", b'{"version": 1, "labels": []}',
                                     b'{"version": 7, "labels": ["a"]}'])
def test_corrupt_profile_is_backed_up_and_default_restored(content, caplog):
    path = profile_path("tiny-test")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        p, warnings = load_profile("tiny-test", LABELS)
    assert p.to_dict() == default_profile(LABELS, "tiny-test").to_dict()
    (backup,) = path.parent.glob("tiny-test.json.corrupt-*")
    assert backup.read_bytes() == content  # the user's file is kept, byte for byte
    assert len(warnings) == 1 and str(backup) in warnings[0] and "restored the default" in warnings[0]
    assert str(backup) in caplog.text
    again, w2 = load_profile("tiny-test", LABELS)  # the default was written back: loads cleanly
    assert w2 == [] and again.to_dict() == p.to_dict()


def test_profile_for_other_actions_is_remapped_with_problems():
    old = default_profile(["noop", "left", "right", "jump", "dash"], "m")
    old.bind(4, "key:Shift")
    save_profile(old)
    p, problems = load_profile("m", ["right", "left", "noop", "jump"])
    assert p.idle == 2 and ("key:Right",) in {b.inputs for b in p.bindings_for(0)}
    assert any("'dash'" in m for m in problems)
    assert json.loads(profile_path("m").read_text())["labels"][4] == "dash"  # file untouched


def test_export_and_import(tmp_path):
    p = default_profile(LABELS, "tiny-test")
    p.bind(2, ("pad:rtrigger", "pad:x"))
    out = export_profile(p, tmp_path / "shared" / "mine.json")
    q, problems = import_profile(out, LABELS, model="other")
    assert problems == [] and q.model == "other" and q.bindings == p.bindings
    r, problems = import_profile(out, ["noop", "right"])
    assert ("pad:rtrigger", "pad:x") in {b.inputs for b in r.bindings_for(1)}
    assert any("'left'" in m for m in problems)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ProfileError, match="bad.json: not valid JSON"):
        import_profile(tmp_path / "bad.json")
    assert (tmp_path / "bad.json").exists()  # an imported file is never moved
    with pytest.raises(ProfileError, match="no such profile file"):
        import_profile(tmp_path / "missing.json")
