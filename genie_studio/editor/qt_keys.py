"""Qt key codes -> the toolkit-neutral key names of :mod:`genie_studio.controls.inputs`: the editor's one
key-name table, used by the main window (keys that steer the world) and the Controls panel (capturing a
binding). The player's pygame codes translate to the same names in :mod:`genie_studio.input.keys`."""

from __future__ import annotations

from PySide6.QtCore import Qt

_SPECIAL = {int(k): name for k, name in {
    Qt.Key.Key_Left: "Left", Qt.Key.Key_Right: "Right", Qt.Key.Key_Up: "Up", Qt.Key.Key_Down: "Down",
    Qt.Key.Key_Space: "Space", Qt.Key.Key_Return: "Return", Qt.Key.Key_Enter: "Return",
    Qt.Key.Key_Escape: "Escape", Qt.Key.Key_Tab: "Tab", Qt.Key.Key_Backspace: "Backspace",
    Qt.Key.Key_Shift: "Shift", Qt.Key.Key_Control: "Ctrl", Qt.Key.Key_Alt: "Alt"}.items()}


def qt_key_name(key: int) -> str | None:
    """A Qt key code -> the neutral key name the player's pygame keys also use (None: not bindable)."""
    key = int(key)
    if key in _SPECIAL:
        return _SPECIAL[key]
    if int(Qt.Key.Key_A) <= key <= int(Qt.Key.Key_Z) or int(Qt.Key.Key_0) <= key <= int(Qt.Key.Key_9):
        return chr(key)
    if int(Qt.Key.Key_F1) <= key <= int(Qt.Key.Key_F12):
        return f"F{key - int(Qt.Key.Key_F1) + 1}"
    return None
