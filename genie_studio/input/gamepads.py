"""Gamepads through SDL2's GameController API, with a raw-joystick fallback, and hot-plug.

:class:`Gamepads` keeps every connected device open, keyed by SDL instance id, and reads their state
on demand (:meth:`Gamepads.read`): buttons as input ids (``pad:a``, ``pad:dpleft``...) and analog axes
in SDL GameController names (sticks -1..1, triggers 0..1) for :func:`controls.analog_inputs`.

- A device SDL knows as a game controller (SDL's database, ``SDL_GAMECONTROLLERCONFIG``, or
  ``<config>/gamecontrollerdb.txt``) is read through ``pygame._sdl2.controller``.
- Any other joystick is read raw: buttons are ``pad:button<N>``, the first hat is the d-pad, axes 0/1
  are the left stick and 2/3 the right stick.
- Devices come and go at any time: device events (or, failing those, a change in the device count)
  open and close them; a read of a device that vanished drops it, never raises. Bindings belong to the
  profile, so a pad plugged back in works as before.

Two ways to drive it: the pygame player passes its events to :meth:`handle_event`; a program without a
pygame window (the Qt editor) builds ``Gamepads(headless=True)`` and calls :meth:`pump` from a timer.
Headless mode starts SDL's video with the "dummy" driver (no window, no OS resources) only so that
pygame's event queue can be drained.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import pygame
import pygame._sdl2.controller as sdl_controller

from genie_studio.controls.inputs import PAD_BUTTONS
from genie_studio.input import mappings

log = logging.getLogger(__name__)

_AXES = ("leftx", "lefty", "rightx", "righty", "lefttrigger", "righttrigger")  # SDL axis order
_HAT = {(-1, 0): {"pad:dpleft"}, (1, 0): {"pad:dpright"}, (0, 1): {"pad:dpup"}, (0, -1): {"pad:dpdown"}}
DEVICE_EVENTS = frozenset({pygame.JOYDEVICEADDED, pygame.JOYDEVICEREMOVED, pygame.CONTROLLERDEVICEADDED,
                           pygame.CONTROLLERDEVICEREMOVED, pygame.CONTROLLERDEVICEREMAPPED})


@dataclass
class Device:
    instance_id: int
    name: str
    guid: str
    kind: str  # "controller" (SDL GameController mapping) or "joystick" (raw fallback)
    joystick: object
    controller: object | None = None


def _hat_inputs(x: int, y: int) -> set[str]:
    out = set()
    if x:
        out |= _HAT[(x, 0)]
    if y:
        out |= _HAT[(0, y)]
    return out


class Gamepads:
    def __init__(self, mapping_lines: list[str] | tuple[str, ...] = (), headless: bool = False):
        self.headless = headless
        self.devices: dict[int, Device] = {}
        self.mapping_warning = ""
        try:
            skipped: list[str] = []
            mappings.install(mapping_lines, skipped)
            if skipped:  # bad lines of the user's file are left out one by one, as SDL does
                self.mapping_warning = f"{len(skipped)} mapping line(s) skipped: {skipped[0]}"
        except mappings.MappingError as e:  # a bad mapping given by the caller must not stop play
            self.mapping_warning = str(e)
            log.warning("gamepad mappings ignored: %s", e)
        if headless and not pygame.display.get_init():
            old = os.environ.get("SDL_VIDEODRIVER")
            os.environ["SDL_VIDEODRIVER"] = "dummy"
            try:
                pygame.display.init()
            finally:
                if old is None:
                    os.environ.pop("SDL_VIDEODRIVER", None)
                else:
                    os.environ["SDL_VIDEODRIVER"] = old
        pygame.joystick.init()
        sdl_controller.init()
        self.rescan()

    # ---- hot-plug ---------------------------------------------------------------------------------
    def handle_event(self, ev) -> bool:
        """Handle device added/removed events; True when ``ev`` was a device event."""
        if ev.type == pygame.JOYDEVICEADDED:
            self._open(ev.device_index)
        elif ev.type == pygame.JOYDEVICEREMOVED:
            self._close(ev.instance_id)
        elif ev.type not in DEVICE_EVENTS:
            return False
        return True

    def pump(self) -> list:
        """Headless use: drain pygame's queue, handling device events; returns the other events."""
        rest = []
        for ev in pygame.event.get():
            if not self.handle_event(ev):
                rest.append(ev)
        return rest

    def rescan(self) -> None:
        """Open every connected device not open yet and drop the ones gone."""
        present = set()
        for index in range(pygame.joystick.get_count()):
            dev = self._open(index)
            if dev is not None:
                present.add(dev.instance_id)
        for iid in list(self.devices):
            if iid not in present:
                self._close(iid)

    def _open(self, index: int) -> Device | None:
        try:
            joy = pygame.joystick.Joystick(index)
            iid = joy.get_instance_id()
            if iid in self.devices:
                return self.devices[iid]
            ctl = None
            if sdl_controller.is_controller(index):
                try:
                    ctl = sdl_controller.Controller(index)
                except pygame.error as e:
                    log.warning("gamepad %s: controller API failed (%s); reading it raw", joy.get_name(), e)
            dev = Device(iid, (ctl.name if ctl else joy.get_name()) or "gamepad", joy.get_guid(),
                         "controller" if ctl else "joystick", joy, ctl)
        except pygame.error as e:  # unplugged between the event and now
            log.info("gamepad %d vanished before it could be opened: %s", index, e)
            return None
        self.devices[iid] = dev
        log.info("gamepad connected: %s (%s)", dev.name, dev.kind)
        return dev

    def _close(self, instance_id: int) -> None:
        dev = self.devices.pop(instance_id, None)
        if dev is None:
            return
        for h in (dev.controller, dev.joystick):
            try:
                if h is not None:
                    h.quit()
            except pygame.error:
                pass
        log.info("gamepad disconnected: %s", dev.name)

    def connected(self) -> list[dict]:
        """The connected devices, for people: name, kind, GUID, instance id."""
        return [{"name": d.name, "kind": d.kind, "guid": d.guid, "instance_id": d.instance_id}
                for d in self.devices.values()]

    # ---- state ------------------------------------------------------------------------------------
    def read(self) -> tuple[set[str], dict[str, float]]:
        """Held buttons of every pad and the strongest reading of each analog axis across pads."""
        if pygame.joystick.get_count() != len(self.devices):
            self.rescan()
        try:
            sdl_controller.update()  # SDL_GameControllerUpdate: fresh state even without an event pump
        except pygame.error:
            pass
        buttons: set[str] = set()
        axes: dict[str, float] = {}
        for iid in list(self.devices):
            dev = self.devices[iid]
            try:
                b, a = self._read_controller(dev) if dev.controller else self._read_joystick(dev)
            except pygame.error as e:  # vanished mid-read: drop it, keep playing
                log.info("gamepad %s stopped answering (%s)", dev.name, e)
                self._close(iid)
                continue
            buttons |= b
            for k, v in a.items():
                if abs(v) > abs(axes.get(k, 0.0)):
                    axes[k] = v
        return buttons, axes

    @staticmethod
    def _read_controller(dev: Device) -> tuple[set[str], dict[str, float]]:
        c = dev.controller
        if not c.attached():
            raise pygame.error("detached")
        n = min(len(PAD_BUTTONS), getattr(pygame, "CONTROLLER_BUTTON_MAX", 15))
        buttons = {f"pad:{PAD_BUTTONS[i]}" for i in range(n) if c.get_button(i)}
        axes = {name: max(-1.0, c.get_axis(i) / 32767.0) for i, name in enumerate(_AXES)}
        return buttons, axes

    @staticmethod
    def _read_joystick(dev: Device) -> tuple[set[str], dict[str, float]]:
        j = dev.joystick
        buttons = {f"pad:button{i}" for i in range(j.get_numbuttons()) if j.get_button(i)}
        if j.get_numhats():
            buttons |= _hat_inputs(*j.get_hat(0))
        axes = {name: j.get_axis(i) for i, name in enumerate(_AXES[:4]) if i < j.get_numaxes()}
        return buttons, axes

    def close(self) -> None:
        for iid in list(self.devices):
            self._close(iid)
