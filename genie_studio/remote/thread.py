"""Run a :class:`WorldServer` on its own asyncio loop in a background thread (tests, benchmarks,
and an app that wants to serve while doing other work)."""

from __future__ import annotations

import asyncio
import threading

from genie_studio.remote.engine import Engine
from genie_studio.remote.limits import ServerConfig
from genie_studio.remote.server import WorldServer


class ServerThread:
    def __init__(self, engine: Engine, config: ServerConfig | None = None):
        self.server = WorldServer(engine, config)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="world-server", daemon=True)
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        scheme = "wss" if self.server.cfg.tls_cert else "ws"
        host = self.server.cfg.host
        return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{self.server.port}"

    def start(self, timeout: float = 30.0) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the world server did not start in time")
        if self._error:
            raise self._error
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.start())
        except BaseException as e:  # noqa: BLE001 - re-raised in start()
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            self._stopped.set()

    def call(self, fn, timeout: float = 10.0):
        """Run ``fn()`` on the server's loop (to read its state safely) and return its result."""
        async def run():
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def stats(self) -> dict:
        return self.call(self.server.stats)

    def stop(self, reason: str = "server stopping", timeout: float = 30.0) -> None:
        if not self._thread.is_alive():
            return
        fut = asyncio.run_coroutine_threadsafe(self.server.shutdown(reason), self.loop)
        try:
            fut.result(timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
