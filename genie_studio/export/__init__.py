"""Exporters for recordings and frame lists (docs/export.md): PNG sequence, GIF, APNG, MP4, WebM,
Aseprite sprite sheets, Godot 4/3 SpriteFrames, and any exporter a plugin registers."""

from genie_studio.export.base import (
           BaseExporter,
           Clip,
           Context,
           ExportCancelled,
           ExportError,
           ExportOptions,
           parse_range,
)
from genie_studio.export.registry import ExporterRegistry, builtin_registry, default_registry, reset_default_registry

__all__ = ["BaseExporter", "Clip", "Context", "ExportCancelled", "ExportError", "ExportOptions", "ExporterRegistry",
           "builtin_registry", "default_registry", "parse_range", "reset_default_registry"]
