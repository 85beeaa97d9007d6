"""The server's request handlers, one per message type (formats: docs/protocol.md).

Each handler validates its fields first (a :class:`ProtocolError` with a code, never a crash),
takes the session's lock so that a session's requests apply in the order they were sent, and
replies with a text message or a binary frame message.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time

from PIL import Image

from genie_studio.knobs import DECODERS, LIVE, MAX_SEED, MAX_TEMPERATURE, KnobError, Knobs
from genie_studio.remote import jsonlog
from genie_studio.remote.engine import IDLE_S, Hosted
from genie_studio.remote.wire import ENCODINGS, ProtocolError, dumps, encode_frame, error, field, pack
from genie_studio.session import image_decode
from genie_studio.session.actions import ActionError, action_index
from genie_studio.session.prompt import MAX_SIDE, PromptError

REPLAY_CHUNK = 1  # replayed steps per background job: a batch of other clients' steps waits for one at most


class Handlers:
    def __init__(self, server):
        self.server = server
        self.table = {"ping": self.ping, "models": self.models, "open": self.open, "step": self.step,
                      "rewind": self.rewind, "set": self.set, "configure": self.configure, "resume": self.resume,
                      "close": self.close, "hello": self.hello}

    async def run(self, conn, msg: dict, payload: bytes, rid) -> None:
        kind = msg["type"]
        try:
            fn = self.table.get(kind)
            if fn is None:
                raise ProtocolError("unknown_type", f"unknown message type {kind[:40]!r}; "
                                                    f"known: {', '.join(sorted(self.table))}")
            if payload and kind != "open":
                raise ProtocolError("bad_request", f"{kind} takes no binary payload (only open does)")
            reply = await fn(conn, msg, payload, rid)
        except ProtocolError as e:
            reply = dumps(error(e.code, e.message, rid, **e.extra))
        except PromptError as e:
            reply = dumps(error("bad_prompt", str(e), rid))
        except ActionError as e:
            reply = dumps(error("bad_action", str(e), rid))
        except Exception as e:  # noqa: BLE001 - reported to the client, logged with the traceback
            if conn.fault_log.take() == 0:  # a few per connection: a client cannot fill the log
                jsonlog.log("internal_error", level=logging.ERROR, client=conn.cid, type=kind, error=repr(e)[:200])
                logging.getLogger(jsonlog.LOGGER).exception("internal error handling %s", kind)
            else:
                self.server.counters["faults_not_logged"] += 1
            reply = dumps(error("internal", f"server fault while handling {kind}: {type(e).__name__}", rid))
        if isinstance(reply, str) and '"type":"error"' in reply[:20]:
            self.server.counters["errors"] += 1
        await conn.send(reply)

    def _own(self, conn, msg) -> Hosted:
        sid = field(msg, "session", str)
        hosted = conn.sessions.get(sid)
        if hosted is None:
            raise ProtocolError("unknown_session", f"no session {sid[:40]!r} on this connection "
                                                   "(open one, or resume with its resume token)")
        return hosted

    # ---- handlers -------------------------------------------------------------------------------
    async def hello(self, conn, msg, payload, rid):
        raise ProtocolError("bad_request", "already said hello on this connection")

    async def ping(self, conn, msg, payload, rid):
        return dumps({"type": "pong", "id": rid, "t": field(msg, "t", float, None)})

    async def models(self, conn, msg, payload, rid):
        return dumps({"type": "models", "id": rid, "models": self.server.engine.describe()})

    async def open(self, conn, msg, payload, rid):
        srv, cfg = self.server, self.server.cfg
        eng = srv.engine
        model = field(msg, "model", str, eng.default)
        if model not in eng.models:
            raise ProtocolError("unknown_model", f"no model {model[:60]!r} here; models: {', '.join(eng.models)}")
        endless = field(msg, "endless", (False, True), None)
        knobs = Knobs.from_dict({"seed": field(msg, "seed", int, None, 0, MAX_SEED),
                                 "maskgit_steps": field(msg, "steps", int, None, 1, cfg.max_steps),
                                 "temperature": field(msg, "temperature", float, None, 0.0, MAX_TEMPERATURE),
                                 "decoder": field(msg, "decoder", DECODERS, None),
                                 "endless": None if endless is None else bool(endless)})  # absent: the default
        encoding = field(msg, "encoding", ENCODINGS, cfg.default_encoding)
        replay = self._replay(msg, eng.models[model].action_labels)
        if not payload:
            raise ProtocolError("bad_request", "open needs the prompt image (PNG bytes) as its binary payload")
        if len(payload) > cfg.max_prompt:
            raise ProtocolError("too_large", f"prompt of {len(payload)} bytes; the limit is {cfg.max_prompt}")
        if len(conn.sessions) + conn.opening >= cfg.max_sessions_per_client:
            raise ProtocolError("session_limit", f"this connection has {cfg.max_sessions_per_client} sessions "
                                                 "open; close one first")
        if srv.address_sessions(conn.source) >= cfg.max_sessions_per_address:
            raise ProtocolError("session_limit", f"connections from your address hold {cfg.max_sessions_per_address} "
                                                 "sessions; close one first")
        if len(srv.sessions) + sum(c.opening for c in srv.conns) >= cfg.max_sessions:
            raise ProtocolError("session_limit", f"the server holds {cfg.max_sessions} sessions; try later")
        conn.opening += 1
        try:
            prompt = await self._prompt(conn, payload)
            session = eng.new_session(model, knobs)
            session.max_history = cfg.max_rewind + session.context - 1
            await self._open_job(conn, 0, session.reset, prompt)
            for i in range(0, len(replay), REPLAY_CHUNK):
                chunk = replay[i:i + REPLAY_CHUNK]
                await self._open_job(conn, len(chunk), self._replay_chunk, session, chunk)
            session.configure(knobs)  # the knobs after the replay
            frame = session.frame
        finally:
            conn.opening -= 1
        sid, resume = srv.new_ids()
        hosted = Hosted(sid, resume, model, session, encoding, version=len(replay),
                        touched=bool(replay))  # a replayed history is worth a resume slot
        if not srv.add(conn, hosted):
            raise ProtocolError("unknown_session", "the connection closed while the session was opening")
        jsonlog.log("session_opened", client=conn.cid, session=sid, model=model, seed=knobs.seed, replayed=len(replay))
        return self._opened(hosted, rid, encode_frame(frame, encoding))

    async def _open_job(self, conn, steps: int, fn, *args):
        """One job of an open (its reset, or a chunk of ``steps`` replayed steps) as the batcher's background
        work, so steps of open sessions keep their share of the engine. It first waits, holding nothing,
        until the connection's step budget has ``steps`` and its source address's open budget
        (``open_share`` of the engine's seconds) is out of debt; then it takes one of the ``max_opening``
        slots, and the address pays the engine time the job took. A client that opens and leaves again and
        again, each time on a new connection, so gets no more of the engine than ``open_share`` while others
        step. With no steps for a while (the batcher is idle) the engine is free: jobs neither wait nor pay."""
        srv, b = self.server, self.server.batcher
        budget = srv.open_budget(conn.source)
        wait = conn.bucket.reserve(steps) if steps else 0.0
        if wait:
            await asyncio.sleep(wait)
        wait = 0.0 if b.idle() else budget.reserve(0.0)
        if wait:
            srv.counters["open_jobs_waited"] += 1
        while wait:
            await asyncio.sleep(min(wait, IDLE_S))
            wait = 0.0 if b.idle() else budget.reserve(0.0)  # others from the address may have spent it meanwhile
        guess = b.background_s / b.background_jobs if b.background_jobs and not b.idle() else 0.0
        budget.reserve(guess)  # paid now, so that many connections waking at once do not all pass
        async with srv.open_slots:
            result, took, busy = await b.background(_timed, b, fn, *args)
        budget.reserve((took if busy else 0.0) - guess)
        return result

    async def _prompt(self, conn, payload):
        """The prompt image, decoded on the server's one prompt thread (never the engine's) and reduced
        to ``prompt_work_pixels``; an open spends ``prompt_megapixel_cost`` steps of the connection's
        step budget per megapixel past the first, and its megapixels of the source address's prompt
        budget (``prompt_rate``), and waits when either is spent."""
        cfg, loop = self.server.cfg, asyncio.get_running_loop()
        w, h = await loop.run_in_executor(self.server.decoder, _size, bytes(payload))
        if w * h > cfg.max_prompt_pixels or max(w, h) > MAX_SIDE:
            raise ProtocolError("too_large", f"prompt of {w}x{h} pixels; the limit here is "
                                             f"{cfg.max_prompt_pixels / 1e6:g} megapixels")
        wait = conn.bucket.reserve(cfg.prompt_megapixel_cost * max(0, w * h - 1e6) / 1e6) if w * h > 1e6 else 0
        wait = max(wait, self.server.prompt_budget(conn.source).reserve(w * h / 1e6))  # the address's share
        if wait:
            await asyncio.sleep(wait)
        return await loop.run_in_executor(self.server.decoder, _decode, bytes(payload), cfg)

    def _replay(self, msg, labels) -> list[tuple[int, int | None, float | None]]:
        raw = msg.get("replay") or []
        if not isinstance(raw, list):
            raise ProtocolError("bad_request", "replay must be a list of actions or [action, steps, temperature]")
        if len(raw) > self.server.cfg.max_replay:
            raise ProtocolError("too_large", f"replay of {len(raw)} steps; the limit is {self.server.cfg.max_replay}")
        out = []
        for item in raw:
            parts = item if isinstance(item, list) else [item]
            if not 1 <= len(parts) <= 3:
                raise ProtocolError("bad_request", "a replay entry is an action or [action, steps, temperature]")
            knobs = {"type": "replay", "steps": parts[1] if len(parts) > 1 else None,
                     "temperature": parts[2] if len(parts) > 2 else None}
            out.append((self._action(parts[0], labels), field(knobs, "steps", int, None, 1, self.server.cfg.max_steps),
                        field(knobs, "temperature", float, None, 0.0, MAX_TEMPERATURE)))
        return out

    @staticmethod
    def _replay_chunk(session, chunk) -> None:
        for action, steps, temperature in chunk:
            now = live_knobs(session)
            session.configure(Knobs.from_dict({"maskgit_steps": steps, "temperature": temperature}, now))
            session.step(action)

    @staticmethod
    def _action(a, labels) -> int:
        if not isinstance(a, (int, str)) or isinstance(a, bool) or (isinstance(a, str) and len(a) > 64):
            raise ProtocolError("bad_action", f"an action is an index 0..{len(labels) - 1} or a label "
                                              f"({', '.join(labels)})")
        return action_index(a, labels)

    def _opened(self, hosted: Hosted, rid, payload: bytes) -> bytes:
        s = hosted.session
        return pack(hosted.header(type="opened", id=rid, resume=hosted.resume, model=hosted.model,
                                  labels=s.labels, resolution=list(s.resolution), seed=s.seed, steps=s.steps,
                                  temperature=s.temperature, knobs=live_knobs(s).live(),
                                  action=s.actions[-1] if s.actions else None),
                    payload)

    async def step(self, conn, msg, payload, rid):
        hosted = self._own(conn, msg)
        action = self._action(msg.get("action"), hosted.session.labels)
        self._spend_step(conn)
        async with hosted.lock:
            if hosted.owner is not conn:
                raise ProtocolError("unknown_session", "the session was closed or taken over by a resume")
            data, header = await self.server.batcher.step(hosted, action)
            hosted.touched = True
        return pack({"type": "frame", "id": rid, **header}, data)

    def _spend_step(self, conn) -> None:
        """A step's share of the connection's step budget (steps, and set, configure and rewind, which also
        take the engine thread), or ``rate_limited``."""
        wait = conn.bucket.take()
        if wait:
            raise ProtocolError("rate_limited", f"over {self.server.cfg.step_rate:g} steps/s (set, configure "
                                                "and rewind count as steps)", retry_after_ms=int(wait * 1000) + 1)

    async def rewind(self, conn, msg, payload, rid):
        hosted = self._own(conn, msg)
        n = field(msg, "n", int, 1, 0, 10**6)
        self._spend_step(conn)
        hosted.touched = True
        async with hosted.lock:
            s = hosted.session
            if n > s.rewind_limit:
                raise ProtocolError("bad_request", f"can rewind 0..{s.rewind_limit} steps, not {n} (a session "
                                                   f"here can rewind up to {self.server.cfg.max_rewind} steps)")

            def work():
                frame = s.rewind(n)
                if n:
                    hosted.version += 1
                return encode_frame(frame, hosted.encoding), hosted.header()

            data, header = await self.server.engine.run(work)
        return pack({"type": "frame", "id": rid, "action": None, **header}, data)

    async def set(self, conn, msg, payload, rid):
        """The first protocol's knob message (steps and temperature); ``configure`` takes them all."""
        hosted = self._own(conn, msg)
        knobs = {"maskgit_steps": field(msg, "steps", int, None, 1, self.server.cfg.max_steps),
                 "temperature": field(msg, "temperature", float, None, 0.0, MAX_TEMPERATURE)}
        version, now = await self._configure(conn, hosted, knobs)
        return dumps({"type": "set", "id": rid, "session": hosted.sid, "version": version,
                      "steps": now.maskgit_steps, "temperature": now.temperature})

    async def configure(self, conn, msg, payload, rid):
        """New live knobs (knobs.LIVE) in one message: ``{"knobs": {"temperature": 0.7, ...}}``."""
        hosted = self._own(conn, msg)
        version, now = await self._configure(conn, hosted, self._live(field(msg, "knobs", dict)))
        return dumps({"type": "configured", "id": rid, "session": hosted.sid, "version": version,
                      "knobs": now.live()})

    def _live(self, knobs: dict) -> dict:
        """A ``configure`` message's knobs, checked like any field (``bad_request``, never a crash)."""
        other = sorted(set(knobs) - set(LIVE), key=str)
        if other:
            raise ProtocolError("bad_request", f"{str(other[0])[:40]!r} is not a knob of a running session; it takes "
                                               f"{', '.join(LIVE)}")
        field(knobs, "maskgit_steps", int, None, 1, self.server.cfg.max_steps)  # this server's limit
        try:
            Knobs.from_dict(knobs, strict=True)
        except KnobError as e:
            raise ProtocolError("bad_request", str(e)) from None
        return knobs

    async def _configure(self, conn, hosted: Hosted, knobs: dict) -> tuple[int, Knobs]:
        """Give the session the (checked) knobs that ``knobs`` names, in its order of requests; -> (its
        version, its live knobs) after them."""
        self._spend_step(conn)
        hosted.touched = True
        async with hosted.lock:
            s = hosted.session

            def work():
                s.configure(Knobs.from_dict(knobs, live_knobs(s)))
                hosted.version += 1
                return hosted.version, live_knobs(s)

            return await self.server.engine.run(work)

    async def resume(self, conn, msg, payload, rid):
        srv = self.server
        token = field(msg, "resume", str)
        hosted = srv.by_resume.get(token)
        if hosted is None:
            raise ProtocolError("unknown_session", "no session with that resume token (expired, closed, or the "
                                                   "server restarted); open it again with a replay")
        if hosted.owner is not conn and len(conn.sessions) >= srv.cfg.max_sessions_per_client:
            raise ProtocolError("session_limit", "this connection has too many sessions to resume another")
        async with hosted.lock:  # waits for the old connection's step in flight, if any
            if srv.by_resume.get(token) is not hosted:
                raise ProtocolError("unknown_session", "the session was closed meanwhile")
            if conn.closed:
                raise ProtocolError("unknown_session", "the connection closed while resuming")
            if hosted.owner is not None and hosted.owner is not conn:
                hosted.owner.sessions.pop(hosted.sid, None)
            srv.add(conn, hosted)
            hosted.touched = True
            data = await srv.engine.run(encode_frame, hosted.session.frame, hosted.encoding)
        jsonlog.log("session_resumed", client=conn.cid, session=hosted.sid, version=hosted.version)
        return self._opened(hosted, rid, data)

    async def close(self, conn, msg, payload, rid):
        hosted = self._own(conn, msg)
        async with hosted.lock:
            self.server.drop(hosted)
        jsonlog.log("session_closed", client=conn.cid, session=hosted.sid)
        return dumps({"type": "closed", "id": rid, "session": hosted.sid})


def live_knobs(s) -> Knobs:
    """The live knobs (knobs.LIVE) a hosted session plays with now, the others at their defaults."""
    return Knobs(maskgit_steps=s.steps, temperature=s.temperature, seed=s.seed, decoder=s.decoder, endless=s.endless)


def _timed(batcher, fn, *args):
    """``fn(*args)`` on the engine thread -> (its result, the seconds it took, whether clients were stepping)."""
    busy = not batcher.idle()
    t = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t, busy


def _size(payload: bytes) -> tuple[int, int]:
    """A prompt image's size from its header (nothing decoded)."""
    try:
        with Image.open(io.BytesIO(payload)) as img:
            return img.size
    except Image.DecompressionBombError:
        raise ProtocolError("too_large", "the prompt image has too many pixels") from None
    except Exception as e:  # noqa: BLE001 - Pillow raises many types for a bad header
        raise PromptError(f"prompt: not a readable image ({type(e).__name__}); send a PNG or a JPEG") from None


def _decode(payload: bytes, cfg):
    return image_decode.decode(io.BytesIO(payload), "prompt", PromptError, cfg.max_prompt_pixels, MAX_SIDE,
                               max(1, cfg.prompt_work_pixels))
