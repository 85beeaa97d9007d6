"""Profiles on disk: one versioned JSON file per model in the user config dir, saved atomically.

``<config>/profiles/<model>.json`` holds the profile the editor's Controls panel edits and the player
uses, so a rebinding works at once and after a restart. A file that cannot be read (bad JSON, wrong
shape, a newer version) is moved aside to ``<model>.json.corrupt-<timestamp>`` (never deleted), the
default profile is written in its place, and a warning says where the old file went.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

from genie_studio.config import backup_corrupt, paths
from genie_studio.controls.defaults import default_profile
from genie_studio.controls.profile import Profile, ProfileError, remap
from genie_studio.fsutil import atomic_write_json

log = logging.getLogger(__name__)


def profile_path(model: str) -> Path:
    """Where the profile of the model named ``model`` lives."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(str(model)).name or str(model)).strip("._") or "default"
    return paths().profiles / f"{safe}.json"


def _same_labels(a: list[str], b: list[str]) -> bool:
    return [x.strip().lower() for x in a] == [x.strip().lower() for x in b]


def read_profile(path: str | os.PathLike) -> Profile:
    """Read one profile file; any problem is a :class:`ProfileError` naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such profile file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ProfileError(f"{path}: cannot read it ({e})") from None
    except json.JSONDecodeError as e:
        raise ProfileError(f"{path}: not valid JSON ({e})") from None
    try:
        return Profile.from_dict(data)
    except ProfileError as e:
        raise ProfileError(f"{path}: {e}") from None


def save_profile(profile: Profile, path: str | os.PathLike | None = None) -> Path:
    """Write atomically to ``path`` (default: the model's profile file); returns the path."""
    path = Path(path) if path is not None else profile_path(profile.model or "default")
    atomic_write_json(path, profile.to_dict())
    return path


def load_profile(model: str, labels: list[str]) -> tuple[Profile, list[str]]:
    """The profile for ``model`` (whose actions are ``labels``) and warnings for people.

    No file -> the default profile. Corrupt file -> backed up, default restored, one warning.
    A file made for other action labels -> remapped by label, its problems returned as warnings
    (the file itself is left untouched until the user saves).
    """
    path = profile_path(model)
    if not path.exists():
        return default_profile(labels, model=model), []
    try:
        prof = read_profile(path)
    except ProfileError as e:
        backup = backup_corrupt(path)
        fresh = default_profile(labels, model=model)
        save_profile(fresh, path)
        msg = f"controls profile was unreadable ({e}); moved it to {backup} and restored the default bindings"
        log.warning(msg)
        return fresh, [msg]
    prof.model = model
    if _same_labels(prof.labels, labels):
        prof.labels = list(labels)
        return prof, []
    new, problems = remap(prof, labels)
    for m in problems:
        log.warning("controls profile %s: %s", path, m)
    return new, problems


def export_profile(profile: Profile, path: str | os.PathLike) -> Path:
    """Save a copy to any file (to share bindings)."""
    return save_profile(profile, path)


def import_profile(path: str | os.PathLike, labels: list[str] | None = None,
                   model: str | None = None) -> tuple[Profile, list[str]]:
    """Read a shared profile file; with ``labels``, fit it to that model by label (problems returned)."""
    prof = read_profile(path)
    if model is not None:
        prof.model = model
    if labels is None or _same_labels(prof.labels, labels):
        return prof, []
    return remap(prof, labels)
