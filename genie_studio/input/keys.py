"""pygame key codes -> the toolkit-neutral key names of genie_studio.controls.inputs.

Letters follow the keyboard layout (the key that types "a" is ``A``), as Qt's key codes do, so the
editor and the player agree. Left/right modifier keys both read as ``Shift``/``Ctrl``/``Alt``.
"""

from __future__ import annotations

import string

import pygame

_TABLE: dict[int, str] = {
    pygame.K_LEFT: "Left", pygame.K_RIGHT: "Right", pygame.K_UP: "Up", pygame.K_DOWN: "Down",
    pygame.K_SPACE: "Space", pygame.K_RETURN: "Return", pygame.K_KP_ENTER: "Return",
    pygame.K_ESCAPE: "Escape", pygame.K_TAB: "Tab", pygame.K_BACKSPACE: "Backspace",
    pygame.K_LSHIFT: "Shift", pygame.K_RSHIFT: "Shift", pygame.K_LCTRL: "Ctrl", pygame.K_RCTRL: "Ctrl",
    pygame.K_LALT: "Alt", pygame.K_RALT: "Alt",
}
_TABLE.update({getattr(pygame, f"K_{c}"): c.upper() for c in string.ascii_lowercase})
_TABLE.update({getattr(pygame, f"K_{d}"): d for d in string.digits})
_TABLE.update({getattr(pygame, f"K_F{i}"): f"F{i}" for i in range(1, 13)})


def key_name(code: int) -> str | None:
    """A pygame key code -> ``"Left"``, ``"A"``, ``"7"``...; None for keys that cannot be bound."""
    return _TABLE.get(code)


def key_id(code: int) -> str | None:
    """A pygame key code -> an input id (``"key:Left"``) or None."""
    n = _TABLE.get(code)
    return None if n is None else "key:" + n
