"""`genie-studio godot install` makes a Godot 4 project's pixels crisp (#27): the default canvas texture
filter becomes Nearest unless the project chose one; --texture-filter nearest|keep overrides."""

import json

import pytest

from genie_studio.cli import main
from genie_studio.export import ExportError
from genie_studio.export.godot_project import FILTER_KEY, install_addon, set_texture_filter

G4 = 'config_version=5\n\n[application]\n\nconfig/name="g4"\n'
G4_RENDERING = G4 + '\n[rendering]\n\nrenderer/rendering_method="mobile"\n\n[input]\n\nui_x={}\n'
G3 = 'config_version=4\n\n[application]\n\nconfig/name="g3"\n'


def _godot_value(text: str, section: str, key: str):
    """What Godot would read: the key's value inside [section] (None if absent), and the section count."""
    current, found = None, None
    for line in text.splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section and line.split("=", 1)[0] == key:
            assert found is None, "key written twice"
            found = line.split("=", 1)[1]
    return found, text.count(f"[{section}]")


def test_filter_is_added_to_a_new_or_existing_rendering_section():
    text, done = set_texture_filter(G4)
    assert _godot_value(text, "rendering", FILTER_KEY) == ("0", 1)
    assert done == {"was": "linear (Godot's default)", "now": "nearest", "changed": True}
    assert text.startswith(G4.rstrip("\n"))
    text, _ = set_texture_filter(G4_RENDERING)
    assert _godot_value(text, "rendering", FILTER_KEY) == ("0", 1)
    assert _godot_value(text, "rendering", "renderer/rendering_method") == ('"mobile"', 1)
    assert _godot_value(text, "input", "ui_x") == ("{}", 1)  # the next section is untouched
    assert f"{FILTER_KEY}=0\n\n[input]" in text
    assert set_texture_filter(text) == (text, {"was": "nearest", "now": "nearest", "changed": False})  # once


def test_a_projects_own_choice_is_kept_unless_nearest_is_asked_for():
    chosen = G4 + f"\n[rendering]\n\n{FILTER_KEY}=2\n"
    assert set_texture_filter(chosen) == (chosen, {"was": "linear mipmap", "now": "linear mipmap", "changed": False})
    forced, done = set_texture_filter(chosen, "nearest")
    assert _godot_value(forced, "rendering", FILTER_KEY) == ("0", 1) and done["changed"]
    assert set_texture_filter(G4, "keep") == (G4, {"was": "linear (Godot's default)",
                                                   "now": "linear (Godot's default)", "changed": False})


def test_install_sets_nearest_in_godot4_only(tmp_path, capsys):
    g4, g3 = tmp_path / "g4", tmp_path / "g3"
    for root, text in ((g4, G4_RENDERING), (g3, G3)):
        root.mkdir()
        (root / "project.godot").write_text(text)
    assert main(["godot", "install", str(g4)]) == 0
    assert "default texture filter: linear (Godot's default) -> nearest" in capsys.readouterr().out
    text = (g4 / "project.godot").read_text()
    assert _godot_value(text, "rendering", FILTER_KEY) == ("0", 1)
    assert 'PackedStringArray("res://addons/genie_studio/plugin.cfg")' in text
    assert main(["godot", "install", str(g3), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["texture_filter"] is None
    assert FILTER_KEY not in (g3 / "project.godot").read_text()


def test_keep_leaves_project_godot_rendering_alone(tmp_path, capsys):
    root = tmp_path / "g4"
    root.mkdir()
    (root / "project.godot").write_text(G4_RENDERING)
    assert main(["godot", "install", str(root), "--texture-filter", "keep", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["texture_filter"]["changed"] is False
    assert FILTER_KEY not in (root / "project.godot").read_text()
    with pytest.raises(ExportError, match="choose one of auto, nearest, keep"):
        install_addon(root, texture_filter="bilinear")
