"""`genie-studio godot install` and `export --to-godot` (#27 item 3): the matching addon is copied into a
project and enabled, clips land in its res:// tree, and a real headless Godot 3 loads both."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from genie_studio.cli import main
from genie_studio.export import ExportError
from genie_studio.export.godot_project import enable_plugin, engine_of, open_project

ROOT = Path(__file__).resolve().parents[2]
GODOT = shutil.which("godot3-server") or shutil.which("godot3")
G3_TEXT = '; Engine configuration file.\nconfig_version=4\n\n_global_script_classes=[  ]\n\n[application]\n\n' \
          'config/name="g3"\n\n[editor_plugins]\n\nenabled=PoolStringArray( "other" )\n\n[rendering]\n\n' \
          'quality/driver/driver_name="GLES2"\n'
G4_TEXT = 'config_version=5\n\n[application]\n\nconfig/name="g4"\nconfig/features=PackedStringArray("4.2")\n'


def project(tmp_path, text, name="proj") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "project.godot").write_text(text)
    return root


def test_engine_from_config_version():
    assert engine_of("config_version=5\n") == 4 and engine_of("config_version=4\n") == 3
    assert engine_of("; c\nconfig_version=3\n") == 3
    with pytest.raises(ExportError, match="Godot 2"):
        engine_of("config_version=2\n")
    with pytest.raises(ExportError, match="no config_version"):
        engine_of("[application]\n")


def test_enable_plugin_keeps_the_other_plugins_and_is_idempotent():
    g3 = enable_plugin(G3_TEXT, 3)
    assert 'enabled=PoolStringArray( "other", "genie_studio" )\n\n[rendering]' in g3
    assert g3.count("[editor_plugins]") == 1 and '[rendering]\n\nquality/driver/driver_name="GLES2"' in g3
    assert enable_plugin(g3, 3) == g3
    g4 = enable_plugin(G4_TEXT, 4)
    assert g4.endswith('\n[editor_plugins]\n\nenabled=PackedStringArray("res://addons/genie_studio/plugin.cfg")\n')
    assert enable_plugin(g4, 4) == g4
    legacy = G4_TEXT + '\n[editor_plugins]\n\nenabled=PackedStringArray("res://addons/gut/plugin.cfg")\n'
    assert 'PackedStringArray("res://addons/gut/plugin.cfg", "res://addons/genie_studio/plugin.cfg")' in \
        enable_plugin(legacy, 4)


def test_install_into_a_godot4_project(tmp_path, capsys):
    root = project(tmp_path, G4_TEXT)
    assert main(["godot", "install", str(root), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["engine"] == 4 and not done["replaced"] and done["res"] == "res://addons/genie_studio/"
    src = ROOT / "plugins" / "godot" / "godot4" / "addons" / "genie_studio"
    addon = root / "addons" / "genie_studio"
    copied = sorted(p.relative_to(addon) for p in addon.rglob("*"))
    assert copied == sorted(p.relative_to(src) for p in src.rglob("*"))
    assert 'PackedStringArray("res://addons/genie_studio/plugin.cfg")' in (root / "project.godot").read_text()
    (root / "addons" / "genie_studio" / "stale.gd").write_text("# an older copy's file")
    assert main(["godot", "install", str(root)]) == 0
    assert "updated the Godot 4 addon" in capsys.readouterr().out
    assert not (root / "addons" / "genie_studio" / "stale.gd").exists()
    assert (root / "project.godot").read_text().count("genie_studio") == 1
    assert sorted(p.name for p in (root / "addons").iterdir()) == ["genie_studio"]  # no staging left


def test_not_a_project_fails_clearly(tmp_path, capsys):
    assert main(["godot", "install", str(tmp_path)]) == 1
    assert "has no project.godot" in capsys.readouterr().err
    with pytest.raises(ExportError, match="no such folder"):
        open_project(tmp_path / "nope")


def test_export_to_godot4_writes_into_res(recording, tmp_path, capsys):
    root = project(tmp_path, G4_TEXT)
    assert main(["export", str(recording.folder), "--to-godot", str(root), "--name", "walk", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "godot4" and doc["res"] == f"res://genie_clips/{recording.folder.name}/walk.tres"
    assert all(Path(f).is_file() for f in doc["files"])
    assert main(["export", str(recording.folder), "--to-godot", str(root), "--out", "res://anim/run",
                 "--scale", "1"]) == 0
    assert (root / "anim" / "run.tres").is_file() and (root / "anim" / "run.png").is_file()
    assert main(["export", str(recording.folder), "--to-godot", str(root), "--out", "../outside.tres"]) == 1
    assert main(["export", str(recording.folder), "--to-godot", str(root), "--format", "gif"]) == 1
    assert "godot4" in capsys.readouterr().err


CHECK = """extends SceneTree
func _init():
\tprint("RESULT plugin ", ProjectSettings.get_setting("editor_plugins/enabled"))
\tfor res in ["res://genie_clips/rec/walk.tres", "res://clips/run.genieanim"]:
\t\tvar sf = load(res)
\t\tif sf == null:
\t\t\tprint("RESULT none ", res)
\t\telse:
\t\t\tvar anim = sf.get_animation_names()[0]
\t\t\tvar t = sf.get_frame(anim, 0)
\t\t\tprint("RESULT ", anim, " ", sf.get_frame_count(anim), " ", sf.get_animation_speed(anim), " ",
\t\t\t\tt.get_width(), "x", t.get_height())
\tvar world = load("res://addons/genie_studio/demo/genie_world_demo.tscn")
\tprint("RESULT demo ", world != null)
\tquit()
"""


@pytest.mark.skipif(GODOT is None, reason="no Godot 3 engine installed (Debian: apt install godot3-server)")
def test_godot3_loads_an_installed_project_headless(recording, tmp_path):
    root = project(tmp_path, G3_TEXT)
    assert recording.folder == tmp_path / "rec"  # so its clip folder is res://genie_clips/rec/
    assert main(["godot", "install", str(root)]) == 0
    assert main(["export", str(tmp_path / "rec"), "--to-godot", str(root), "--name", "walk", "--fps", "30"]) == 0
    assert main(["export", str(tmp_path / "rec"), "--format", "genieanim", "--name", "run",
                 "--out", str(root / "clips" / "run.genieanim")]) == 0
    (root / "check.gd").write_text(CHECK)

    def godot(*args):
        p = subprocess.run([GODOT, "--no-window", "--path", str(root), *args], capture_output=True, text=True,
                           timeout=180)
        return p.stdout + p.stderr

    godot("--editor", "--quit")  # the editor imports the PNGs, and the .genieanim through the enabled addon
    out = godot("-s", "check.gd")
    results = [line.split()[1:] for line in out.splitlines() if line.startswith("RESULT")]
    assert results[0][0] == "plugin" and "genie_studio" in " ".join(results[0]), out
    assert results[1] == ["walk", "12", "30", "520x416"], out  # 20x16 frames, auto 26x
    assert results[2] == ["run", "12", "10", "520x416"], out  # imported by the addon: it is enabled
    assert results[3] == ["demo", "True"], out
