"""The wire format of the Genie Studio world protocol, version 1 (full reference: docs/protocol.md).

Two kinds of WebSocket messages:

* text: one JSON object with a ``type`` (and an optional request ``id``, echoed in the reply);
* binary: ``u32 big-endian header length | JSON header (UTF-8) | payload bytes``. Prompt images
  (client -> server, ``open``) and frames (server -> client) travel this way, never as base64.

Frames are ``uint8 [H, W, 3]`` arrays, encoded as ``raw`` RGB bytes, ``zlib`` (deflate of the raw
bytes) or ``png``; the header names the encoding and the shape. This module holds no I/O: it builds
and parses messages and raises :class:`ProtocolError` (with a code from :data:`CODES`) on bad ones.
"""

from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np

VERSION = 1
ENCODINGS = ("zlib", "raw", "png")
DEFAULT_ENCODING = "zlib"  # measured: docs/protocol.md "Frame encoding"
MAX_HEADER = 64 * 1024  # bytes of JSON in a text message or a binary header
_LEN = struct.Struct(">I")

# error code -> meaning (docs/protocol.md lists them with the close codes)
CODES = {
    "version_mismatch": "the client speaks another protocol version",
    "auth_failed": "missing or wrong token",
    "hello_required": "the first message must be hello",
    "bad_message": "not a JSON object / malformed binary framing",
    "bad_request": "a field is missing, of the wrong type or out of range",
    "unknown_type": "no such message type",
    "too_large": "a message or prompt over the server's limits",
    "unknown_model": "no such model on this server",
    "unknown_session": "no such session on this connection (or its resume token expired)",
    "bad_prompt": "the prompt image could not be used",
    "bad_action": "no such action",
    "session_limit": "too many sessions (total or on this connection)",
    "rate_limited": "too many steps per second; retry after retry_after_ms",
    "busy": "too many requests in flight on this connection",
    "idle_timeout": "no message for too long; the connection is closed",
    "shutting_down": "the server is stopping; reconnect later",
    "internal": "a server fault (logged); the session is unchanged",
}
FATAL = {"version_mismatch", "auth_failed", "hello_required", "idle_timeout", "shutting_down"}


class ProtocolError(Exception):
    """A message that breaks the protocol; ``code`` is one of :data:`CODES`."""

    def __init__(self, code: str, message: str, **extra):
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


class RemoteError(RuntimeError):
    """An error reported by (or about) a remote world server, with its protocol ``code``."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{message} [{code}]")
        self.code, self.message = code, message


# ---- building messages ----------------------------------------------------------------------------
def dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def pack(header: dict, payload: bytes = b"") -> bytes:
    """A binary message: length-prefixed JSON header, then the payload."""
    h = dumps(header).encode()
    if len(h) > MAX_HEADER:
        raise ProtocolError("too_large", f"binary header of {len(h)} bytes (limit {MAX_HEADER})")
    return _LEN.pack(len(h)) + h + bytes(payload)


def error(code: str, message: str, req_id=None, **extra) -> dict:
    return {"type": "error", "id": req_id, "code": code, "message": message, "fatal": code in FATAL, **extra}


# ---- parsing messages -----------------------------------------------------------------------------
def parse(message: str | bytes) -> tuple[dict, bytes]:
    """A received WebSocket message -> (header dict, payload). Raises :class:`ProtocolError`."""
    if isinstance(message, str):
        if len(message) > MAX_HEADER:
            raise ProtocolError("too_large", f"text message of {len(message)} characters (limit {MAX_HEADER})")
        return _loads(message), b""
    data = memoryview(message)
    if len(data) < _LEN.size:
        raise ProtocolError("bad_message", "binary message shorter than its 4-byte header length")
    (n,) = _LEN.unpack_from(data)
    if n > MAX_HEADER:
        raise ProtocolError("too_large", f"binary header of {n} bytes (limit {MAX_HEADER})")
    if _LEN.size + n > len(data):
        raise ProtocolError("bad_message", f"binary header length {n} runs past the message end")
    try:
        text = bytes(data[_LEN.size:_LEN.size + n]).decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("bad_message", "binary header is not UTF-8") from None
    return _loads(text), bytes(data[_LEN.size + n:])


def _loads(text: str) -> dict:
    try:
        obj = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        raise ProtocolError("bad_message", f"not JSON: {str(e)[:100]}") from None
    if not isinstance(obj, dict):
        raise ProtocolError("bad_message", "a message must be a JSON object")
    if not isinstance(obj.get("type"), str):
        raise ProtocolError("bad_message", "a message needs a string 'type'")
    return obj


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def request_id(msg: dict):
    """The request id to echo: an integer or a short string, else None."""
    rid = msg.get("id")
    if isinstance(rid, bool):
        return None
    if isinstance(rid, int) and abs(rid) < 2**53 or isinstance(rid, str) and len(rid) <= 64:
        return rid
    return None


def field(msg: dict, name: str, kind, default=..., lo=None, hi=None):
    """A validated field: type ``kind`` (int, float, str, or a tuple of allowed values), range lo..hi."""
    if name not in msg or msg[name] is None:
        if default is ...:
            raise ProtocolError("bad_request", f"{msg.get('type')}: missing field {name!r}")
        return default
    v = msg[name]
    if isinstance(kind, tuple):
        if v not in kind:
            raise ProtocolError("bad_request", f"{name} must be one of {', '.join(map(str, kind))}, not {v!r}")
        return v
    ok = (not isinstance(v, bool)) and (isinstance(v, int) if kind is int else
                                        isinstance(v, (int, float)) if kind is float else isinstance(v, kind))
    if not ok:
        raise ProtocolError("bad_request", f"{name} must be {kind.__name__}, not {type(v).__name__}")
    if kind is float:
        v = float(v)
        if v != v or v in (float("inf"), float("-inf")):
            raise ProtocolError("bad_request", f"{name} must be finite")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ProtocolError("bad_request", f"{name} must be in {lo}..{hi}, not {v!r}")
    return v


# ---- frames ---------------------------------------------------------------------------------------
def encode_frame(frame: np.ndarray, encoding: str) -> bytes:
    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    if encoding == "raw":
        return frame.tobytes()
    if encoding == "zlib":
        return zlib.compress(frame.tobytes(), 1)
    if encoding == "png":
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(frame).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()
    raise ValueError(f"unknown frame encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")


def decode_frame(payload: bytes, encoding: str, shape) -> np.ndarray:
    """Payload -> ``uint8 [H, W, 3]``; raises :class:`ProtocolError` if it does not match ``shape``."""
    try:
        h, w, c = (int(x) for x in shape)
        if not (0 < h <= 8192 and 0 < w <= 8192 and c == 3):
            raise ValueError
    except (TypeError, ValueError):
        raise ProtocolError("bad_message", f"bad frame shape {shape!r}") from None
    try:
        if encoding == "raw":
            data = payload
        elif encoding == "zlib":
            d = zlib.decompressobj()
            data = d.decompress(payload, h * w * 3 + 1)
        elif encoding == "png":
            from PIL import Image

            with Image.open(io.BytesIO(payload)) as img:
                if img.size != (w, h):
                    raise ValueError("size")
                return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
        else:
            raise ProtocolError("bad_message", f"unknown frame encoding {encoding!r}")
    except (zlib.error, OSError, ValueError):
        raise ProtocolError("bad_message", f"frame payload does not decode as {encoding}") from None
    if len(data) != h * w * 3:
        raise ProtocolError("bad_message", f"frame payload has {len(data)} bytes, expected {h * w * 3}")
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w, 3).copy()
