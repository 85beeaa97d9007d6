"""The model catalog, where models live: bundled ones in the package data (``resources.models_dir()``:
the repository's ``models/`` folder in a checkout), user ones in the user data dir (``genie-studio models``
lists both). A model is named by its folder name or given as a path."""

from __future__ import annotations

import os
from pathlib import Path

from genie_studio.config import load_settings, paths
from genie_studio.world.bundle import BundleError, read_meta

DEFAULT_MODEL = "sketchworld-tiny"


def bundled_dir() -> Path:
    env = os.environ.get("GENIE_STUDIO_MODELS")
    if env:
        return Path(env)
    from genie_studio.resources import models_dir

    return models_dir()


def search_dirs() -> list[Path]:
    return [bundled_dir(), paths().models]


def list_models() -> list[dict]:
    out = []
    for root in search_dirs():
        if not root.is_dir():
            continue
        for d in sorted(root.iterdir()):
            if not (d / "config.json").exists():
                continue
            entry = {"name": d.name, "path": str(d), "bundled": root == bundled_dir()}
            try:
                meta = read_meta(d)
                entry["components"] = sorted(meta.get("components", {}))
                entry["actions"] = meta.get("actions", {}).get("labels", [])
                entry["valid"] = True
            except BundleError as e:
                entry["valid"], entry["error"] = False, str(e)
            out.append(entry)
    return out


def is_known_model(spec: str) -> bool:
    """True when ``spec`` names a bundled or installed model: a plain name found in one of their
    folders (or ``default``), or a path to a folder directly inside one. A project file may name any
    path (``../../../../elsewhere/model``); the editor asks before loading such a one."""
    if not spec or spec == "default":
        return bool(spec)
    roots = [r.resolve() for r in search_dirs() if r.is_dir()]
    p = Path(spec)
    if len(p.parts) == 1 and spec not in (".", ".."):
        return any((r / spec / "config.json").is_file() for r in roots)
    try:
        real = p.resolve()
    except (OSError, RuntimeError):
        return False
    return real.parent in roots and (real / "config.json").is_file()


def resolve_model(name: str | os.PathLike | None = None) -> Path:
    """A model name or folder -> its folder. ``None`` means the settings' model (default bundled)."""
    if name is None:
        name = load_settings().get("model") or DEFAULT_MODEL
        if name == "default":
            name = DEFAULT_MODEL
    p = Path(name)
    if p.is_dir():
        return p
    for root in search_dirs():
        if (root / str(name)).is_dir():
            return root / str(name)
    known = ", ".join(m["name"] for m in list_models()) or "none installed"
    raise BundleError(f"model {str(name)!r} not found (known models: {known}); pass a model folder path")
