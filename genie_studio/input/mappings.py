"""SDL GameControllerDB mapping strings: check them and hand them to SDL.

A mapping line is ``GUID,name,field:value,...`` (the format of SDL_GameControllerDB): GUID is 32 hex
digits; fields are controller buttons/axes bound to raw ``bN`` buttons, ``hH.M`` hat bits or ``aN``
axes (with optional ``+``/``-``/``~``), plus ``platform:``. Lines starting with ``#`` are comments.

SDL reads ``SDL_GAMECONTROLLERCONFIG`` when its joystick subsystem starts: :func:`install` appends the
user's mappings (from ``<config>/gamecontrollerdb.txt`` and any given) to that variable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from genie_studio.config import paths

ENV = "SDL_GAMECONTROLLERCONFIG"
FIELDS = frozenset("a b x y back guide start leftstick rightstick leftshoulder rightshoulder dpup dpdown "
                   "dpleft dpright misc1 paddle1 paddle2 paddle3 paddle4 touchpad leftx lefty rightx "
                   "righty lefttrigger righttrigger".split())
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
    if not re.fullmatch(r"[0-9a-f]{32}", guid):
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


def parse_mappings(text: str) -> list[str]:
    """Every mapping line of ``text`` (checked), comments and blank lines skipped."""
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            parse_mapping(line)
            out.append(line.strip())
    return out


def user_mappings_file() -> Path:
    return paths().config / "gamecontrollerdb.txt"


def install(extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Add the user's mapping file and ``extra`` lines to SDL's variable; returns the lines added.

    Takes effect when SDL's joystick subsystem next starts. A bad line in the user's file is an error
    naming the file (fix or delete it); nothing is half-installed.
    """
    lines: list[str] = []
    f = user_mappings_file()
    if f.exists():
        try:
            lines += parse_mappings(f.read_text(encoding="utf-8"))
        except (MappingError, UnicodeDecodeError) as e:
            raise MappingError(f"{f}: {e}") from None
    for line in extra:
        lines += parse_mappings(line)
    current = os.environ.get(ENV, "")
    new = [ln for ln in lines if ln not in current.splitlines()]
    if new:
        os.environ[ENV] = "\n".join([current] + new if current else new)
    return new
