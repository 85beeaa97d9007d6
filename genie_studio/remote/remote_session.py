"""RemoteSession: a world on a remote server, behind the same interface as ``WorldSession``; and
``open_remote``, the remote half of the session builder.

This module is the session API a front end calls (reset, step, rewind, configure, the history and the
knobs). Synchronous for its callers (the editor's worker, the CLI); what keeps it going across a dropped
connection or a restarted server (reconnect, resume, replay of prompt + seed + actions + knobs) is its
base, :class:`~genie_studio.remote.reconnect.ReconnectingClient`. Every request's round trip is in
``last_rtt_ms`` (the editor's status bar shows it).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from genie_studio.knobs import Knobs
from genie_studio.remote.connection import ConnectionLost
from genie_studio.remote.reconnect import ReconnectingClient
from genie_studio.remote.wire import RemoteError, decode_frame
from genie_studio.session.actions import action_index
from genie_studio.session.open import SessionError, SessionSettings
from genie_studio.session.prompt import PromptError, open_image


class RemoteModel:
    """What a client knows of a served model: the parts of ``WorldModel`` a UI reads."""

    def __init__(self, info: dict, url: str):
        self.name, self.path = info["name"], None
        self.action_labels = list(info["labels"])
        self.patch = info.get("patch")
        self.meta = {"name": self.name, "actions": {"labels": self.action_labels}, "server": url}


class RemoteSession(ReconnectingClient):
    """A :class:`~genie_studio.session.protocol.Session` whose world runs on a server."""

    def __init__(self, url: str, token: str | None = None, model: str | None = None, knobs: Knobs | None = None, *,
                 encoding: str | None = None, timeout: float = 60.0, reconnect_timeout: float = 30.0,
                 cafile: str | None = None):
        """``model``: a model the server serves (None: its default); ``knobs``: their live ones (knobs.LIVE)
        are this session's, the others are the server's."""
        self.knobs = knobs or Knobs()  # steps and temperature as the server has them; the rest for the next reset
        self._world = self.knobs  # the knobs the open world was opened with (a replay opens it again with them)
        self.encoding = encoding or _default_encoding(url)
        super().__init__(url, token, cafile, timeout, reconnect_timeout)
        self._prompt: bytes | None = None
        self._log: list[list] = []  # [action, steps, temperature] per step since the prompt
        self._frames: list[np.ndarray] = []
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
                self._disconnect()

    def sibling(self) -> RemoteSession:
        """Another session of the same model and settings on the same server (a new connection)."""
        return RemoteSession(self.url, token=self._token, model=self.model_name, knobs=self.knobs,
                             encoding=self.encoding, timeout=self.timeout, reconnect_timeout=self.reconnect_timeout,
                             cafile=self._cafile)

    def __enter__(self) -> RemoteSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- internals (reconnect, resume and replay: remote/reconnect.py) -----------------------------
    def _require_open(self) -> None:
        if self._closed:
            raise RuntimeError("this RemoteSession is closed")
        if self._prompt is None:
            raise RuntimeError("call reset(prompt) before stepping the world")

    def _open_request(self) -> tuple[dict, bytes | None]:
        """The ``open`` message for this world: the knobs it was opened with, its prompt and every step
        since (``replay``), so that a server that lost it opens it again where it was."""
        w = self._world
        msg = {"type": "open", "model": self.model_name, "seed": w.seed, "steps": self.steps,
               "temperature": self.temperature, "replay": self._log, "decoder": w.decoder, "endless": w.endless}
        if self.encoding:
            msg["encoding"] = self.encoding
        return msg, self._prompt

    def _opened(self, header: dict, data: bytes) -> None:
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
