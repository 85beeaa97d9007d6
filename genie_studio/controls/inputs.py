"""Physical inputs, named the same way for every toolkit.

An *input id* is a short string:

- ``key:NAME`` -- a keyboard key. ``NAME`` is toolkit-neutral: ``Left Right Up Down Space Return
  Escape Tab Backspace Shift Ctrl Alt``, letters ``A``..``Z``, digits ``0``..``9``, ``F1``..``F12``.
  Qt (editor) and pygame (player) key codes both translate into these names.
- ``pad:BUTTON`` -- a gamepad button, with SDL GameController names: ``a b x y back guide start
  leftstick rightstick leftshoulder rightshoulder``; the d-pad is ``dpup dpdown dpleft dpright``
  (a raw joystick's first hat reads as the d-pad); raw joysticks without a mapping give ``button0``..
- ``pad:lstick-left`` (``-right -up -down``), ``pad:rstick-...`` -- a stick pushed in a direction,
  past the radial dead zone (see :func:`analog_inputs`).
- ``pad:ltrigger``, ``pad:rtrigger`` -- a trigger pulled past its threshold.

A binding is a tuple of input ids; more than one id makes a *chord* (all must be held).
Bindings are per profile, never per device instance: every connected pad drives the same inputs.
"""

from __future__ import annotations

import math
import string

SPECIAL_KEYS = ("Left", "Right", "Up", "Down", "Space", "Return", "Escape", "Tab", "Backspace",
                "Shift", "Ctrl", "Alt")
KEY_NAMES = frozenset(SPECIAL_KEYS + tuple(string.ascii_uppercase) + tuple(string.digits)
                      + tuple(f"F{i}" for i in range(1, 13)))
PAD_BUTTONS = ("a", "b", "x", "y", "back", "guide", "start", "leftstick", "rightstick",
               "leftshoulder", "rightshoulder", "dpup", "dpdown", "dpleft", "dpright", "misc1",
               "paddle1", "paddle2", "paddle3", "paddle4", "touchpad")
DIRECTIONS = ("left", "right", "up", "down")
STICKS = {"lstick": ("leftx", "lefty"), "rstick": ("rightx", "righty")}
TRIGGERS = {"ltrigger": "lefttrigger", "rtrigger": "righttrigger"}
ANALOG_AXES = ("leftx", "lefty", "rightx", "righty", "lefttrigger", "righttrigger")
DEFAULT_DEADZONE = 0.2
DEFAULT_TRIGGER_THRESHOLD = 0.5
# A stick direction counts while the stick's angle is within 67.5 degrees of it, so diagonals hold two
# neighbouring directions at once (8-way), and a straight push holds exactly one.
_DIAGONAL_COS = math.cos(math.radians(67.5))


class InputError(ValueError):
    pass


def key(name: str) -> str:
    """``"left"`` / ``"Left"`` / ``"a"`` -> ``"key:Left"`` / ``"key:A"``; unknown names are refused."""
    canon = canonical_key_name(name)
    if canon is None:
        raise InputError(f"unknown key {name!r}; keys are named like: Left, Space, A, 7, F5")
    return "key:" + canon


def canonical_key_name(name: str) -> str | None:
    n = name.strip()
    if len(n) == 1:
        n = n.upper()
    else:
        lower = {k.lower(): k for k in KEY_NAMES}
        n = lower.get(n.lower(), n)
    return n if n in KEY_NAMES else None


def _pad_ids() -> frozenset[str]:
    ids = {f"pad:{b}" for b in PAD_BUTTONS}
    ids |= {f"pad:{s}-{d}" for s in STICKS for d in DIRECTIONS}
    ids |= {f"pad:{t}" for t in TRIGGERS}
    return frozenset(ids)


PAD_INPUTS = _pad_ids()


def is_valid(input_id: str) -> bool:
    if not isinstance(input_id, str):
        return False
    kind, _, name = input_id.partition(":")
    if kind == "key":
        return name in KEY_NAMES
    if kind == "pad":
        return input_id in PAD_INPUTS or (name.startswith("button") and name[6:].isdigit())
    return False


def validate(input_id: str) -> str:
    if not is_valid(input_id):
        raise InputError(f"unknown input {input_id!r}; inputs look like key:Left, key:Space, pad:a, "
                         "pad:dpleft, pad:lstick-right, pad:rtrigger")
    return input_id


def device_of(input_id: str) -> str:
    """``"keyboard"`` or ``"gamepad"``."""
    return "keyboard" if input_id.startswith("key:") else "gamepad"


_PAD_TEXT = {"a": "A", "b": "B", "x": "X", "y": "Y", "back": "Back", "guide": "Guide", "start": "Start",
             "leftstick": "Left stick click", "rightstick": "Right stick click", "leftshoulder": "LB",
             "rightshoulder": "RB", "dpup": "D-pad Up", "dpdown": "D-pad Down", "dpleft": "D-pad Left",
             "dpright": "D-pad Right", "ltrigger": "LT", "rtrigger": "RT", "misc1": "Misc",
             "touchpad": "Touchpad"}


def describe(input_id: str) -> str:
    """People-facing text: ``key:Left`` -> ``Left``; ``pad:lstick-up`` -> ``Pad Left stick Up``."""
    kind, _, name = input_id.partition(":")
    if kind == "key":
        return name
    if "-" in name:
        stick, _, d = name.partition("-")
        return f"Pad {'Left' if stick == 'lstick' else 'Right'} stick {d.capitalize()}"
    return "Pad " + _PAD_TEXT.get(name, name.capitalize())


def describe_chord(inputs) -> str:
    return " + ".join(describe(i) for i in inputs)


def analog_inputs(axes: dict[str, float], deadzone: float = DEFAULT_DEADZONE,
                  trigger_threshold: float = DEFAULT_TRIGGER_THRESHOLD) -> set[str]:
    """Analog readings -> the stick directions and triggers they hold.

    ``axes`` has SDL GameController axis names: sticks in -1..1 (y grows downwards), triggers in 0..1.
    A stick holds nothing while its (x, y) magnitude is within ``deadzone`` (a *radial* dead zone, so
    diagonals are not favoured); beyond it, a direction is held when the push is within 67.5 degrees of
    it. A trigger is held at ``value >= trigger_threshold``.
    """
    out: set[str] = set()
    for stick, (ax, ay) in STICKS.items():
        x, y = float(axes.get(ax, 0.0)), float(axes.get(ay, 0.0))
        mag = math.hypot(x, y)
        if mag <= deadzone or mag == 0.0:
            continue
        limit = mag * _DIAGONAL_COS
        if x >= limit:
            out.add(f"pad:{stick}-right")
        if -x >= limit:
            out.add(f"pad:{stick}-left")
        if y >= limit:
            out.add(f"pad:{stick}-down")
        if -y >= limit:
            out.add(f"pad:{stick}-up")
    for trig, axis in TRIGGERS.items():
        if float(axes.get(axis, 0.0)) >= trigger_threshold:
            out.add(f"pad:{trig}")
    return out
