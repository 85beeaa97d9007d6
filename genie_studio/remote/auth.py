"""Tokens and addresses: who may talk to a world server.

* A token lives in a file (first line, surrounding whitespace stripped), at least 16 characters.
  ``ensure_token_file`` creates a missing one with 32 random bytes, readable by its owner only.
* Tokens are compared with :func:`hmac.compare_digest` (constant time).
* A server without a token only listens on a loopback address (:func:`is_loopback`).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import stat
from pathlib import Path

MIN_TOKEN = 16


class AuthError(ValueError):
    """A token file or listen address that cannot be used; the message says what to do."""


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname or an interface name: assume it is reachable from outside


def read_token(path) -> str:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AuthError(f"{p}: token file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise AuthError(f"{p}: unreadable token file ({e})") from None
    token = (text.strip().splitlines() or [""])[0].strip()
    if len(token) < MIN_TOKEN:
        raise AuthError(f"{p}: the token must be at least {MIN_TOKEN} characters on the first line "
                        f"(delete the file to have the server create a random one)")
    return token


def ensure_token_file(path) -> tuple[str, bool]:
    """Read the token in ``path``, creating the file with a random token first if it is missing.
    Returns (token, created)."""
    p = Path(path)
    if p.exists():
        return read_token(p), False
    p.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    tmp = p.with_name(f".{p.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # private from the first byte
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return token, True


def bearer_token(headers) -> str | None:
    """The token in an ``Authorization: Bearer TOKEN`` request header, or None."""
    value = headers.get("Authorization") if headers is not None else None
    if not value or not value[:7].lower() == "bearer ":
        return None
    return value[7:].strip()


def token_file_is_private(path) -> bool:
    """False when group or others can read the token file (POSIX only; always True elsewhere)."""
    if os.name != "posix":
        return True
    return not (Path(path).stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))


def check_token(expected: str | None, given) -> bool:
    """Constant-time comparison; a server without a token accepts anyone (loopback only). An empty
    expected token matches nothing: it is a misconfiguration, not "no token"."""
    if expected is None:
        return True
    if not expected:
        return False
    if not isinstance(given, str):
        given = ""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))
