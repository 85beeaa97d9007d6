"""What shapes a world and its play: :class:`Knobs`, and the one place their defaults are written.

The settings (``config.default_settings``), the command-line flags (``commands/_common.py``), the
editor's knob panel and worker, a recording's header and the server's messages all read and write a
``Knobs``; a session takes new ones in one call, ``configure(knobs)`` (docs/architecture.md, "How a
knob travels"). A default is read when a ``Knobs()`` is made, at the time of use: nothing copies one
into a constant of its own.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields

DECODERS = ("copy", "free")  # "copy": the drawing is the level, only what moves is generated; "free": all of it
DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("auto", "bf16", "fp32")
MAX_STEPS = 64
MAX_TEMPERATURE = 100.0
MAX_SEED = 2**63 - 1
MAX_FPS = 1000
# What a running session takes from configure(): the seed, the decoder and endless apply from its next reset.
# The other knobs are fixed when it opens (model, device, precision, context, compile) or are the front end's (fps).
LIVE = ("maskgit_steps", "temperature", "seed", "decoder", "endless")


class KnobError(ValueError):
    """A knob given a value it cannot take; the message names the knob (``name``) and what it may be."""

    def __init__(self, message: str, name: str | None = None):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Knobs:
    model: str = "default"  # a name from `genie-studio models` or a folder; "default": model_catalog.DEFAULT_MODEL
    device: str = "auto"  # DEVICES; auto: cuda where there is a GPU (session/devices.py)
    precision: str = "auto"  # PRECISIONS; auto: bf16 where it is native, else fp32
    maskgit_steps: int = 2  # MaskGIT passes a frame: 2 control as well as 4, for 3 model passes, not 5 (performance.md)
    temperature: float = 1.0  # MaskGIT sampling temperature (0: the most likely tokens)
    seed: int = 0  # the same prompt, seed, knobs and actions make the same world
    fps: int | float = 30  # frames per second the front ends aim for, and a recording's nominal clock
    context: int | None = None  # frames of context; None: the model's own
    compile: bool = True  # compiled stepping (session/compiled.py): built once per machine, in the background
    decoder: str = "free"  # DECODERS: how a session makes each frame (docs/world-is-the-drawing.md)
    endless: bool = False  # decoder "copy": the model invents past the drawing's ends instead of stopping there

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, _CHECKS[f.name](f.name, getattr(self, f.name)))

    def to_dict(self) -> dict:
        """Every knob by name: the keys of the settings file and of the wire's ``knobs`` object."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, base: Knobs | None = None, *, strict: bool = False) -> Knobs:
        """``base`` (default: the defaults) with the knobs ``d`` names; a None value keeps ``base``'s. Other
        keys are ignored (a settings dict holds more), or refused with ``strict`` (a message on the wire)."""
        if not isinstance(d, dict):
            raise KnobError(f"knobs must be an object of name: value, not {type(d).__name__}")
        names = {f.name for f in fields(cls)}
        if strict and (unknown := sorted(set(d) - names, key=str)):
            raise KnobError(f"unknown knob {str(unknown[0])[:40]!r}; the knobs are {', '.join(sorted(names))}")
        given = {k: v for k, v in d.items() if k in names and v is not None}
        return cls(**{**(base or cls()).to_dict(), **given})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Knobs:
        try:
            d = json.loads(text)
        except ValueError as e:
            raise KnobError(f"knobs: not JSON ({e})") from None
        return cls.from_dict(d, strict=True)

    def replace(self, **changes) -> Knobs:
        """A copy with some knobs changed (checked like any other)."""
        return self.from_dict(changes, self, strict=True)

    def live(self) -> dict:
        """The knobs a running session takes (:data:`LIVE`)."""
        return {k: getattr(self, k) for k in LIVE}


def _fail(name: str, want: str, v) -> KnobError:
    return KnobError(f"knob {name} must be {want}, not {v!r}"[:200], name)


def _int(lo: int, hi: int | None = None):
    def check(name, v):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            raise _fail(name, f"a whole number in {lo}..{hi}" if hi is not None else f"a whole number from {lo}", v)
        return v
    return check


def _number(lo: float, hi: float, low_open: bool = False, as_float: bool = False):
    def check(name, v):
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        if not ok or v > hi or v < lo or (low_open and v == lo):
            raise _fail(name, f"a number in {'(' if low_open else '['}{lo:g}, {hi:g}]", v)
        return float(v) if as_float else v
    return check


def _choice(options):
    def check(name, v):
        if v not in options or not isinstance(v, str):
            raise _fail(name, f"one of {', '.join(options)}", v)
        return v
    return check


def _bool(name, v):
    if not isinstance(v, bool):
        raise _fail(name, "true or false", v)
    return v


def _model(name, v):
    if not isinstance(v, str) or not v.strip():
        raise _fail(name, "a model name or folder", v)
    return v


def _context(name, v):
    return None if v is None else _int(2)(name, v)


_CHECKS = {"model": _model, "device": _choice(DEVICES), "precision": _choice(PRECISIONS),
           "maskgit_steps": _int(1, MAX_STEPS), "temperature": _number(0.0, MAX_TEMPERATURE, as_float=True),
           "seed": _int(0, MAX_SEED), "fps": _number(0, MAX_FPS, low_open=True), "context": _context,
           "compile": _bool, "decoder": _choice(DECODERS), "endless": _bool}
