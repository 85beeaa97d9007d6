"""The Godot 3 SpriteFrames export and the Godot addon, loaded by a real headless Godot 3 engine."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from genie_studio.export import ExportOptions, builtin_registry

GODOT = shutil.which("godot3-server") or shutil.which("godot3") or shutil.which("godot")
pytestmark = pytest.mark.skipif(GODOT is None, reason="no Godot 3 engine installed (Debian: apt install godot3-server)")
ADDON = Path(__file__).resolve().parents[2] / "plugins" / "godot" / "godot3" / "addons"

CHECK = """extends SceneTree
func _init():
\tvar sf = load("%s")
\tif sf == null:
\t\tprint("RESULT none")
\telse:
\t\tvar t = sf.get_frame("%s", 0)
\t\tprint("RESULT ", sf.get_frame_count("%s"), " ", sf.get_animation_speed("%s"), " ",
\t\t\tt.get_width(), "x", t.get_height(), " ", sf.get_animation_loop("%s"), " filter=",
\t\t\t(t.flags & Texture.FLAG_FILTER) != 0)
\tquit()
"""


def godot(project: Path, *args) -> str:
    p = subprocess.run([GODOT, "--no-window", "--path", str(project), *args], capture_output=True, text=True,
                       timeout=120)
    return p.stdout + p.stderr


def make_project(root: Path, addon: bool) -> Path:
    root.mkdir()
    text = 'config_version=4\n\n[application]\n\nconfig/name="genie-test"\n'
    if addon:
        shutil.copytree(ADDON, root / "addons")
        text += '\n[editor_plugins]\n\nenabled=PoolStringArray( "genie_studio" )\n'
    (root / "project.godot").write_text(text)
    return root


def load_result(project: Path, res: str, anim: str) -> list[str]:
    (project / "check.gd").write_text(CHECK % (res, anim, anim, anim, anim))
    godot(project, "--editor", "--quit")  # imports the PNGs (and .genieanim through the addon)
    out = godot(project, "-s", "check.gd")
    lines = [line for line in out.splitlines() if line.startswith("RESULT")]
    assert lines, out
    return lines[0].split()[1:]


def test_godot3_spriteframes_load(frames, tmp_path):
    project = make_project(tmp_path / "proj", addon=False)
    builtin_registry().get("godot3").export(frames, project / "anim" / "walk.tres",
                                            ExportOptions(name="walk", fps=10, scale=2, loop=False))
    assert load_result(project, "res://anim/walk.tres", "walk") == ["12", "10", "40x32", "False", "filter=False"]


def test_addon_imports_genieanim_as_spriteframes(recording, tmp_path):
    project = make_project(tmp_path / "proj", addon=True)
    builtin_registry().get("genieanim").export(recording, project / "clips" / "run.genieanim",
                                               ExportOptions(name="run", scale=3, frames=(2, 9)))
    # filter=False: nearest, crisp pixels
    assert load_result(project, "res://clips/run.genieanim", "run") == ["7", "10", "60x48", "True", "filter=False"]


def test_addon_imports_a_30fps_genieanim_at_exactly_30fps(tmp_path):
    from tests.export.conftest import make_frames

    project = make_project(tmp_path / "proj", addon=True)
    out = builtin_registry().get("genieanim").export(make_frames(8), project / "clips" / "walk.genieanim",
                                                     ExportOptions(name="walk", fps=30, scale=1))[0]
    durations = [f["duration"] for f in json.loads(out.read_text())["frames"].values()]
    assert durations == [33, 34, 33, 33, 34, 33, 33, 34]  # whole ms, exact running total
    assert load_result(project, "res://clips/walk.genieanim", "walk")[:2] == ["8", "30"]  # not 30.30
