"""A Godot project on disk: which engine it is for, installing the Genie Studio addon, exporting into it.

``project.godot`` says the engine: ``config_version=5`` is Godot 4, ``config_version=4`` (or 3) is
Godot 3. The addon for that engine (``plugins/godot/godot3`` or ``godot4``, shipped in the wheel) is
copied to ``res://addons/genie_studio/`` and enabled in ``[editor_plugins]``: Godot 4 lists plugin.cfg
paths (``PackedStringArray("res://addons/genie_studio/plugin.cfg")``), Godot 3 lists addon folder names
(``PoolStringArray( "genie_studio" )``). The other plugins a project lists stay as they were.

Crisp pixels: a Godot 4 project draws textures with its default canvas texture filter, Linear unless
``[rendering] textures/canvas_textures/default_texture_filter`` says otherwise; installing sets it to
Nearest (0) when the project has not chosen one (:func:`set_texture_filter`). Godot 3 filters per
texture on import, which its addon's importer sets itself.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from genie_studio.export.base import ExportError

ADDON = "genie_studio"
CLIPS = "genie_clips"  # where export --to-godot puts clips, below the project's root (res://genie_clips/)
FILTER_KEY = "textures/canvas_textures/default_texture_filter"  # Godot 4, section [rendering]
FILTERS = {0: "nearest", 1: "linear", 2: "linear mipmap", 3: "nearest mipmap"}  # its values
FILTER_CHOICES = ("auto", "nearest", "keep")  # auto: Nearest unless the project chose a filter


@dataclass(frozen=True)
class GodotProject:
    root: Path
    engine: int  # 3 or 4

    @property
    def addon_dir(self) -> Path:
        return self.root / "addons" / ADDON

    def res(self, path: Path) -> str:
        """A file inside the project as Godot names it (``res://genie_clips/walk/walk.tres``)."""
        return "res://" + Path(path).resolve().relative_to(self.root.resolve()).as_posix()


def open_project(folder) -> GodotProject:
    """The Godot project in ``folder`` (it holds ``project.godot``); errors say what is wrong."""
    root = Path(folder).expanduser()
    cfg = root / "project.godot"
    if not root.is_dir():
        raise ExportError(f"{root}: no such folder; give the folder of a Godot project (it holds project.godot)")
    if not cfg.is_file():
        raise ExportError(f"{root} is not a Godot project: it has no project.godot (create the project in "
                          "Godot first, or give its folder)")
    try:
        text = cfg.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ExportError(f"{cfg}: cannot be read ({e})") from None
    return GodotProject(root, engine_of(text, cfg))


def engine_of(text: str, where="project.godot") -> int:
    """3 or 4, from a project.godot's ``config_version`` (5: Godot 4; 3 or 4: Godot 3)."""
    m = re.search(r"^\s*config_version\s*=\s*(\d+)", text, re.M)
    if not m:
        raise ExportError(f"{where}: no config_version line; is it a Godot project file?")
    version = int(m.group(1))
    if version >= 5:
        return 4
    if version in (3, 4):
        return 3
    raise ExportError(f"{where}: config_version={version} is a Godot 2 project or older; Genie Studio's "
                      "addons are for Godot 3 and 4")


def addon_source(engine: int) -> Path:
    from genie_studio.resources import plugins_dir

    src = plugins_dir() / "godot" / f"godot{engine}" / "addons" / ADDON
    if not (src / "plugin.cfg").is_file():
        raise ExportError(f"the Godot {engine} addon is missing from this installation ({src})")
    return src


def plugin_entry(engine: int) -> str:
    return f"res://addons/{ADDON}/plugin.cfg" if engine == 4 else ADDON


def enable_plugin(text: str, engine: int) -> str:
    """project.godot's text with the addon listed in ``[editor_plugins] enabled`` (once)."""
    entry = plugin_entry(engine)
    array = "PackedStringArray" if engine == 4 else "PoolStringArray"
    section = re.search(r"^\[editor_plugins\][^\n]*\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if section is None:
        body = f'\n[editor_plugins]\n\nenabled={array}({_items([entry], engine)})\n'
        return text.rstrip("\n") + "\n" + body
    line = re.search(r"^enabled[ \t]*=[ \t]*(\w+)\((.*?)\)[ \t]*$", section.group(1), re.M | re.S)
    if line is None:
        start = section.end(0) if section.group(1).strip() == "" else section.start(1)
        new = f"enabled={array}({_items([entry], engine)})\n"
        return text[:start] + new + text[start:]
    items = re.findall(r'"((?:[^"\\]|\\.)*)"', line.group(2))
    same = {entry, ADDON, f"res://addons/{ADDON}/plugin.cfg"}
    if any(i in same for i in items):
        return text
    new = f"enabled={line.group(1)}({_items([*items, entry], engine)})"
    a, b = section.start(1) + line.start(0), section.start(1) + line.end(0)
    return text[:a] + new + text[b:]


def _items(items: list[str], engine: int) -> str:
    quoted = ", ".join(f'"{i}"' for i in items)
    return quoted if engine == 4 else f" {quoted} "


def set_texture_filter(text: str, choice: str = "auto") -> tuple[str, dict]:
    """A Godot 4 project.godot's text with its default canvas texture filter set to Nearest as ``choice``
    says: ``auto`` when the project has not chosen a filter, ``nearest`` always, ``keep`` never;
    -> (text, ``{"was": name, "now": name, "changed": bool}``)."""
    section = re.search(r"^\[rendering\][^\n]*\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    line = section and re.search(rf"^{re.escape(FILTER_KEY)}[ \t]*=[ \t]*(\d+)[ \t]*$", section.group(1), re.M)
    was = int(line.group(1)) if line else None
    report = {"was": FILTERS.get(was, str(was)) if line else "linear (Godot's default)", "now": None, "changed": False}
    if choice == "keep" or was == 0 or (choice == "auto" and line is not None):
        return text, {**report, "now": report["was"]}
    entry = f"{FILTER_KEY}=0"
    if line is not None:  # nearest over the project's own choice
        a, b = section.start(1) + line.start(0), section.start(1) + line.end(0)
        text = text[:a] + entry + text[b:]
    elif section is not None:  # the section's last line, then the blank line before the next section
        kept = section.group(1).rstrip("\n")
        body = (kept + "\n" if kept.strip() else "\n") + entry + "\n" + ("\n" if section.end(1) < len(text) else "")
        text = text[:section.start(1)] + body + text[section.end(1):]
    else:
        text = text.rstrip("\n") + f"\n\n[rendering]\n\n{entry}\n"
    return text, {**report, "now": "nearest", "changed": True}


def install_addon(folder, texture_filter: str = "auto") -> dict:
    """Copy the matching addon into ``folder``'s ``addons/genie_studio`` (replacing an older copy),
    enable it and, in Godot 4, set the default texture filter as ``texture_filter`` says
    (:data:`FILTER_CHOICES`); -> what was done."""
    from genie_studio.fsutil import atomic_write_text

    if texture_filter not in FILTER_CHOICES:
        raise ExportError(f"texture filter {texture_filter!r}: choose one of {', '.join(FILTER_CHOICES)}")
    project = open_project(folder)
    src = addon_source(project.engine)
    target = project.addon_dir
    replaced = target.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{ADDON}.partial-", dir=target.parent))
        try:
            shutil.copytree(src, stage / ADDON, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            old = stage / "old"
            if replaced:
                os.replace(target, old)
            try:
                os.replace(stage / ADDON, target)
            except OSError:
                if replaced:
                    os.replace(old, target)  # keep the copy that was there
                raise
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        cfg = project.root / "project.godot"
        text = cfg.read_text(encoding="utf-8")
        enabled = enable_plugin(text, project.engine)
        filtered, filter_done = set_texture_filter(enabled, texture_filter) if project.engine == 4 else (enabled, None)
        if filtered != text:
            atomic_write_text(cfg, filtered)
    except OSError as e:
        from genie_studio.fsutil import os_error_text

        raise ExportError(f"cannot install the addon into {project.root}: {os_error_text(e)}") from None
    return {"project": str(project.root), "engine": project.engine, "addon": str(target),
            "res": f"res://addons/{ADDON}/", "replaced": replaced, "enabled": plugin_entry(project.engine),
            "texture_filter": filter_done,
            "files": sum(1 for p in target.rglob("*") if p.is_file())}


def clip_target(folder, clip: str, name: str = "default", out: str | None = None) -> tuple[GodotProject, str, Path]:
    """Where ``export --to-godot`` writes: (project, exporter name, .tres path). ``out`` is a path inside
    the project (``res://anim/walk.tres`` or relative to its root); default ``res://genie_clips/CLIP/NAME.tres``."""
    project = open_project(folder)
    if out:
        rel = out[len("res://"):] if out.startswith("res://") else out
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ExportError(f"{out}: give a path inside the project (res://... or relative to its folder)")
        path = project.root / rel
        if path.suffix.lower() != ".tres":
            path = path.with_name(path.name + ".tres")
    else:
        path = project.root / CLIPS / _safe(clip) / f"{_safe(name)}.tres"
    return project, f"godot{project.engine}", path


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", str(name)).strip("._") or "clip"
