"""The export tests' recording (12 frames of 20x16 at a nominal 10 fps, with a voice-over) for the Godot tests."""

from tests.export.conftest import recording  # noqa: F401
