"""Game-engine exporters: an Aseprite-format sprite sheet, Godot 4 and Godot 3 SpriteFrames.

Aseprite JSON (hash form) is what Phaser, HaxeFlixel, Unity and Godot importers read: ``frames`` maps
a frame name to its rectangle and ``duration`` (ms); ``meta.frameTags`` names the animation.
``genieanim`` is the same JSON under the extension our Godot addons import (plugins/godot/godot3, godot4).
Durations are whole milliseconds with an exact running total (33, 34, 33... at 30 frames/s), and
``meta.fps`` gives the exact rate, which the addons use when every duration keeps it.
Godot ``.tres`` files reference their PNGs by paths relative to the ``.tres``, so the files can be
dropped anywhere inside a Godot project.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from PIL import Image

from genie_studio import __version__
from genie_studio.export.base import BaseExporter, Clip, Context, ExportError


def sheet_layout(n: int, columns: int | None = None) -> tuple[int, int]:
    cols = int(columns) if columns else math.ceil(math.sqrt(n))
    if cols < 1:
        raise ExportError(f"columns must be at least 1, not {columns}")
    return cols, math.ceil(n / cols)


def aseprite_json(clip: Clip, image_name: str, cols: int) -> dict:
    w, h = clip.size
    frames = {}
    for i, d in enumerate(clip.durations_ms):
        x, y = (i % cols) * w, (i // cols) * h
        frames[f"{clip.name} {i}.png"] = {
            "frame": {"x": x, "y": y, "w": w, "h": h}, "rotated": False, "trimmed": False,
            "spriteSourceSize": {"x": 0, "y": 0, "w": w, "h": h}, "sourceSize": {"w": w, "h": h},
            "duration": int(d)}
    rows = math.ceil(len(clip) / cols)
    return {"frames": frames, "meta": {
        "app": "https://github.com/genie-studio (genie-studio)", "version": __version__,
        "image": image_name, "format": "RGBA8888", "size": {"w": w * cols, "h": h * rows}, "scale": "1",
        "frameTags": [{"name": clip.name, "from": 0, "to": len(clip) - 1,
                       "direction": "forward", **({} if clip.loop else {"repeat": "1"})}],
        "layers": [], "slices": [], "fps": clip.fps, "loop": clip.loop}}


class AsepriteSheetExporter(BaseExporter):
    name = "aseprite"
    extensions = (".json",)
    json_ext = ".json"
    description = "sprite sheet PNG + Aseprite JSON (hash form, frameTags, ms durations)"
    options = {"columns": "frames per row (default: a square-ish sheet)"}

    def write(self, clip: Clip, out: Path, ctx: Context) -> None:
        sheet, cols = _sheet(clip, ctx, ctx.options.extra.get("columns"))
        png = out.with_suffix(".png")
        Image.fromarray(sheet, "RGBA").save(png, format="PNG")
        out.write_text(json.dumps(aseprite_json(clip, png.name, cols), indent=1) + "\n", encoding="utf-8")


class GenieAnimExporter(AsepriteSheetExporter):
    name = "genieanim"
    extensions = (".genieanim",)
    description = "sprite sheet for the Genie Studio Godot addon (Aseprite JSON as .genieanim + PNG)"


def _frame_pngs(clip: Clip, folder: Path, ctx: Context) -> list[str]:
    names = []
    for i in range(len(clip)):
        ctx.step()
        name = f"{clip.name}_{i:05d}.png"
        Image.fromarray(clip.frame(i), "RGB").save(folder / name, format="PNG")
        names.append(name)
    return names


def _godot_string(s: str) -> str:
    return json.dumps(s)


def _sheet(clip: Clip, ctx: Context, columns=None) -> tuple[np.ndarray, int]:
    """All frames on one RGBA sheet, row by row; -> (sheet, columns)."""
    cols, rows = sheet_layout(len(clip), columns)
    w, h = clip.size
    sheet = np.zeros((rows * h, cols * w, 4), np.uint8)
    for i in range(len(clip)):
        ctx.step()
        y, x = (i // cols) * h, (i % cols) * w
        sheet[y:y + h, x:x + w, :3] = clip.frame(i)
        sheet[y:y + h, x:x + w, 3] = 255
    return sheet, cols


class Godot4Exporter(BaseExporter):
    name = "godot4"
    extensions = (".tres",)
    description = ("Godot 4 SpriteFrames .tres (format=3): each frame an AtlasTexture region of one sheet PNG "
                   "beside it; set the node's texture filter to Nearest for crisp pixels")
    options = {"columns": "frames per row of the sheet (default: a square-ish sheet)"}

    def write(self, clip: Clip, out: Path, ctx: Context) -> None:
        sheet, cols = _sheet(clip, ctx, ctx.options.extra.get("columns"))
        png = out.with_suffix(".png")
        Image.fromarray(sheet, "RGBA").save(png, format="PNG")
        w, h = clip.size
        lines = [f'[gd_resource type="SpriteFrames" load_steps={len(clip) + 2} format=3]', "",
                 f'[ext_resource type="Texture2D" path={_godot_string(png.name)} id="1_sheet"]']
        for i in range(len(clip)):
            x, y = (i % cols) * w, (i // cols) * h
            lines += ["", f'[sub_resource type="AtlasTexture" id="AtlasTexture_{i + 1}"]',
                      'atlas = ExtResource("1_sheet")', f"region = Rect2({x}, {y}, {w}, {h})"]
        # Godot 4 frame durations are relative to the animation's speed: 1.0 is one frame at clip.fps
        frames = ", ".join(f'{{\n"duration": {round(d * clip.fps, 4)},\n'
                           f'"texture": SubResource("AtlasTexture_{i + 1}")\n}}' for i, d in enumerate(clip.durations))
        lines += ["", "[resource]", f"animations = [{{\n\"frames\": [{frames}],",
                  f'"loop": {str(clip.loop).lower()},', f'"name": &{_godot_string(clip.name)},',
                  f'"speed": {float(round(clip.fps, 4))}', "}]", ""]
        out.write_text("\n".join(lines), encoding="utf-8")


PIXEL_IMPORT_3 = """[remap]

