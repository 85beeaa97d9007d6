"""RemoteSession: a world on a remote server, behind the same interface as ``WorldSession``.

Synchronous for its callers (the editor's worker, the CLI): it runs its own asyncio loop in a
background thread. When the connection drops it reconnects and resumes the session with its resume
token (the server keeps sessions for a grace period); if the server no longer knows the session (it
restarted), it opens it again and replays prompt + seed + actions + knobs, which is deterministic.
Every request's round trip is in ``last_rtt_ms`` (the editor's status bar shows it).
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from pathlib import Path

import numpy as np

from genie_studio.knobs import Knobs
from genie_studio.remote.connection import ConnectionLost, WorldConnection
from genie_studio.remote.wire import RemoteError, decode_frame
from genie_studio.session.actions import ActionError, action_index
from genie_studio.session.open import SessionError, SessionSettings
from genie_studio.session.prompt import PromptError, open_image

RATE_RETRIES = 50
RECOVER_TRIES = 8  # connections that drop again right away before giving up


class RemoteModel:
    """What a client knows of a served model: the parts of ``WorldModel`` a UI reads."""

    def __init__(self, info: dict, url: str):
        self.name, self.path = info["name"], None
        self.action_labels = list(info["labels"])
        self.patch = info.get("patch")
        self.meta = {"name": self.name, "actions": {"labels": self.action_labels}, "server": url}


class RemoteSession:
    """A :class:`~genie_studio.session.protocol.Session` whose world runs on a server."""

    def __init__(self, url: str, token: str | None = None, model: str | None = None, knobs: Knobs | None = None, *,
                 encoding: str | None = None, timeout: float = 60.0, reconnect_timeout: float = 30.0,
                 cafile: str | None = None):
        """``model``: a model the server serves (None: its default); ``knobs``: their live ones (knobs.LIVE)
        are this session's, the others are the server's."""
        self.url, self._token, self._cafile = url, token, cafile
        self.timeout, self.reconnect_timeout = float(timeout), float(reconnect_timeout)
        self.knobs = knobs or Knobs()  # steps and temperature as the server has them; the rest for the next reset
        self._world = self.knobs  # the knobs the open world was opened with (a replay opens it again with them)
        self.encoding = encoding or _default_encoding(url)
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
        self._prompt: bytes | None = None
        self._log: list[list] = []  # [action, steps, temperature] per step since the prompt
        self._frames: list[np.ndarray] = []
        self._closed = False
        self._last_resume: tuple[dict, bytes] | None = None
        try:
            self._conn = self._connect()
            models = {m["name"]: m for m in self._conn.welcome.get("models", [])}
            default = next((n for n, m in models.items() if m.get("default")), next(iter(models), None))
            name = model or default
            if name not in models:
                raise RemoteError("unknown_model", f"the server has no model {name!r}; it has: {', '.join(models)}")
            self.model_info = models[name]
            self.model_name = name
            self.model = RemoteModel(self.model_info, url)
            self.device = f"remote {url}"
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_token_file(cls, url: str, token_file, **kw) -> RemoteSession:
        from genie_studio.remote.auth import read_token

        return cls(url, token=read_token(token_file), **kw)

    # ---- the WorldSession interface -----------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        return list(self.model_info["labels"])

    @property
    def resolution(self) -> tuple[int, int]:
        return tuple(self.model_info["resolution"])

    @property
    def precision(self) -> str:
        """The server's arithmetic ("bf16" or "fp32"; "unknown" from a server that does not say)."""
        return str(self.model_info.get("precision", "unknown"))

    @property
    def context(self) -> int | None:
        """Frames of context the server's model sees (None from a server that does not say)."""
        c = self.model_info.get("context")
        return int(c) if isinstance(c, int) and not isinstance(c, bool) else None

    @property
    def patch(self) -> int:
        return int(self.model.patch)

    @property
    def frame(self) -> np.ndarray | None:
        return self._frames[-1] if self._frames else None

    @property
    def frames(self) -> list[np.ndarray]:
        return list(self._frames)

    @property
    def actions(self) -> list[int]:
        n = len(self._frames) - 1
        return [e[0] for e in self._log[len(self._log) - n:]] if n > 0 else []

    @property
    def steps(self) -> int:
        return self.knobs.maskgit_steps

    @property
    def temperature(self) -> float:
        return self.knobs.temperature

    @property
    def seed(self) -> int:
        return self.knobs.seed

    @property
    def decoder(self) -> str:
        return self.knobs.decoder

    @property
    def endless(self) -> bool:
        return self.knobs.endless

    def action_index(self, action) -> int:
        return action_index(action, self.labels)

    def configure(self, knobs: Knobs) -> None:
        """New knobs in one ``configure`` message (only while a world is open; else they wait for the next
        reset). Steps and temperature apply from the next step; the seed, decoder and endless from the next reset."""
        with self._lock:
            if self._prompt is not None and not self._closed and knobs.live() != self.knobs.live():
                try:
                    header, _ = self._mutate({"type": "configure", "knobs": knobs.live()})
                except RemoteError as e:
                    if e.code != "unknown_type":
                        raise
                    header, _ = self._mutate({"type": "set", "steps": knobs.maskgit_steps,  # a server before
                                              "temperature": knobs.temperature})  # configure (docs/protocol.md)
                    header = {"knobs": {"maskgit_steps": header["steps"], "temperature": header["temperature"]}}
                knobs = Knobs.from_dict(header.get("knobs") or {}, knobs)
            self.knobs = knobs

    def reset(self, prompt, seed: int | None = None) -> np.ndarray:
        """Open a session on the server from any image (path, PIL image, array, bytes)."""
        data = _prompt_bytes(prompt)
        with self._lock:
            if seed is not None:
                self.knobs = self.knobs.replace(seed=int(seed))
            self._world = self.knobs
            self._close_session()
            self._prompt, self._log, self._frames = data, [], []
            self._reopen()
            return self.frame

    def step(self, action) -> np.ndarray:
        idx = self.action_index(action)
        with self._lock:
            self._require_open()
            header, frame = self._mutate({"type": "step", "action": idx})
            self._log.append([idx, self.steps, self.temperature])
            self._take(header, frame, replace=False)
            return self.frame

    def rewind(self, n: int = 1) -> np.ndarray:
        n = int(n)
        with self._lock:
            self._require_open()
            if n < 0 or n > len(self._frames) - 1:
                raise ValueError(f"can rewind 0..{len(self._frames) - 1} steps, not {n}")
            if n:
                header, frame = self._mutate({"type": "rewind", "n": n})
                del self._log[len(self._log) - n:]
                self._frames = self._frames[:len(self._frames) - n]
                self._take(header, frame, replace=True)
            return self.frame

    def ping(self) -> float:
        """One round trip to the server, in ms (also stored in ``last_rtt_ms``)."""
        with self._lock:
            try:
                self._request({"type": "ping"})
            except ConnectionLost:
                self._reconnect()
                if self._sid is not None:
                    self._recover()
                self._request({"type": "ping"})
            return self.last_rtt_ms

    @property
    def notice(self) -> dict | None:
        """The server's last unsolicited message (``shutdown``, ``idle_timeout``), if any."""
        return self._conn.notice if self._conn else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._lock:
            try:
                self._close_session()
            finally:
                if self._conn is not None:
                    self._run(self._conn.close(), 10)
                    self._conn = None
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._thread.join(10)
                self._loop.close()

    def sibling(self) -> RemoteSession:
        """Another session of the same model and settings on the same server (a new connection)."""
        return RemoteSession(self.url, token=self._token, model=self.model_name, knobs=self.knobs,
                             encoding=self.encoding, timeout=self.timeout, reconnect_timeout=self.reconnect_timeout,
                             cafile=self._cafile)

    def __enter__(self) -> RemoteSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- internals ----------------------------------------------------------------------------------
    def _run(self, coro, timeout: float | None = None):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _connect(self) -> WorldConnection:
        return self._run(WorldConnection.open(self.url, self._token, self._cafile, min(self.timeout, 30.0)))

    def _require_open(self) -> None:
        if self._closed:
            raise RuntimeError("this RemoteSession is closed")
        if self._prompt is None:
            raise RuntimeError("call reset(prompt) before stepping the world")

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
        w = self._world
        msg = {"type": "open", "model": self.model_name, "seed": w.seed, "steps": self.steps,
               "temperature": self.temperature, "replay": self._log, "decoder": w.decoder, "endless": w.endless}
        if self.encoding:
            msg["encoding"] = self.encoding
        for attempt in range(RECOVER_TRIES):
            try:
                header, data = self._request(msg, self._prompt)
                break
            except ConnectionLost:
                if attempt == RECOVER_TRIES - 1:
                    raise
                self._reconnect()
        self._sid, self._resume, self._version = header["session"], header["resume"], header["version"]
        self.model_info = {**self.model_info, "labels": header["labels"], "resolution": header["resolution"]}
        self._take(header, data, replace=bool(self._frames))

    def _take(self, header: dict, data: bytes, replace: bool) -> None:
        """A frame from the server: the newest one (``replace``) or one more; the history keeps the
        server's length (``index`` + 1)."""
        frame = decode_frame(data, header["encoding"], header["shape"])
        frame.setflags(write=False)
        if replace and self._frames:
            self._frames[-1] = frame
        else:
            self._frames.append(frame)
        del self._frames[:max(0, len(self._frames) - (header["index"] + 1))]

    def _close_session(self) -> None:
        if self._sid is None:
            return
        sid, self._sid, self._resume = self._sid, None, None
        if self._conn is not None and not self._conn.closed:
            try:
                self._run(self._conn.request({"type": "close", "session": sid}, None, 10))
            except RemoteError:
                pass  # the server frees it after its grace period anyway


