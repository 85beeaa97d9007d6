"""SDL GameControllerDB mapping strings: check them and hand them to SDL.

A mapping line is ``GUID,name,field:value,...`` (the format of SDL_GameControllerDB): GUID is 32 hex
digits, or ``xinput`` for XInput devices on Windows; fields are controller buttons/axes bound to raw
``bN`` buttons, ``hH.M`` hat bits or ``aN`` axes (with optional ``+``/``-``/``~``), plus
``platform:``. Lines starting with ``#`` are comments.

SDL reads ``SDL_GAMECONTROLLERCONFIG`` when its joystick subsystem starts: :func:`install` appends the
user's mappings (from ``<config>/gamecontrollerdb.txt`` and any given) to that variable. Like SDL, a
bad line in that file is skipped on its own (with a warning naming the file and line), not the file.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from genie_studio.config import paths

log = logging.getLogger(__name__)

ENV = "SDL_GAMECONTROLLERCONFIG"
# the element names SDL 2.28+ knows (SDL_gamecontroller.c's button and axis names)
FIELDS = frozenset("a b x y back guide start leftstick rightstick leftshoulder rightshoulder dpup dpdown "
                   "dpleft dpright misc1 misc2 misc3 misc4 misc5 misc6 paddle1 paddle2 paddle3 paddle4 "
                   "touchpad leftx lefty rightx righty lefttrigger righttrigger".split())
_META = frozenset({"platform", "crc", "hint", "sdk>=", "sdk<="})
_VALUE = re.compile(r"^[+-]?(b\d+|a\d+~?|h\d+\.\d+)~?$")


class MappingError(ValueError):
    pass


def parse_mapping(line: str) -> tuple[str, str, dict[str, str]]:
    """``"GUID,name,a:b0,..."`` -> (guid, name, fields); a clear :class:`MappingError` when malformed."""
    parts = [p.strip() for p in line.strip().rstrip(",").split(",")]
    if len(parts) < 3:
        raise MappingError(f"mapping {line[:60]!r}: expected GUID,name,field:value,...")
    guid, name, fields = parts[0].lower(), parts[1], {}
    if not (re.fullmatch(r"[0-9a-f]{32}", guid) or guid == "xinput"):
        raise MappingError(f"mapping for {name!r}: GUID {parts[0]!r} is not 32 hex digits")
    if not name:
        raise MappingError(f"mapping {guid}: the controller name is empty")
    for f in parts[2:]:
        k, sep, v = f.partition(":")
        k = k.strip().lstrip("+-")
        if not sep:
            raise MappingError(f"mapping for {name!r}: field {f!r} is not name:value")
        if k in _META:
            continue
        if k not in FIELDS:
            raise MappingError(f"mapping for {name!r}: unknown field {k!r}; fields: {', '.join(sorted(FIELDS))}")
        if not _VALUE.match(v.strip()):
            raise MappingError(f"mapping for {name!r}: {k}:{v} should be bN, aN or hN.M")
        fields[k] = v.strip()
    if not fields:
        raise MappingError(f"mapping for {name!r} binds nothing")
    return guid, name, fields


def parse_mappings(text: str, skipped: list[str] | None = None) -> list[str]:
    """Every mapping line of ``text`` (checked), comments and blank lines skipped. A bad line raises
    :class:`MappingError`, or, when a ``skipped`` list is given, is left out and described there."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                parse_mapping(line)
            except MappingError as e:
                if skipped is None:
                    raise
                skipped.append(f"line {n}: {e}")
                continue
            out.append(line.strip())
    return out


def user_mappings_file() -> Path:
    return paths().config / "gamecontrollerdb.txt"


def install(extra: list[str] | tuple[str, ...] = (), skipped: list[str] | None = None) -> list[str]:
    """Add the user's mapping file and ``extra`` lines to SDL's variable; returns the lines added.

    Takes effect when SDL's joystick subsystem next starts. A bad line in the user's file is skipped
    with a warning naming the file and line (as SDL does), described in ``skipped`` when given; a bad
    ``extra`` line is an error.
    """
    lines: list[str] = []
    f = user_mappings_file()
    if f.exists():
        bad: list[str] = []
        lines += parse_mappings(f.read_text(encoding="utf-8", errors="replace"), bad)
        if bad:
            log.warning("%s: skipped %d mapping line(s) SDL would not use; first: %s", f, len(bad),
                        "; ".join(bad[:3]))
            if skipped is not None:
                skipped += [f"{f}: {b}" for b in bad]
    for line in extra:
        lines += parse_mappings(line)
    current = os.environ.get(ENV, "")
    new = [ln for ln in lines if ln not in current.splitlines()]
    if new:
        os.environ[ENV] = "\n".join([current] + new if current else new)
    return new
