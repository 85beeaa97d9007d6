"""Exporters for recordings and frame lists (docs/export.md): PNG sequence, GIF, APNG, MP4, WebM,
Aseprite sprite sheets, Godot 4/3 SpriteFrames, and any exporter a plugin registers."""

from genie_studio.export.base import (
           AUTO_LONG_SIDE,
           BaseExporter,
           Clip,
           Context,
           ExportCancelled,
           ExportError,
           ExportOptions,
           auto_scale,
           parse_range,
           parse_scale,
)
from genie_studio.export.registry import ExporterRegistry, builtin_registry, default_registry, reset_default_registry

__all__ = ["AUTO_LONG_SIDE", "BaseExporter", "Clip", "Context", "ExportCancelled", "ExportError", "ExportOptions",
           "ExporterRegistry", "auto_scale", "builtin_registry", "default_registry", "parse_range", "parse_scale",
           "reset_default_registry"]
