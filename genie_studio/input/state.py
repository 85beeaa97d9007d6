"""InputState: pygame events + gamepad state -> held inputs -> the action a profile sends.

The player feeds every pygame event to :meth:`InputState.handle_event` (keys, focus, device hot-plug)
and calls :meth:`InputState.update` once per world step, which polls the gamepads, turns sticks and
triggers into held inputs with the profile's dead zone and threshold, and applies the profile's
resolution rule. :meth:`press`/:meth:`release` take input ids directly (tests, scripts). The editor, whose
keyboard is Qt's, keeps its own :class:`HeldInputs` in its Controls panel and sends what the same
:func:`resolve` picks from the same profile, so a key does the same thing in both.
"""

from __future__ import annotations

import pygame

from genie_studio.controls import HeldInputs, Profile, active_binding, analog_inputs, resolve
from genie_studio.input.gamepads import Gamepads
from genie_studio.input.keys import key_id

_FOCUS_LOST_EVENT = getattr(pygame, "WINDOWFOCUSLOST", -1)


class InputState:
    def __init__(self, profile: Profile, gamepads: Gamepads | None = None):
        self.profile = profile
        self.gamepads = gamepads
        self.held = HeldInputs()
        self.axes: dict[str, float] = {}

    def handle_event(self, ev) -> bool:
        """Use one pygame event; True when it was an input event (keys, focus, devices)."""
        if ev.type in (pygame.KEYDOWN, pygame.KEYUP):
            kid = key_id(ev.key)
            if kid is not None:
                (self.held.press if ev.type == pygame.KEYDOWN else self.held.release)(kid, "keyboard")
            return True
        if ev.type == _FOCUS_LOST_EVENT:
            self.held.clear("keyboard")  # key-up events of an unfocused window never arrive
            return True
        if self.gamepads is not None:
            return self.gamepads.handle_event(ev)
        return False

    def press(self, input_id: str, source: str = "keyboard") -> None:
        self.held.press(input_id, source)

    def release(self, input_id: str, source: str = "keyboard") -> None:
        self.held.release(input_id, source)

    def poll(self) -> frozenset[str]:
        """Read the gamepads now; returns every held input id."""
        if self.gamepads is not None:
            buttons, self.axes = self.gamepads.read()
            pad = buttons | analog_inputs(self.axes, self.profile.deadzone, self.profile.trigger_threshold)
            self.held.set_source("gamepad", pad)
        return self.held.held

    def update(self) -> int:
        """Poll, then the action index to send now."""
        self.poll()
        return resolve(self.profile, self.held.order)

    @property
    def action(self) -> int:
        return resolve(self.profile, self.held.order)

    @property
    def binding(self):
        """The binding behind :attr:`action` (None when the idle action is sent)."""
        return active_binding(self.profile, self.held.order)
