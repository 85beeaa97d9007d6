"""The Godot 4 addon and the Godot 4 SpriteFrames export, checked without a Godot 4 engine (none is
packaged here): every script parses with gdtoolkit's Godot 4 grammar and gdlint is clean; the .tres
export and the addon's own resources and scene are read field by field."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genie_studio.export import ExportOptions, builtin_registry
from tests.export.conftest import make_frames
from tests.godot.godot_text import Call, StringName, parse

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "plugins" / "godot" / "godot4" / "addons" / "genie_studio"
SCRIPTS = sorted(ADDON.rglob("*.gd"))
BIN = Path(sys.executable).parent


def gdtool(name: str) -> str:
    pytest.importorskip("gdtoolkit", reason="gdtoolkit (Godot 4 GDScript parser/linter) is in the dev extras")
    return str(BIN / name) if (BIN / name).exists() else shutil.which(name)


def test_addon_layout():
    assert {p.name for p in SCRIPTS} >= {"plugin.gd", "import_plugin.gd", "genie_world.gd", "genie_action_map.gd",
                                         "genie_world_demo.gd"}
    cfg = (ADDON / "plugin.cfg").read_text()
    assert '[plugin]' in cfg and 'script="plugin.gd"' in cfg and "Godot 4" in cfg
    godot3 = ROOT / "plugins" / "godot" / "godot3" / "addons" / "genie_studio"
    assert {p.name for p in godot3.rglob("*.gd")} == {p.name for p in SCRIPTS}  # the same addon for each engine
    example = (ROOT / "examples" / "sketches" / "sketch_01_256x256.png").read_bytes()
    for addon in (ADDON, godot3):  # the demos play an example sketch
        assert (addon / "demo" / "sketch.png").read_bytes() == example


def test_scripts_parse_with_the_godot4_grammar():
    out = subprocess.run([gdtool("gdparse"), *map(str, SCRIPTS)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_gdlint_is_clean():
    out = subprocess.run([gdtool("gdlint"), *map(str, SCRIPTS)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_godot3_api_left(script):
    text = script.read_text()
    for godot3 in (r"^tool\b", r"\bFile\.new\(", r"\bJSON\.parse\(", r"\bTexture\.FLAG_", r"^export\(",
                   r"^onready ", r"\bPoolByteArray\b", r"\bWebSocketClient\b", r"\.plus_file\(", r"\byield\("):
        assert not re.search(godot3, text, re.M), f"{script.name}: Godot 3 API {godot3}"
    if "EditorPlugin" in text or "EditorImportPlugin" in text:
        assert text.startswith("@tool\n")


def test_import_plugin_uses_the_godot4_importer_api():
    text = (ADDON / "import_plugin.gd").read_text()
    for method in ("_get_importer_name", "_get_visible_name", "_get_recognized_extensions", "_get_save_extension",
                   "_get_resource_type", "_get_preset_count", "_get_preset_name", "_get_import_options",
                   "_get_option_visibility", "_get_priority", "_get_import_order", "_import"):
        assert re.search(rf"^func {method}\(", text, re.M), method
    assert "ResourceSaver.save(built," in text
    # one sheet, one AtlasTexture region per frame: no per-frame ImageTexture, no CanvasTexture wrapping
    assert text.count("ImageTexture.create_from_image(") == 1 and "AtlasTexture.new()" in text
    assert "CanvasTexture" not in text


def test_godot4_tres_field_by_field(tmp_path):
    frames = make_frames(5)
    out = builtin_registry().get("godot4").export(frames, tmp_path / "anim" / "walk.tres",
                                                  ExportOptions(name="walk", fps=10, scale=2, loop=False))[0]
    sections = parse(out.read_text())
    head, body = sections[0], sections[-1]
    assert head.tag == "gd_resource" and head.attrs == {"type": "SpriteFrames", "load_steps": 7, "format": 3}
    assert body.tag == "resource" and set(body.props) == {"animations"}
    ext = {s.attrs["id"]: s for s in sections if s.tag == "ext_resource"}
    sub = {s.attrs["id"]: s for s in sections if s.tag == "sub_resource"}
    assert len(ext) == 1 and len(sub) == 5 and len(sections) == 8
    [sheet_res] = ext.values()
    assert set(sheet_res.attrs) == {"type", "path", "id"} and sheet_res.attrs["type"] == "Texture2D"
    sheet = np.asarray(Image.open(out.parent / sheet_res.attrs["path"]).convert("RGB"))
    for s in sub.values():  # one sheet, regions of it (AnimatedSprite3D draws AtlasTextures, not CanvasTextures)
        assert s.attrs["type"] == "AtlasTexture" and set(s.props) == {"atlas", "region"}
        assert s.props["atlas"] == Call("ExtResource", (sheet_res.attrs["id"],))
    [anim] = body.props["animations"]
    assert set(anim) == {"frames", "loop", "name", "speed"}
    assert anim["name"] == "walk" and isinstance(anim["name"], StringName)
    assert anim["loop"] is False and anim["speed"] == 10.0 and isinstance(anim["speed"], float)
    assert len(anim["frames"]) == 5
    for i, frame in enumerate(anim["frames"]):
        assert set(frame) == {"duration", "texture"} and frame["duration"] == 1.0
        tex = frame["texture"]
        assert isinstance(tex, Call) and tex.name == "SubResource"
        region = sub[tex.args[0]].props["region"]
        assert isinstance(region, Call) and region.name == "Rect2"
        x, y, w, h = region.args
        assert (w, h) == (40, 32)
        assert np.array_equal(sheet[y:y + h, x:x + w], frames[i].repeat(2, 0).repeat(2, 1)), f"frame {i}"


def _res_path(value: str) -> Path:
    assert value.startswith("res://addons/genie_studio/"), value
    return ADDON / value.removeprefix("res://addons/genie_studio/")


@pytest.mark.parametrize("name", ["default_action_map.tres", "demo/genie_world_demo.tscn"])
def test_addon_resources_are_godot4_text(name):
    sections = parse((ADDON / name).read_text())
    assert sections[0].tag in ("gd_resource", "gd_scene") and sections[0].attrs["format"] == 3
    ext = {s.attrs["id"]: s for s in sections if s.tag == "ext_resource"}
    assert sections[0].attrs["load_steps"] == len(ext) + 1
    for s in ext.values():
        assert _res_path(s.attrs["path"]).is_file()
    for s in sections:
        for v in s.props.values():
            if isinstance(v, Call) and v.name == "ExtResource":
                assert v.args[0] in ext
            if isinstance(v, str) and v.startswith("res://"):
                assert _res_path(v).is_file()


def test_demo_scene_nodes():
    nodes = {s.attrs["name"]: s for s in parse((ADDON / "demo/genie_world_demo.tscn").read_text())
             if s.tag == "node"}
    world = nodes["GenieWorld"]
    assert world.attrs["type"] == "TextureRect" and world.attrs["parent"] == "."
    assert world.props["texture_filter"] == 1  # CanvasItem.TEXTURE_FILTER_NEAREST
    assert world.props["prompt_path"] == "res://addons/genie_studio/demo/sketch.png"
    assert Image.open(ADDON / "demo" / "sketch.png").format == "PNG"