importer="texture"
type="StreamTexture"

[params]

compress/mode=0
flags/repeat=0
flags/filter=false
flags/mipmaps=false
flags/anisotropic=false
flags/srgb=2
process/fix_alpha_border=true
process/premult_alpha=false
detect_3d=false
"""


class Godot3Exporter(BaseExporter):
    name = "godot3"
    extensions = (".tres",)
    description = "Godot 3 SpriteFrames .tres (format=2) next to one PNG per frame (imported unfiltered)"
    options = {"import_files": "write .png.import files so Godot 3 imports the frames crisp (default true)"}

    def write(self, clip: Clip, out: Path, ctx: Context) -> None:
        names = _frame_pngs(clip, out.parent, ctx)
        if ctx.options.extra.get("import_files", True):
            for n in names:
                (out.parent / f"{n}.import").write_text(PIXEL_IMPORT_3, encoding="utf-8")
        lines = [f'[gd_resource type="SpriteFrames" load_steps={len(names) + 1} format=2]', ""]
        for i, n in enumerate(names):
            lines.append(f'[ext_resource path={_godot_string(n)} type="Texture" id={i + 1}]')
        refs = ", ".join(f"ExtResource( {i + 1} )" for i in range(len(names)))
        lines += ["", "[resource]", "animations = [ {", f'"frames": [ {refs} ],',
                  f'"loop": {str(clip.loop).lower()},', f'"name": {_godot_string(clip.name)},',
                  f'"speed": {float(round(clip.fps, 4))}', "} ]", ""]
        out.write_text("\n".join(lines), encoding="utf-8")
