"""Real SDL virtual joysticks for tests, through ctypes on the SDL library inside the pygame wheel.

The library is loaded after pygame so the process shares one SDL instance with pygame: a device
attached here is seen by pygame exactly like a USB pad plugged in.
"""

from __future__ import annotations

import ctypes
import glob
import os

import pygame
import pygame._sdl2.controller as sdl_controller

import genie_studio.input  # noqa: F401  (SDL hints first)

JOYSTICK = 0  # SDL_JOYSTICK_TYPE_UNKNOWN: a raw joystick, no controller mapping
GAMECONTROLLER = 1  # SDL_JOYSTICK_TYPE_GAMECONTROLLER: SDL maps it like an Xbox pad
# SDL's default mapping of a virtual game controller, in button order
BUTTONS = ("a", "b", "x", "y", "back", "guide", "start", "leftstick", "rightstick", "leftshoulder",
           "rightshoulder", "dpup", "dpdown", "dpleft", "dpright")
AXES = ("leftx", "lefty", "rightx", "righty", "lefttrigger", "righttrigger")
HAT = {"up": 1, "right": 2, "down": 4, "left": 8, "centered": 0}
RAW_GUID = "ff008f605669727475616c204a007600"  # SDL's GUID for a type-0 virtual joystick


def _find_sdl() -> str:
    base = os.path.dirname(pygame.__file__)
    for pattern in (base + ".libs/libSDL2-2*.so*", base + "/libSDL2*.so*", base + "/.dylibs/libSDL2*",
                    base + "/SDL2.dll"):
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[0]
    raise RuntimeError("SDL2 library not found inside the pygame install")


_sdl = ctypes.CDLL(_find_sdl())
_sdl.SDL_JoystickOpen.restype = ctypes.c_void_p
_sdl.SDL_JoystickOpen.argtypes = [ctypes.c_int]
_sdl.SDL_JoystickClose.argtypes = [ctypes.c_void_p]
_sdl.SDL_JoystickInstanceID.argtypes = [ctypes.c_void_p]
_sdl.SDL_JoystickSetVirtualButton.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
_sdl.SDL_JoystickSetVirtualAxis.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int16]
_sdl.SDL_JoystickSetVirtualHat.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
_sdl.SDL_GetError.restype = ctypes.c_char_p


def _check(rc: int, what: str) -> int:
    if rc < 0:
        raise RuntimeError(f"{what}: {_sdl.SDL_GetError().decode()}")
    return rc


def start_sdl() -> None:
    pygame.joystick.init()
    sdl_controller.init()


def restart_joysticks() -> None:
    """Quit and restart SDL's joystick subsystems (re-reads SDL_GAMECONTROLLERCONFIG)."""
    sdl_controller.quit()
    pygame.joystick.quit()
    start_sdl()


class VirtualPad:
    """One virtual device; ``kind`` is GAMECONTROLLER (mapped pad) or JOYSTICK (raw)."""

    def __init__(self, kind: int = GAMECONTROLLER, naxes: int = 6, nbuttons: int = 15, nhats: int = 0):
        start_sdl()
        index = _check(_sdl.SDL_JoystickAttachVirtual(kind, naxes, nbuttons, nhats), "attach")
        self.handle = _sdl.SDL_JoystickOpen(index)
        if not self.handle:
            raise RuntimeError(f"open: {_sdl.SDL_GetError().decode()}")
        self.instance_id = _sdl.SDL_JoystickInstanceID(self.handle)
        if kind == GAMECONTROLLER:  # at rest, a trigger axis sits at its minimum
            for i in (4, 5):
                if i < naxes:
                    self.axis(i, -1.0)

    def button(self, which, down: bool = True) -> None:
        i = BUTTONS.index(which) if isinstance(which, str) else which
        _check(_sdl.SDL_JoystickSetVirtualButton(self.handle, i, int(down)), "button")

    def axis(self, which, value: float) -> None:
        i = AXES.index(which) if isinstance(which, str) else which
        raw = max(-32768, min(32767, int(round(value * 32767)) if value > -1 else -32768))
        _check(_sdl.SDL_JoystickSetVirtualAxis(self.handle, i, raw), "axis")

    def trigger(self, which: str, pull: float) -> None:
        """``pull`` in 0..1 on a full-range trigger axis (-32768 released .. 32767 fully pulled)."""
        self.axis(which, pull * 2 - 1)

    def hat(self, direction: str, i: int = 0) -> None:
        _check(_sdl.SDL_JoystickSetVirtualHat(self.handle, i, HAT[direction]), "hat")

    def release_all(self) -> None:
        for i in range(len(BUTTONS)):
            _sdl.SDL_JoystickSetVirtualButton(self.handle, i, 0)

    def unplug(self) -> None:
        if self.handle is None:
            return
        index = None
        for i in range(_sdl.SDL_NumJoysticks()):
            if _sdl.SDL_JoystickGetDeviceInstanceID(i) == self.instance_id:
                index = i
        _sdl.SDL_JoystickClose(self.handle)
        self.handle = None
        if index is not None:
            _check(_sdl.SDL_JoystickDetachVirtual(index), "detach")
