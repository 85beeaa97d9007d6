"""User settings and folders.

Folders come from appdirs (or ``$GENIE_STUDIO_HOME`` when set, which tests and portable installs use):
the config dir holds ``settings.json`` and control profiles; the data dir holds recordings, user models
and user plugins; the cache dir holds disposable files.

Settings are a versioned JSON document. Unknown keys are kept, missing keys take defaults, writes are
atomic. A corrupt or unreadable file is moved aside to ``settings.json.corrupt-<timestamp>`` and the
defaults are used, with a warning naming the backup: settings never crash the app. The knobs among
the settings are ``knobs.Knobs``'s fields, with its defaults; a knob with a value it cannot take is
reset to its default, with a warning.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import appdirs

from genie_studio.fsutil import atomic_write_json
from genie_studio.knobs import KnobError, Knobs

log = logging.getLogger(__name__)

APP = "genie-studio"
SCHEMA_VERSION = 1


def default_settings() -> dict:
    """The settings of a fresh install: every knob at its default (knobs.py), and what is not a knob."""
    return {
        "version": SCHEMA_VERSION,
        **Knobs().to_dict(),
        "backend": "local",  # local | remote
        "server_url": "",
        "token_file": "",
        "user_plugins": False,  # run Python plugins from the user plugins folder (docs/security.md)
        "recent_files": [],
        "window": {},
    }


@dataclass(frozen=True)
class Paths:
    config: Path
    data: Path
    cache: Path

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def recordings(self) -> Path:
        return self.data / "recordings"

    @property
    def models(self) -> Path:
        return self.data / "models"

    @property
    def plugins(self) -> Path:
        return self.data / "plugins"

    @property
    def profiles(self) -> Path:
        return self.config / "profiles"


def paths() -> Paths:
    home = os.environ.get("GENIE_STUDIO_HOME")
    if home:
        root = Path(home)
        return Paths(root / "config", root / "data", root / "cache")
    return Paths(
        Path(appdirs.user_config_dir(APP)),
        Path(appdirs.user_data_dir(APP)),
        Path(appdirs.user_cache_dir(APP)),
    )


def _merge(defaults: dict, loaded: dict) -> dict:
    out = copy.deepcopy(defaults)
    for k, v in loaded.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = _merge(out[k], v)
        elif k in out and out[k] is not None and v is not None and type(out[k]) is not type(v):
            if isinstance(out[k], float) and isinstance(v, int):
                out[k] = float(v)
            else:
                log.warning("settings: ignoring %r=%r (expected %s)", k, v, type(out[k]).__name__)
        else:
            out[k] = v
    out["version"] = SCHEMA_VERSION
    return out


def backup_corrupt(path: Path) -> Path:
    """Move an unreadable file aside to ``<name>.corrupt-<timestamp>`` (never overwriting a backup)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    os.replace(path, backup)
    return backup


def _move_aside(path: Path, reason: str) -> Path:
    backup = backup_corrupt(path)
    log.warning(
        "settings file %s was unreadable (%s); moved it to %s and using defaults", path, reason, backup
    )
    return backup


def load_settings(p: Paths | None = None) -> dict:
    """Return the settings, recovering from a corrupt file (see module docstring)."""
    p = p or paths()
    f = p.settings_file
    if not f.exists():
        return default_settings()
    try:
        loaded = json.loads(f.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError("top level is not an object")
        v = loaded.get("version", SCHEMA_VERSION)
        if not isinstance(v, int) or v > SCHEMA_VERSION:
            raise ValueError(f"settings version {v!r} is newer than this app understands ({SCHEMA_VERSION})")
    except (OSError, UnicodeDecodeError, ValueError) as e:
        _move_aside(f, str(e))
        return default_settings()
    return _checked_knobs(_merge(default_settings(), loaded))


def _checked_knobs(settings: dict) -> dict:
    """A knob the settings file gives a value it cannot take (knobs.Knobs) takes its default, with a warning."""
    defaults = Knobs().to_dict()
    for k in defaults:
        try:
            Knobs.from_dict({k: settings[k]})
        except KnobError as e:
            log.warning("settings: %s; using %r", e, defaults[k])
            settings[k] = defaults[k]
    return settings


def save_settings(settings: dict, p: Paths | None = None) -> Path:
    p = p or paths()
    data = _merge(default_settings(), settings)
    atomic_write_json(p.settings_file, data)
    return p.settings_file
