"""Plugin discovery: exporters from Python entry points, the user plugins folder and the repo's plugins/.

A Python plugin is a module (``NAME.py``) or a package (``NAME/__init__.py``) in a plugins folder, or an
entry point in the group ``genie_studio.exporters``. It provides exporters in one of three ways:

* a ``register(registry)`` function that calls ``registry.register(exporter)``;
* an ``EXPORTERS`` list of exporter instances or classes;
* (entry points only) the entry point object itself: an exporter class or instance, or a register function.

Folders are searched in order: the first-party plugins shipped with the package (the repository's
``plugins/`` in a checkout), then the user's
``paths().plugins``, only when the user turned on the ``user_plugins`` setting (a plugin there is code
that runs on this computer; without the setting those plugins are reported, with the folder, not run).
Folders without Python code (``plugins/godot``: a Godot addon) are not Python
plugins and are ignored. A plugin that fails to import, raises, or registers something that is not an
exporter is reported (``PluginReport.ok`` False with the error) and skipped; the app keeps working.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

ENTRY_POINT_GROUPS = ("genie_studio.exporters",)


@dataclass
class PluginReport:
    name: str
    source: str  # "entry point DIST", or the file it came from
    ok: bool
    exporters: list[str] = field(default_factory=list)
    error: str | None = None


def repo_plugins_dir() -> Path:
    """The first-party plugins (package data; the repository's ``plugins/`` in a checkout)."""
    from genie_studio.resources import plugins_dir

    return plugins_dir()


def plugin_dirs() -> list[Path]:
    """The folders searched: first-party, then the user's folder, but only with the user's consent."""
    from genie_studio.config import paths

    return [repo_plugins_dir()] + ([paths().plugins] if user_plugins_enabled() else [])


def user_plugins_enabled() -> bool:
    """Folder plugins run code on this computer, so they load only when the user turned on the
    ``user_plugins`` setting (docs/security.md). Entry points are installed packages: loaded as ever."""
    from genie_studio.config import load_settings

    return load_settings().get("user_plugins") is True


def _not_enabled() -> list[PluginReport]:
    """Reports for the user's folder plugins that were left alone (the path is shown, the code not run)."""
    from genie_studio.config import paths

    folder = paths().plugins
    found = _candidates(folder) if not user_plugins_enabled() else []
    if found:
        log.warning("%d plugin(s) in %s were not loaded: turn on 'user_plugins' in the settings to run them",
                    len(found), folder)
    return [PluginReport(name, str(path), False, error=f"not loaded: plugins in {folder} run only when the "
                                                       "'user_plugins' setting is on") for name, path in found]


def _short_error(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    where = f" ({Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""
    return f"{type(e).__name__}: {e}{where}"


def _apply(obj, registry, source: str, entry_point: bool = False) -> list[str]:
    """Register whatever a plugin offers; returns the exporter names it added."""
    before = set(registry.names())
    if hasattr(obj, "register") and callable(obj.register) and not hasattr(obj, "export"):
        obj.register(registry)
    elif hasattr(obj, "EXPORTERS"):
        for e in obj.EXPORTERS:
            registry.register(e, source=source)
    elif entry_point and (isinstance(obj, type) or hasattr(obj, "export")):
        registry.register(obj, source=source)
    elif entry_point and callable(obj):
        obj(registry)
    else:
        raise TypeError("provides no exporters: define register(registry) or an EXPORTERS list")
    added = sorted(set(registry.names()) - before)
    for n in added:
        registry.sources[n] = source
    return added


def _load_file(path: Path, name: str):
    mod_name = f"genie_studio_plugin_{re.sub(r'[^0-9a-zA-Z_]', '_', name)}"
    init = path / "__init__.py" if path.is_dir() else path
    spec = importlib.util.spec_from_file_location(
        mod_name, init, submodule_search_locations=[str(path)] if path.is_dir() else None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(mod_name, None)
        raise
    return module


def _candidates(folder: Path) -> list[tuple[str, Path]]:
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith((".", "_")):
            continue
        if p.is_file() and p.suffix == ".py":
            out.append((p.stem, p))
        elif p.is_dir() and (p / "__init__.py").is_file():
            out.append((p.name, p))
    return out


def _guard(report: PluginReport, fn) -> PluginReport:
    try:
        report.exporters = fn()
        report.ok = True
    except (Exception, SystemExit) as e:  # a plugin must never take the app down
        report.ok, report.error = False, _short_error(e)
        log.warning("plugin %s from %s was skipped: %s", report.name, report.source, report.error)
    return report


def load_plugins(registry, folders: list[Path] | None = None, entry_points: bool = True) -> list[PluginReport]:
    """Load every plugin into ``registry``; returns one report per plugin found."""
    reports: list[PluginReport] = []
    if entry_points:
        for group in ENTRY_POINT_GROUPS:
            try:
                eps = list(metadata.entry_points(group=group))
            except Exception as e:  # noqa: BLE001 (broken package metadata)
                reports.append(PluginReport(group, "entry points", False, error=_short_error(e)))
                eps = []
            for ep in eps:
                dist = getattr(getattr(ep, "dist", None), "name", "?")
                r = PluginReport(ep.name, f"entry point {ep.value} ({dist})", False)
                reports.append(_guard(r, lambda ep=ep, r=r: _apply(ep.load(), registry, r.source, True)))
    for folder in plugin_dirs() if folders is None else folders:
        for name, path in _candidates(Path(folder)):
            r = PluginReport(name, str(path), False)
            reports.append(_guard(r, lambda name=name, path=path, r=r: _apply(_load_file(path, name), registry,
                                                                                 r.source)))
    if folders is None:
        reports += _not_enabled()
    return reports
