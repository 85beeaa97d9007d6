"""The world server: WebSocket connections, authentication, limits and the session registry.

One :class:`WorldServer` runs on an asyncio loop. Each connection must start with ``hello``
(protocol version + token); after that its requests run as tasks, so steps from all connections
meet in the :class:`~genie_studio.remote.engine.StepBatcher`. Before hello a connection is cheap to
refuse: the HTTP upgrade checks the browser ``Origin``, the connection caps, an optional
``Authorization: Bearer`` token and the source address's budget of upgrades without one (an address
over it is answered slowly), and messages are limited to ``hello_max_message`` bytes. A session belongs to its
connection; when the connection drops, the session waits ``resume_grace`` seconds for a ``resume``
with its resume token, then it is freed. Message formats: docs/protocol.md.
"""

from __future__ import annotations

import asyncio
import collections
import http
import itertools
import logging
import math
import os
import secrets
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from genie_studio import __version__
from genie_studio.remote import jsonlog
from genie_studio.remote.auth import bearer_token, check_token, is_loopback
from genie_studio.remote.engine import Engine, Hosted, StepBatcher
from genie_studio.remote.handlers import Handlers
from genie_studio.remote.limits import ServerConfig, TokenBucket, by_source
from genie_studio.remote.wire import VERSION, ProtocolError, dumps, error, parse, request_id

log = jsonlog.log
BUDGET_LOG_S = 10.0  # a source over its upgrade budget is logged at most this often


@dataclass
class _Budget:
    """A source address's budget of upgrades without a valid bearer token."""

    bucket: TokenBucket
    over: bool = False  # the last upgrade found it spent
    logged: float = float("-inf")  # when it was last reported over budget


class Conn:
    """One authenticated client connection."""

    def __init__(self, ws, cid: int, cfg: ServerConfig):
        self.ws, self.cid = ws, cid
        self.peer, self.source = _peer(ws), _source(ws)
        self.sessions: dict[str, Hosted] = {}
        self.bucket = TokenBucket(cfg.step_rate, cfg.step_burst)
        self.bad = TokenBucket(cfg.bad_rate, cfg.bad_burst)  # malformed messages
        self.fault_log = TokenBucket(cfg.error_log_rate, cfg.error_log_burst)  # tracebacks logged
        self.tasks: set[asyncio.Task] = set()
        self.opening = 0
        self.closed = False  # set when the connection ends; sessions are never added to a closed one
        self.since = time.monotonic()

    async def send(self, message) -> None:
        try:
            await self.ws.send(message)
        except ConnectionClosed:
            pass  # the client went away; its sessions are detached by the handler


