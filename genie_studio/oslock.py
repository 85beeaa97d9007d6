"""Lock files held by the operating system: "is another process using this?" on Windows and POSIX alike.

A lock taken with :func:`try_lock` is an exclusive lock on an open file (``fcntl.flock`` on POSIX,
``msvcrt.locking`` on Windows). The OS drops it when the holder closes the file or its process ends,
however it ends (a crash, a kill, a power cut), so a lock found free means no live process holds it,
without asking about process ids (``os.kill(pid, 0)`` is POSIX-only; on Windows signal 0 is
CTRL_C_EVENT) and without being fooled by a reused pid. Locks are per open file: a second
:func:`try_lock` of the same path in the same process is refused too.
"""

from __future__ import annotations

import os
from pathlib import Path

if os.name == "nt":
    import msvcrt

    def _lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # the file's first byte (it need not exist yet)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def _wait(fd: int) -> None:
        while True:  # LK_LOCK itself gives up after 10 tries a second apart
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                continue
else:
    import fcntl

    def _lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # BlockingIOError: held by someone else
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _wait(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)


class HeldLock:
    """A lock this process holds until :meth:`release` (or its exit)."""

    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self, remove: bool = False) -> None:
        """Let go of the lock; ``remove`` also deletes the file (after unlocking: Windows cannot delete
        a file that is open)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)
        if remove:
            try:
                self.path.unlink()
            except OSError:  # another process opened it meanwhile (Windows), or it is gone: harmless
                pass

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def try_lock(path: str | os.PathLike) -> HeldLock | None:
    """Take the lock file ``path`` (created if missing) without waiting; None when another holder has it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if _lock(fd):
        return HeldLock(path, fd)
    os.close(fd)
    return None


def wait_lock(path: str | os.PathLike) -> HeldLock:
    """Take the lock file ``path`` (created if missing), waiting as long as another holder has it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _wait(fd)
    except BaseException:
        os.close(fd)
        raise
    return HeldLock(path, fd)


def is_held(path: str | os.PathLike) -> bool:
    """Whether a live holder (another process, or another open of this process) has the lock ``path``.
    A missing file is not held; this never creates one."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    except OSError:  # unreadable: assume someone has it rather than take their work
        return True
    try:
        if not _lock(fd):
            return True
        _unlock(fd)
        return False
    finally:
        os.close(fd)


__all__ = ["HeldLock", "is_held", "try_lock", "wait_lock"]