def _prompt_bytes(prompt) -> bytes:
    """Image file bytes as they are; PIL images and arrays as PNG."""
    if isinstance(prompt, (bytes, bytearray, memoryview)):
        return bytes(prompt)
    if isinstance(prompt, (str, os.PathLike)):
        p = Path(prompt)
        if not p.is_file():
            raise PromptError(f"{p}: no such file")
        return p.read_bytes()
    img = open_image(prompt)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _default_encoding(url: str) -> str:
    """Raw RGB on loopback (nothing to save, no codec time); zlib across a network (docs/protocol.md)."""
    from urllib.parse import urlsplit

    from genie_studio.remote.auth import is_loopback

    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return "raw" if is_loopback(host) else "zlib"


def _local_error(e: RemoteError) -> Exception:
    """Server errors that have a local twin raise it, so callers handle local and remote alike."""
    if e.code == "bad_action":
        return ActionError(e.message)
    if e.code == "bad_prompt":
        return PromptError(e.message)
    return e


def open_remote(s: SessionSettings) -> RemoteSession:
    """The remote half of the session builder: a session on ``s.server_url`` with ``s``'s knobs. A model
    that is a local folder or the default model means the server's default model."""
    from genie_studio.model_catalog import DEFAULT_MODEL
    from genie_studio.remote.auth import AuthError, read_token

    m = s.knobs.model
    named = m not in ("default", DEFAULT_MODEL) and "/" not in m and "\\" not in m
    try:
        token = s.token or (read_token(s.token_file) if s.token_file else None)
        return RemoteSession(s.server_url or "", token=token, model=m if named else None, knobs=s.knobs)
    except (AuthError, RemoteError, ValueError) as e:
        raise SessionError(str(e), "server") from None
