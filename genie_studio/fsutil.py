"""Small file-system helpers shared by every layer: atomic, durable writes."""

from __future__ import annotations

import json
import os
import stat
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


MAX_JSON_DOC = 16 << 20  # bytes of a settings, header or config document


class NotRegularFile(OSError):
    """A path that is not a regular file (a pipe, a device, a folder), or one over a read limit."""


def open_regular(path: str | os.PathLike):
    """Open ``path`` for binary reading only if it is a regular file: a FIFO (which would block the
    reader), a device such as /dev/zero (endless) or a folder raises :class:`NotRegularFile`."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"{path}: not a regular file (a pipe, a device or a folder)")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of the regular file ``path``; :class:`NotRegularFile` for anything else or for a file
    over ``limit`` bytes (never more than ``limit + 1`` bytes are read)."""
    with open_regular(path) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise NotRegularFile(f"{path}: over the {limit} byte limit for this kind of file")
    return data


def read_versioned_json(f: Path, fmt: str, version: int, what: str, error: type[Exception]) -> dict:
    """Read a ``{"format": fmt, "version": version, ...}`` document, raising ``error`` with a message
    that names the file for a missing, unreadable (a pipe, a device, over 16 MiB), foreign or
    newer/older file."""
    if not f.exists():
        raise error(f"{f}: missing; this folder is not a {what}")
    try:
        doc = json.loads(read_regular(f, MAX_JSON_DOC).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
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
