"""Reconnect and replay: the part of a remote session that outlives a dropped connection.

A :class:`ReconnectingClient` holds the connection to a world server and the asyncio loop it runs on, in
a background thread, so that its callers stay synchronous. Every request goes through ``_request`` (rate
limits waited out, the round trip kept in ``last_rtt_ms``). A request that changes the world goes through
``_mutate``, which survives a dropped connection: it reconnects with back-off (``_reconnect``), resumes the
server's session with its resume token (the server keeps sessions for a grace period), and tells from the
resumed version whether the request took effect. If the server no longer knows the session (it restarted),
``_reopen`` opens it again with its whole history, prompt + seed + actions + knobs, which replays
deterministically. What that history is, and what to do with the frame that comes back, belong to the
session (:class:`~genie_studio.remote.remote_session.RemoteSession`): ``_open_request`` and ``_opened``.
"""

from __future__ import annotations

import asyncio
import threading
import time

from genie_studio.remote.connection import ConnectionLost, WorldConnection
from genie_studio.remote.wire import RemoteError
from genie_studio.session.actions import ActionError
from genie_studio.session.prompt import PromptError

RATE_RETRIES = 50
RECOVER_TRIES = 8  # connections that drop again right away before giving up


class ReconnectingClient:
    """A connection to a world server, and the one session on it, that survive dropped connections and
    server restarts. A subclass says how its session opens (``_open_request``) and takes its frame
    (``_opened``)."""

    def __init__(self, url: str, token: str | None, cafile: str | None, timeout: float, reconnect_timeout: float):
        self.url, self._token, self._cafile = url, token, cafile
        self.timeout, self.reconnect_timeout = float(timeout), float(reconnect_timeout)
        self.last_rtt_ms: float | None = None
        self.reconnects = self.replays = 0
        self._lock = threading.RLock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="remote-session", daemon=True)
        self._thread.start()
        self._conn: WorldConnection | None = None
        self._sid: str | None = None
        self._resume: str | None = None
        self._version = 0
        self._closed = False
        self._last_resume: tuple[dict, bytes] | None = None

    # ---- the session's part ------------------------------------------------------------------------
    def _open_request(self) -> tuple[dict, bytes | None]:
        """The ``open`` message and its payload that open the session where it is (its replay)."""
        raise NotImplementedError

    def _opened(self, header: dict, data: bytes) -> None:
        """The server's answer to ``_open_request``: the session's frame."""
        raise NotImplementedError

    # ---- the connection ----------------------------------------------------------------------------
    def _run(self, coro, timeout: float | None = None):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _connect(self) -> WorldConnection:
        return self._run(WorldConnection.open(self.url, self._token, self._cafile, min(self.timeout, 30.0)))

    def _request(self, msg: dict, payload: bytes | None = None):
        """One request on the current connection -> (header, data). Rate limits are waited out; a
        lost connection raises ConnectionLost for the caller to recover (sessions belong to a connection)."""
        for _ in range(RATE_RETRIES):
            if self._conn is None or self._conn.closed:
                raise ConnectionLost()
            t = time.perf_counter()
            try:
                header, data = self._run(self._conn.request(msg, payload, self.timeout))
            except RemoteError as e:
                if e.code != "rate_limited":
                    raise _local_error(e) from None
                time.sleep(0.05)
                continue
            self.last_rtt_ms = (time.perf_counter() - t) * 1000
            return header, data
        raise RemoteError("rate_limited", "the server keeps refusing steps: over its per-client step rate")

    def _reconnect(self) -> None:
        """A new connection, retrying with back-off for ``reconnect_timeout`` seconds."""
        if self._closed:
            raise RuntimeError("this RemoteSession is closed")
        deadline, delay = time.monotonic() + self.reconnect_timeout, 0.05
        while True:
            if self._conn is not None:
                self._run(self._conn.close(), 10)
                self._conn = None
            try:
                self._conn = self._connect()
                self.reconnects += 1
                return
            except ConnectionLost:
                if time.monotonic() + delay > deadline:
                    raise RemoteError("unreachable", f"the world server at {self.url} is unreachable; gave up "
                                                     f"after {self.reconnect_timeout:g} s") from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _disconnect(self) -> None:
        """Close the connection and stop the loop (the end of the client)."""
        if self._conn is not None:
            self._run(self._conn.close(), 10)
            self._conn = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    # ---- the session on the server: resume or replay ----------------------------------------------
    def _mutate(self, msg: dict):
        """A state-changing request (step, rewind, set) that survives a dropped connection: after
        reconnecting, the resumed session's version tells whether the request took effect."""
        expected = self._version + 1
        for _ in range(RECOVER_TRIES):
            try:
                header, data = self._request({**msg, "session": self._sid})
                self._version = header["version"]
                return header, data
            except ConnectionLost:
                try:
                    if self._recover() == expected:
                        return self._last_resume
                except ConnectionLost:
                    continue
                # the request did not happen (or the session was replayed): send it again
            except RemoteError as e:
                if e.code != "unknown_session":
                    raise
                self._reopen()  # the server lost it while we were connected: replay, then retry
        raise RemoteError("connection_lost", f"the connection to {self.url} keeps dropping; gave up")

    def _recover(self) -> int | None:
        """Reconnect; resume the session, or replay it. Returns the resumed version (None if replayed)."""
        self._reconnect()
        try:
            header, data = self._request({"type": "resume", "resume": self._resume})
        except RemoteError as e:
            if e.code != "unknown_session":
                raise
        else:
            if header["version"] in (self._version, self._version + 1):
                self._sid = header["session"]
                self._last_resume = (header, data)
                self._version = header["version"]
                return self._version
            self._request({"type": "close", "session": header["session"]})  # diverged: start over
        self._reopen()
        self.replays += 1
        return None

    def _reopen(self) -> None:
        """Open the session on the server (again): its prompt and, replayed, every step since."""
        msg, payload = self._open_request()
        for attempt in range(RECOVER_TRIES):
            try:
                header, data = self._request(msg, payload)
                break
            except ConnectionLost:
                if attempt == RECOVER_TRIES - 1:
                    raise
                self._reconnect()
        self._sid, self._resume, self._version = header["session"], header["resume"], header["version"]
        self._opened(header, data)

    def _close_session(self) -> None:
        if self._sid is None:
            return
        sid, self._sid, self._resume = self._sid, None, None
        if self._conn is not None and not self._conn.closed:
            try:
                self._run(self._conn.request({"type": "close", "session": sid}, None, 10))
            except RemoteError:
                pass  # the server frees it after its grace period anyway


def _local_error(e: RemoteError) -> Exception:
    """Server errors that have a local twin raise it, so callers handle local and remote alike."""
    if e.code == "bad_action":
        return ActionError(e.message)
    if e.code == "bad_prompt":
        return PromptError(e.message)
    return e
