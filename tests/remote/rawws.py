"""A bare WebSocket client on a plain socket, for the attacks a polite client library will not make:
frames announced but never finished, messages sent while never reading the replies."""

import base64
import os
import socket
import struct

from websockets.frames import Frame, Opcode


def handshake(port: int, headers: dict | None = None, rcvbuf: int | None = None,
              sndbuf: int | None = None) -> socket.socket:
    """Connect to 127.0.0.1:port and upgrade to WebSocket; returns the socket (HTTP 101 checked)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if sndbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET / HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = s.recv(1)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        reply += chunk
    status = reply.split(b"\r\n", 1)[0]
    if b" 101 " not in status:
        s.close()
        raise ConnectionRefusedError(status.decode())
    return s


def frame(data: bytes | str) -> bytes:
    """One masked client frame holding a whole text (str) or binary (bytes) message."""
    op = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
    payload = data.encode() if isinstance(data, str) else data
    return Frame(op, payload).serialize(mask=True, extensions=[])


def unfinished_binary_header(length: int) -> bytes:
    """The header of a masked binary frame announcing ``length`` bytes (none of which follow)."""
    return bytes([0x82, 0x80 | 127]) + struct.pack(">Q", length) + os.urandom(4)


def read_close_code(s: socket.socket, timeout: float = 5.0) -> int | None:
    """Read frames until the server's close frame; returns its code (None if the socket just ends)."""
    s.settimeout(timeout)
    buf = b""
    while True:
        while len(buf) >= 2:
            n = buf[1] & 0x7F
            head = 2 + (2 if n == 126 else 8 if n == 127 else 0)
            if len(buf) < head:
                break
            if n >= 126:
                n = int.from_bytes(buf[2:head], "big")
            if len(buf) < head + n:
                break
            op, body, buf = buf[0] & 0x0F, buf[head:head + n], buf[head + n:]
            if op == Opcode.CLOSE.value:
                return int.from_bytes(body[:2], "big") if len(body) >= 2 else None
        chunk = s.recv(65536)
        if not chunk:
            return None
        buf += chunk
