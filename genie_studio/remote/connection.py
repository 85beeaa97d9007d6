"""The client side of one connection (asyncio): hello, then requests matched to replies by ``id``.

:class:`WorldConnection` knows nothing of sessions or reconnecting (that is
:class:`~genie_studio.remote.remote_session.RemoteSession`); the benchmark drives it directly.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from genie_studio import __version__
from genie_studio.remote.wire import VERSION, ProtocolError, RemoteError, dumps, pack, parse


class ConnectionLost(RemoteError):
    def __init__(self, message: str = "connection to the world server lost"):
        super().__init__("connection_lost", message)


def client_ssl(url: str, cafile: str | None = None) -> ssl.SSLContext | None:
    if not url.startswith("wss://"):
        if cafile:
            raise ValueError("a CA file only makes sense with a wss:// URL")
        return None
    return ssl.create_default_context(cafile=cafile)


class WorldConnection:
    def __init__(self, ws):
        self.ws = ws
        self.welcome: dict = {}
        self.notice: dict | None = None  # the last unsolicited message (shutdown, idle_timeout)
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self.closed = False

    @classmethod
    async def open(cls, url: str, token: str | None = None, cafile: str | None = None,
                   timeout: float = 10.0, max_size: int = 64 * 1024 * 1024) -> WorldConnection:
        """Connect and say hello; raises :class:`RemoteError` (``auth_failed``, ``version_mismatch``,
        ``connection_lost`` when nothing listens there)."""
        try:
            # the token goes in the upgrade too: the server then lets this connection past its cap on
            # connections still waiting for hello (docs/security.md)
            auth = {"Authorization": f"Bearer {token}"} if token else None
            ws = await connect(url, ssl=client_ssl(url, cafile), compression=None, max_size=max_size,
                               proxy=None, open_timeout=timeout, ping_interval=20, ping_timeout=20,
                               user_agent_header=f"genie-studio/{__version__}", additional_headers=auth)
        except InvalidURI as e:
            raise ValueError(f"not a world server URL: {url!r} (use ws://HOST:PORT or wss://HOST:PORT)") from e
        except InvalidStatus as e:
            if e.response.status_code == 401:
                raise RemoteError("auth_failed", f"{url} refused the token (HTTP 401)") from None
            raise ConnectionLost(f"the world server at {url} refused the connection: {e}") from None
        except (OSError, TimeoutError, InvalidHandshake) as e:
            raise ConnectionLost(f"cannot reach the world server at {url}: {e}") from None
        conn = cls(ws)
        conn._reader = asyncio.get_running_loop().create_task(conn._read())
        try:
            conn.welcome, _ = await conn.request({"type": "hello", "version": VERSION, "token": token,
                                                  "client": f"genie-studio {__version__}"}, timeout=timeout)
        except BaseException:
            await conn.close()
            raise
        return conn

    async def request(self, msg: dict, payload: bytes | None = None, timeout: float | None = 60.0):
        """Send a request, wait for its reply -> (header, payload); an error reply raises RemoteError."""
        if self.closed:
            raise ConnectionLost()
        rid = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        msg = {**msg, "id": rid}
        try:
            await self.ws.send(pack(msg, payload) if payload is not None else dumps(msg))
            header, data = await asyncio.wait_for(fut, timeout)
        except ConnectionClosed:
            raise ConnectionLost() from None
        except TimeoutError:
            raise RemoteError("timeout", f"no reply to {msg['type']} within {timeout:g} s") from None
        finally:
            self._pending.pop(rid, None)
        if header.get("type") == "error":
            raise RemoteError(str(header.get("code")), str(header.get("message")))
        return header, data

    async def _read(self) -> None:
        lost: RemoteError = ConnectionLost()
        try:
            async for message in self.ws:
                try:
                    header, data = parse(message)
                except ProtocolError:
                    continue  # a reply we cannot read is a server bug; the request times out
                fut = self._pending.get(header.get("id")) if isinstance(header.get("id"), int) else None
                if fut is not None and not fut.done():
                    fut.set_result((header, data))
                elif header["type"] in ("shutdown", "error"):
                    self.notice = header
                    if header["type"] == "shutdown":
                        lost = ConnectionLost(f"the world server is stopping: {header.get('reason')}")
                    elif header.get("fatal"):  # e.g. auth_failed before the welcome: fail the hello
                        lost = RemoteError(str(header.get("code")), str(header.get("message")))
                        for f in self._pending.values():
                            if not f.done():
                                f.set_exception(lost)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            for f in self._pending.values():
                if not f.done():
                    f.set_exception(lost)

    async def close(self) -> None:
        self.closed = True
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except (TimeoutError, ConnectionClosed, OSError):
            pass
        if self._reader:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing anyway
                pass
