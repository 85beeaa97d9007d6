"""Small file-system helpers shared by every layer: atomic, durable writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a torn one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)  # the rename itself is durable only once the folder is on disk


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a new or renamed file) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_versioned_json(f: Path, fmt: str, version: int, what: str, error: type[Exception]) -> dict:
    """Read a ``{"format": fmt, "version": version, ...}`` document, raising ``error`` with a message
    that names the file for a missing, unreadable, foreign or newer/older file."""
    if not f.exists():
        raise error(f"{f}: missing; this folder is not a {what}")
    try:
        doc = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise error(f"{f}: unreadable ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise error(f"{f}: not a {what} (format must be {fmt!r})")
    if doc.get("version") != version:
        raise error(f"{f}: {what} format version {doc.get('version')!r}; this app reads version {version}")
    return doc


def os_error_text(e: BaseException, with_name: bool = True) -> str:
    """An OS or decoder error as a sentence: ``x.mp4: invalid data found when processing input``.

    ``str(OSError)`` leads with ``[Errno N]``, and decoders (PyAV, FFmpeg) report their own large codes
    that way (``[Errno 1094995529] Invalid data ...``); the number means nothing to a reader.
    """
    reason = getattr(e, "strerror", None) or str(e).strip() or type(e).__name__
    if reason.startswith("[Errno"):
        reason = reason.split("]", 1)[-1].strip()
    if reason[1:2].islower():  # "Invalid data" -> "invalid data", but "PNG ..." stays
        reason = reason[:1].lower() + reason[1:]
    name = getattr(e, "filename", None) if with_name else None
    return f"{name}: {reason}" if name and str(name) not in reason else reason
