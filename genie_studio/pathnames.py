"""Paths written into files that travel (a model's config.json, eval.json and card): never an absolute
path of the machine that wrote them.

A relative path is kept as given on the command line; an absolute one becomes relative to the working
folder when it lies inside it or at most ``MAX_UP`` folders above, else only its last ``KEEP`` parts.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

MAX_UP = 1
KEEP = 2


def portable_path(path: str | os.PathLike, start: str | os.PathLike | None = None) -> str:
    p = Path(path)
    if not p.is_absolute():
        return PurePosixPath(*p.parts).as_posix() if p.parts else "."
    try:
        rel = Path(os.path.relpath(p, start or Path.cwd()))
    except ValueError:  # another drive (Windows)
        rel = None
    if rel is not None and rel.parts[:MAX_UP + 1].count("..") <= MAX_UP:
        return PurePosixPath(*rel.parts).as_posix()
    return PurePosixPath(*p.parts[-KEEP:]).as_posix()
