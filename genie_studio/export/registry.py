"""The exporter registry: built-in exporters plus those that plugins register (genie_studio.plugins).

The editor's export dialog and ``genie-studio export`` both export through ``default_registry()``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from genie_studio.export.base import ExportError

log = logging.getLogger(__name__)
REQUIRED = ("name", "extensions", "description", "export")


class ExporterRegistry:
    def __init__(self):
        self._by_name: dict = {}
        self.sources: dict[str, str] = {}  # name -> "built-in" or the plugin that registered it

    def register(self, exporter, source: str = "built-in", replace: bool = False) -> None:
        """Add an exporter (an instance, or a class that is instantiated). Checks the interface."""
        if isinstance(exporter, type):
            exporter = exporter()
        missing = [a for a in REQUIRED if not hasattr(exporter, a)]
        if missing:
            raise TypeError(f"{exporter!r} is not an exporter: missing {', '.join(missing)}")
        name = str(exporter.name).strip().lower()
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise TypeError(f"exporter name {exporter.name!r} must be a word (letters, digits, - or _)")
        if name in self._by_name and not replace:
            raise ValueError(f"an exporter named {name!r} is already registered (by {self.sources[name]})")
        self._by_name[name] = exporter
        self.sources[name] = source

    def unregister(self, name: str) -> None:
        self._by_name.pop(name, None)
        self.sources.pop(name, None)

    def get(self, name: str):
        try:
            return self._by_name[name.strip().lower()]
        except KeyError:
            raise ExportError(f"unknown export format {name!r}; available: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __iter__(self):
        return iter(self._by_name[n] for n in self.names())

    def __contains__(self, name: str) -> bool:
        return name.strip().lower() in self._by_name

    def for_path(self, path) -> object:
        """The exporter for an output file's extension (``.gif`` -> gif)."""
        ext = Path(path).suffix.lower()
        for e in self:
            if ext and ext in tuple(e.extensions):
                return e
        raise ExportError(f"no exporter writes {ext or 'files without an extension'!r}; "
                          f"pass a format ({', '.join(self.names())})")

    def describe(self) -> list[dict]:
        return [{"name": e.name, "extensions": list(e.extensions), "description": e.description,
                 "options": dict(getattr(e, "options", {}) or {}), "source": self.sources[e.name.lower()]}
                for e in self]


def builtin_registry() -> ExporterRegistry:
    from genie_studio.export.images import ApngExporter, GifExporter, PngSequenceExporter
    from genie_studio.export.sheets import AsepriteSheetExporter, GenieAnimExporter, Godot3Exporter, Godot4Exporter
    from genie_studio.export.video import Mp4Exporter, WebmExporter

    r = ExporterRegistry()
    for cls in (PngSequenceExporter, GifExporter, ApngExporter, Mp4Exporter, WebmExporter, AsepriteSheetExporter,
                GenieAnimExporter, Godot4Exporter, Godot3Exporter):
        r.register(cls)
    return r


_default: ExporterRegistry | None = None
plugin_reports: list = []  # PluginReport for each plugin found by default_registry (for the editor)


def default_registry(load_plugins: bool = True) -> ExporterRegistry:
    """The built-ins plus every plugin that loads (broken plugins are reported and skipped)."""
    global _default
    if _default is None:
        _default = builtin_registry()
        if load_plugins:
            from genie_studio.plugins import load_plugins as _load

            plugin_reports[:] = _load(_default)  # failures are logged as warnings by load_plugins
    return _default


def reset_default_registry() -> None:
    global _default
    _default = None
