"""The .genie project format and autosave recovery: no Qt needed."""

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from genie_studio.project import document as prj
from genie_studio.session.prompt import PromptError


def _project():
    rng = np.random.default_rng(0)
    return prj.Project(sketch=rng.integers(0, 255, (32, 48, 3), dtype=np.uint8),
                       tracing=rng.integers(0, 255, (32, 48, 3), dtype=np.uint8), tracing_opacity=0.5,
                       model="sketchworld-tiny", action_labels=["stand", "walk left", "walk right", "hop"],
                       bindings={"Left": "walk left"}, settings={"maskgit_steps": 6, "temperature": 0.7, "seed": 9,
                                                                  "fps": 10, "device": "cpu"})


def test_round_trip(tmp_path):
    p = _project()
    f = prj.save_project(tmp_path / "level.genie", p)
    q = prj.load_project(f)
    assert np.array_equal(q.sketch, p.sketch) and np.array_equal(q.tracing, p.tracing)
    assert q.action_labels == p.action_labels and q.bindings == p.bindings and q.model == p.model
    assert q.settings == p.settings and q.tracing_opacity == 0.5
    with zipfile.ZipFile(f) as z:
        doc = json.loads(z.read("project.json"))
    assert doc["format"] == prj.FORMAT and doc["version"] == prj.VERSION
    assert doc["canvas"] == {"width": 48, "height": 32}


def test_save_is_atomic_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    f = tmp_path / "level.genie"
    prj.save_project(f, _project())
    before = f.read_bytes()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(prj, "atomic_write_bytes", boom)
    with pytest.raises(prj.ProjectError, match="No space left"):
        prj.save_project(f, prj.Project(sketch=np.zeros((4, 4, 3), np.uint8)))
    assert f.read_bytes() == before


@pytest.mark.parametrize("content,match", [
    (b"hello", "not a zip"),
    (b"", "not a zip"),
    ("nojson", "project.json missing"),
    ("badjson", "damaged"),
    ("newer", "newer Genie Studio"),
    ("nolayer", "sketch.png' is missing"),
    ("badpng", "damaged"),
])
def test_corrupt_files_give_clear_errors_and_are_untouched(tmp_path, content, match):
    f = tmp_path / "bad.genie"
    if isinstance(content, bytes):
        f.write_bytes(content)
    else:
        good = io.BytesIO(prj.project_bytes(_project()))
        buf = io.BytesIO()
        with zipfile.ZipFile(good) as zin, zipfile.ZipFile(buf, "w") as z:
            doc = json.loads(zin.read("project.json"))
            if content == "badjson":
                z.writestr("project.json", "{not json")
            elif content == "newer":
                z.writestr("project.json", json.dumps({**doc, "version": 99}))
            elif content != "nojson":
                z.writestr("project.json", json.dumps(doc))
            if content == "badpng":
                z.writestr("sketch.png", b"\x89PNG garbage")
            elif content not in ("nolayer",):
                z.writestr("sketch.png", zin.read("sketch.png"))
        f.write_bytes(buf.getvalue())
    before = f.read_bytes()
    with pytest.raises(prj.ProjectError, match=match) as e:
        prj.load_project(f)
    assert str(f) in str(e.value)
    assert f.read_bytes() == before


def test_missing_file(tmp_path):
    with pytest.raises(prj.ProjectError, match="no such file"):
        prj.load_project(tmp_path / "nope.genie")


def test_autosave_recovery_after_crash(tmp_path):
    # a process that autosaves and then dies without cleaning up: a crash
    code = ("import numpy as np; from genie_studio.project import document as p; "
            "pr = p.Project(sketch=np.full((8, 8, 3), 7, np.uint8), action_labels=['x']); "
            "p.write_autosave(pr, '/somewhere/level.genie'); import os; os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())
    found = prj.find_recoverable()
    assert len(found) == 1 and found[0].origin == "/somewhere/level.genie"
    p = prj.load_project(found[0].project_file)
    assert p.action_labels == ["x"] and int(p.sketch[0, 0, 0]) == 7
    prj.discard_recoverable(found[0])
    assert prj.find_recoverable() == []


def test_own_autosave_is_not_offered(tmp_path):
    prj.write_autosave(_project(), None)
    assert prj.find_recoverable() == []  # this process is alive
    prj.clear_autosave()
    assert not list(prj.autosave_dir().iterdir())


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP"])
def test_image_for_canvas_formats(tmp_path, fmt):
    f = tmp_path / f"x.{fmt.lower()}"
    Image.new("RGB", (100, 50), (200, 10, 10)).save(f, fmt)
    a = prj.image_for_canvas(f, 256)
    assert a.shape == (256, 512, 3) and a.dtype == np.uint8
    assert abs(int(a[128, 256, 0]) - 200) < 8


def test_image_for_canvas_refuses_non_images(tmp_path):
    f = tmp_path / "notes.png"
    f.write_text("not an image")
    with pytest.raises(PromptError, match="not a readable image"):
        prj.image_for_canvas(f)