class WorldServer:
    def __init__(self, engine: Engine, config: ServerConfig | None = None):
        self.engine, self.cfg = engine, config or ServerConfig()
        if self.cfg.token is None and not is_loopback(self.cfg.host):
            raise ValueError(f"refusing to listen on {self.cfg.host} without a token: anyone on the network "
                             f"could use this machine; pass a token file (or listen on 127.0.0.1)")
        self.sessions: dict[str, Hosted] = {}
        self.by_resume: dict[str, Hosted] = {}
        self.conns: set[Conn] = set()  # past hello
        self.live: set[Conn] = set()  # every connection past the HTTP upgrade
        self.pending: set[Conn] = set()  # connections that have not authenticated yet
        self.handlers = Handlers(self)
        self.closing = False
        self.port: int | None = None
        self._ids = itertools.count(1)
        self._server = None
        self._bg: list[asyncio.Task] = []
        self._sources: collections.OrderedDict[str, _Budget] = collections.OrderedDict()  # upgrade budgets by address
        self._connects: collections.OrderedDict[str, _Budget] = collections.OrderedDict()  # with a bearer token
        self._delayed = 0  # refusals being held (refusal_delay)
        self._prompt_budgets: collections.OrderedDict[str, TokenBucket] = collections.OrderedDict()
        self._open_budgets: collections.OrderedDict[str, TokenBucket] = collections.OrderedDict()
        self.batcher: StepBatcher | None = None
        self.open_slots: asyncio.Semaphore | None = None  # jobs of opens at once (made on the server's loop)
        self.decoder = ThreadPoolExecutor(1, thread_name_prefix="prompt-decoder",  # one prompt image at a time,
                                          initializer=_lower_priority)  # below the engine's steps
        self.counters = {"connections_total": 0, "auth_failed": 0, "errors": 0, "expired": 0, "refused": 0,
                         "closed_for_bad_messages": 0, "sources_over_budget": 0,
                         "faults_not_logged": 0, "dropped_untouched": 0,
                         "evicted_before_hello": 0, "open_jobs_waited": 0}

    # ---- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        cfg = self.cfg
        tls = None
        if cfg.tls_cert or cfg.tls_key:
            if not (cfg.tls_cert and cfg.tls_key):
                raise ValueError("TLS needs both a certificate (--tls-cert) and its key (--tls-key)")
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.minimum_version = ssl.TLSVersion.TLSv1_2
            tls.load_cert_chain(cfg.tls_cert, cfg.tls_key)
        self.batcher = StepBatcher(self.engine, cfg.batch_window_ms, cfg.max_batch, cfg.background_share)
        self.open_slots = asyncio.Semaphore(max(1, cfg.max_opening))
        self.batcher.start()
        self._server = await serve(self._handle, cfg.host, cfg.port, ssl=tls, max_size=cfg.hello_max_message,
                                   compression=None, max_queue=cfg.max_inflight, ping_interval=20,
                                   ping_timeout=20, server_header=f"genie-studio/{__version__}",
                                   origins=[None, *cfg.allowed_origins], process_request=self._upgrade,
                                   open_timeout=cfg.hello_timeout)
        self.port = self._server.sockets[0].getsockname()[1]
        self._bg.append(asyncio.get_running_loop().create_task(self._sweep(), name="session-sweeper"))
        scheme = "wss" if tls else "ws"
        log("listening", url=f"{scheme}://{cfg.host}:{self.port}", auth=cfg.token is not None,
            tls=tls is not None, device=self.engine.device, precision=self.engine.precision,
            models=list(self.engine.models))

    async def shutdown(self, reason: str = "server stopping") -> None:
        """Tell every client, finish the step in progress, close all connections (1001)."""
        if self.closing:
            return
        self.closing = True
        log("shutdown", reason=reason, connections=len(self.conns), sessions=len(self.sessions))
        notice = dumps({"type": "shutdown", "reason": reason, "retry_after_s": 1.0})
        await asyncio.gather(*(c.send(notice) for c in list(self.conns)), return_exceptions=True)
        if self._server is not None:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
        for t in self._bg:
            t.cancel()
        if self.batcher:
            await self.batcher.stop()
        await asyncio.get_running_loop().run_in_executor(None, self.engine.executor.shutdown)
        self.decoder.shutdown(wait=False, cancel_futures=True)
        log("stopped", **self.stats())

    def stats(self) -> dict:
        b = self.batcher
        detached = sum(1 for h in self.sessions.values() if h.owner is None)
        return {"connections": len(self.conns), "unauthenticated": len(self.pending),
                "sessions": len(self.sessions), "detached": detached,
                "steps": b.steps if b else 0, "batches": b.batches if b else 0,
                "mean_batch": round(b.steps / b.batches, 2) if b and b.batches else 0.0, **self.counters}

    async def _sweep(self) -> None:
        period = min(1.0, max(0.05, self.cfg.resume_grace / 4))
        last_stats = time.monotonic()
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for h in [h for h in self.sessions.values() if h.owner is None and h.expires <= now]:
                self.drop(h)
                self.counters["expired"] += 1
                log("session_expired", session=h.sid)
            ended = [h for h in self.sessions.values() if h.owner is not None and h.owner.closed
                     and h.owner not in self.live]
            for h in ended:  # owned by a connection that ended without detaching it: nobody can resume it
                self.drop(h)
                self.counters["expired"] += 1
                log("session_expired", session=h.sid)
            if now - last_stats >= 60:
                last_stats = now
                log("stats", **self.stats())

    # ---- sessions ---------------------------------------------------------------------------------
    def add(self, conn: Conn, hosted: Hosted) -> bool:
        """Register ``hosted`` as ``conn``'s; False (and nothing registered) when the connection has
        ended meanwhile, since its client never learns the resume token."""
        if conn.closed:
            return False
        hosted.owner, hosted.expires, hosted.source = conn, None, hosted.source or conn.source
        self.sessions[hosted.sid] = hosted
        self.by_resume[hosted.resume] = hosted
        conn.sessions[hosted.sid] = hosted
        return True

    def drop(self, hosted: Hosted) -> None:
        self.sessions.pop(hosted.sid, None)
        self.by_resume.pop(hosted.resume, None)
        if hosted.owner is not None:
            hosted.owner.sessions.pop(hosted.sid, None)
        hosted.owner = None

    def prompt_budget(self, source: str) -> TokenBucket:
        """``source``'s budget of prompt megapixels to decode (the prompt thread is shared by all)."""
        return by_source(self._prompt_budgets, source, lambda: TokenBucket(self.cfg.prompt_rate,
                                                                            self.cfg.prompt_burst))

    def open_budget(self, source: str) -> TokenBucket:
        """``source``'s budget of engine seconds for the work of its opens (resets and replayed steps):
        connections that open and leave, again and again, each with a fresh step budget, share it."""
        return by_source(self._open_budgets, source, lambda: TokenBucket(self.cfg.open_share, self.cfg.open_burst_s))

    def address_sessions(self, source: str) -> int:
        """Sessions held (open, detached, or opening) by connections from ``source``."""
        return (sum(1 for h in self.sessions.values() if h.source == source)
                + sum(c.opening for c in self.conns if c.source == source))

    def new_ids(self) -> tuple[str, str]:
        return f"s{next(self._ids)}", secrets.token_urlsafe(24)

    def _detach_all(self, conn: Conn) -> None:
        """A dropped connection's sessions wait ``resume_grace`` for a resume; one that was never
        stepped, rewound, set or resumed is freed at once (reopening it costs only its prompt)."""
        deadline = time.monotonic() + self.cfg.resume_grace
        for h in list(conn.sessions.values()):
            if self.cfg.resume_grace <= 0 or not h.touched:
                self.counters["dropped_untouched"] += not h.touched
                self.drop(h)
                continue
            h.owner, h.expires = None, deadline
        if conn.sessions:
            log("sessions_detached", client=conn.cid, sessions=sorted(conn.sessions),
                grace_s=self.cfg.resume_grace)
        conn.sessions.clear()

    # ---- connections ------------------------------------------------------------------------------
    async def _upgrade(self, ws, request):
        """The HTTP upgrade (websockets' ``process_request``): refuse cheaply, before any WebSocket
        state exists, when the server is full, a bearer token in the request is wrong, or the source
        address is over its budget of upgrades without a valid bearer token. A source over its budget
        is answered only after ``refusal_delay`` seconds: a client that reconnects as soon as it is
        refused then costs the server a few upgrades a second, not thousands."""
        cfg = self.cfg
        source = _source(ws)
        given = bearer_token(request.headers)
        if given is not None and cfg.token is not None and not check_token(cfg.token, given):
            self.counters["auth_failed"] += 1
            if not self._spend(source):  # over budget: counted, not logged one by one
                log("auth_failed", level=logging.WARNING, peer=_peer(ws), stage="upgrade")
            return await self._refuse(ws, source, http.HTTPStatus.UNAUTHORIZED, "wrong token\n")
        if self.closing:
            return ws.respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "the server is stopping\n")
        pre = self._preauthenticated(request)
        if self._spend(source, pre):
            self.counters["refused"] += 1
            return await self._refuse(ws, source, http.HTTPStatus.SERVICE_UNAVAILABLE,
                                      "too many connections from this address; try again later\n", pre)
        if len(self.live) >= cfg.max_connections:
            self.counters["refused"] += 1
            return await self._refuse(ws, source, http.HTTPStatus.SERVICE_UNAVAILABLE,
                                      "too many connections; try again later\n")
        if not pre and len(self.pending) >= cfg.max_unauthenticated:
            self._evict_oldest_pending()
        return None

    def _evict_oldest_pending(self) -> None:
        """Make room for a new connection waiting for hello by closing the one that has waited longest:
        an honest client says hello within milliseconds, so connections that never do cannot keep
        newcomers out (a server without a token cannot tell them apart otherwise)."""
        oldest = min(self.pending, key=lambda c: c.since)
        self.pending.discard(oldest)
        self.counters["evicted_before_hello"] += 1
        asyncio.ensure_future(oldest.ws.close(1013, "too many connections waiting for hello"))

    def _spend(self, source: str, authenticated: bool = False) -> bool:
        """Spend one of ``source``'s upgrades without a valid bearer token (or, ``authenticated``, with
        one: a budget of its own, ``connect_rate``, so that a client that connects, opens and leaves again
        and again is slowed before any work); True when it has none left (logged at most every
        ``BUDGET_LOG_S`` seconds per source)."""
        cfg = self.cfg
        store, rate, burst = ((self._connects, cfg.connect_rate, cfg.connect_burst) if authenticated else
                              (self._sources, cfg.source_rate, cfg.source_burst))
        budget = by_source(store, source, lambda: _Budget(TokenBucket(rate, burst)))
        budget.over = budget.bucket.take() > 0
        now = time.monotonic()
        if budget.over and now - budget.logged >= BUDGET_LOG_S:
            budget.logged = now
            self.counters["sources_over_budget"] += 1
            log("source_over_budget", level=logging.WARNING, source=source, rate=rate, burst=burst,
                authenticated=authenticated, delay_s=self.cfg.refusal_delay)
        return budget.over

    async def _refuse(self, ws, source: str, status: http.HTTPStatus, text: str, authenticated: bool = False):
        """An HTTP error answer, held ``refusal_delay`` seconds first when ``source`` is over its budget
        (at most ``max_delayed`` answers held at once; the rest go at once)."""
        response = ws.respond(status, text)
        if status == http.HTTPStatus.SERVICE_UNAVAILABLE:
            response.headers["Retry-After"] = str(max(1, math.ceil(self.cfg.refusal_delay)))
        budget = (self._connects if authenticated else self._sources).get(source)
        if (budget is not None and budget.over and not self.closing and self.cfg.refusal_delay > 0
                and self._delayed < self.cfg.max_delayed):
            self._delayed += 1
            try:
                await asyncio.sleep(self.cfg.refusal_delay)
            finally:
                self._delayed -= 1
        return response

    def _preauthenticated(self, request) -> bool:
        """The right token in ``Authorization: Bearer`` during the upgrade. A server without a token
        has none to show: its connections wait for hello under the same caps (pre-hello count, the
        source's upgrade budget) as those that show none."""
        return self.cfg.token is not None and check_token(self.cfg.token, bearer_token(request.headers) or "")

    async def _handle(self, ws) -> None:
        cfg = self.cfg
        conn = Conn(ws, next(self._ids), cfg)
        if self.closing or len(self.live) >= cfg.max_connections:
            code = "shutting_down" if self.closing else "session_limit"
            await conn.send(dumps(error(code, "the server is stopping" if self.closing else
                                        f"the server has {cfg.max_connections} connections already")))
            await ws.close(1013, "try again later")
            return
        self.live.add(conn)
        try:
            await self._serve_conn(conn)
        finally:
            self.live.discard(conn)

    async def _serve_conn(self, conn: Conn) -> None:
        ws, cfg = conn.ws, self.cfg
        if not self._preauthenticated(ws.request):
            self.pending.add(conn)
        try:
            ok = await self._hello(conn)
        finally:
            self.pending.discard(conn)
        if not ok:
            return
        ws.protocol.max_message_size = cfg.max_message  # the full limit only after hello
        self.conns.add(conn)
        self.counters["connections_total"] += 1
        log("connected", client=conn.cid, peer=conn.peer)
        try:
            while True:
                try:
                    message = await asyncio.wait_for(ws.recv(), cfg.idle_timeout)
                except TimeoutError:
                    await conn.send(dumps(error("idle_timeout", f"no message for {cfg.idle_timeout:g} s")))
                    await ws.close(1000, "idle")
                    log("idle_closed", client=conn.cid)
                    break
                if not await self._dispatch(conn, message):
                    break
                await asyncio.sleep(0)  # one message at a time per connection: a flood cannot starve others
        except ConnectionClosed:
            pass
        finally:
            conn.closed = True
            self.conns.discard(conn)
            for t in list(conn.tasks):  # nobody will read the replies: stop the work (a replay, say)
                t.cancel()
            if conn.tasks:
                await asyncio.wait(list(conn.tasks), timeout=10)
            self._detach_all(conn)
            log("disconnected", client=conn.cid, code=ws.close_code)

    async def _hello(self, conn: Conn) -> bool:
        ws, cfg = conn.ws, self.cfg
        try:
            first = await asyncio.wait_for(ws.recv(), cfg.hello_timeout)
            msg, _ = parse(first)
            if msg["type"] != "hello":
                raise ProtocolError("hello_required", "the first message must be hello")
            rid = request_id(msg)
            if msg.get("version") != VERSION:
                raise ProtocolError("version_mismatch", f"this server speaks protocol version {VERSION}, "
                                                        f"not {msg.get('version')!r}; update the older side")
            if not check_token(cfg.token, msg.get("token")) and not self._preauthenticated(ws.request):
                self.counters["auth_failed"] += 1
                log("auth_failed", level=logging.WARNING, peer=conn.peer)
                raise ProtocolError("auth_failed", "wrong or missing token")
        except TimeoutError:
            await conn.send(dumps(error("hello_required", f"no hello within {cfg.hello_timeout:g} s")))
            await ws.close(1008, "no hello")
            return False
        except ConnectionClosed:
            return False
        except ProtocolError as e:
            await conn.send(dumps(error(e.code if e.code in ("version_mismatch", "auth_failed") else
                                        "hello_required", e.message)))
            await ws.close(1008 if e.code == "auth_failed" else 1002, e.code)
            return False
        await conn.send(dumps({"type": "welcome", "id": rid, "version": VERSION,
                               "server": f"genie-studio {__version__}", "models": self.engine.describe(),
                               "limits": cfg.public_limits(), "encodings": ["zlib", "raw", "png"],
                               "default_encoding": cfg.default_encoding}))
        return True

    async def _dispatch(self, conn: Conn, message) -> bool:
        """Start a request as a task, or answer it at once. Immediate answers are awaited here, so a
        client that sends without reading stalls its own connection (TCP backpressure) instead of
        piling replies up in the server. False when the connection was closed for malformed messages."""
        try:
            msg, payload = parse(message)
        except ProtocolError as e:
            self.counters["errors"] += 1
            if conn.bad.take():
                self.counters["closed_for_bad_messages"] += 1
                log("closed_for_bad_messages", level=logging.WARNING, client=conn.cid)
                await conn.ws.close(1008, "too many malformed messages")
                return False
            await conn.send(dumps(error(e.code, e.message)))
            return True
        rid = request_id(msg)
        if self.closing:
            await conn.send(dumps(error("shutting_down", "the server is stopping", rid)))
            return True
        if len(conn.tasks) >= self.cfg.max_inflight:
            await conn.send(dumps(error("busy", f"over {self.cfg.max_inflight} requests in flight; wait for "
                                                "replies", rid)))
            return True
        task = asyncio.ensure_future(self.handlers.run(conn, msg, payload, rid))
        conn.tasks.add(task)
        task.add_done_callback(conn.tasks.discard)
        return True


def _lower_priority() -> None:
    """Run the calling thread at a lower scheduling priority where the OS allows it (Linux threads)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def _source(ws) -> str:
    """The address a connection comes from (without its port): what the upgrade budget is kept by."""
    addr = ws.remote_address
    return str(addr[0]) if addr else "?"


def _peer(ws) -> str:
    addr = ws.remote_address
    return f"{addr[0]}:{addr[1]}" if addr else "?"
