"""The server's model side: loaded models, one worker thread for all model work, and the step batcher.

All torch work (prompt encoding, steps, rewinds, frame encoding) runs in one worker thread, so the
event loop stays free to read and answer messages. Step requests from all connections go through
:class:`StepBatcher`: it waits ``batch_window_ms`` after the first request for others (or until
``max_batch``), then steps them together with :func:`step_many`, one forward pass per group of
sessions that share a model and knobs. Opens (prompt encoding, replays) run as the batcher's
background jobs, between batches, with a bounded share of the engine's time.
"""

from __future__ import annotations

import asyncio
import collections
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from genie_studio.knobs import Knobs
from genie_studio.remote.wire import encode_frame
from genie_studio.session import compiled
from genie_studio.session.open import SessionSettings, load_world, open_local
from genie_studio.session.world_session import WorldSession, step_many
from genie_studio.world.bundle import WorldModel


@dataclass(eq=False)
class Hosted:
    """A session as the server keeps it: owned by a connection, or detached awaiting a resume."""

    sid: str
    resume: str
    model: str
    session: WorldSession
    encoding: str
    version: int = 0  # bumped by every change of state (step, rewind, set)
    owner: object = None  # the connection, or None while detached
    expires: float | None = None  # monotonic deadline while detached
    source: str = ""  # the address of the connection that opened it (per-address session cap)
    touched: bool = False  # stepped, rewound, set or resumed since it was opened (else no resume grace)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def header(self, **extra) -> dict:
        s = self.session
        h, w = s.resolution
        return {"session": self.sid, "version": self.version, "index": len(s.history) - 1,
                "shape": [h, w, 3], "encoding": self.encoding, **extra}


class Engine:
    """Models by name plus the worker thread; ``models[0]`` is the default."""

    def __init__(self, models: list[WorldModel], device: str = "cpu", precision: str = "fp32"):
        if not models:
            raise ValueError("a server needs at least one model")
        self.device, self.precision = device, precision
        self.models: dict[str, WorldModel] = {}
        for m in models:
            if m.tokenizer is None or m.dynamics is None:
                raise ValueError(f"model {m.name!r} lacks a tokenizer or a dynamics component")
            self.models.setdefault(m.name, m.to(device))
        self.default = next(iter(self.models))
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="world-worker")

    @classmethod
    def from_paths(cls, paths, device="cpu", precision="fp32") -> Engine:
        models = []
        for p in paths:
            m = load_world(p, ("tokenizer", "lam", "dynamics"), device)
            m.meta.setdefault("name", m.path.name if m.path else str(p))
            models.append(m)
        return cls(models, device, precision)

    def describe(self) -> list[dict]:
        return [{"name": n, "labels": m.action_labels, "resolution": list(m.tokenizer.cfg.image_size),
                 "patch": int(m.tokenizer.cfg.patch), "context": int(m.dynamics.cfg.context),
                 "precision": self.precision, "default": n == self.default} for n, m in self.models.items()]

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def new_session(self, model: str, knobs: Knobs) -> WorldSession:
        """A session of a served model with ``knobs``' live ones (the engine's device and precision; the
        engine compiles for all its sessions at once)."""
        knobs = knobs.replace(device=self.device, precision=self.precision, compile=False)
        return open_local(SessionSettings(knobs=knobs, loaded=self.models[model]))

    def compile_in_background(self, batches=compiled.BUCKETS, on_done=None) -> threading.Thread:
        """Load, or build once per machine, every model's compiled graphs for these batch sizes, on a
        low-priority thread; steps run eagerly until a batch size's graph is ready (session/compiled.py).
        ``on_done(model name, report)`` hears about each model."""

        def job():
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
            except (AttributeError, OSError):
                pass
            for name, m in self.models.items():
                report = compiled.prepare(m, self.device, self.precision, batches=batches)
                if on_done:
                    on_done(name, report)

        t = threading.Thread(target=job, name="genie-compile", daemon=True)
        t.start()
        return t

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


CREDIT_CAP_S = 0.02  # background work saved up while steps run: at most this much at once
IDLE_S = 0.25  # no step for this long: background work runs freely


class StepBatcher:
    """The one scheduler of the engine thread's model work: steps, batched, and lower-priority
    *background* jobs (prompt encoding and replay chunks of opens).

    Steps are collected for ``window_ms`` after the first one (or until ``max_batch``) and run as one
    :func:`step_many` call. A batch has one of a few sizes (:data:`compiled.BUCKETS` up to
    ``max_batch``): the steps past the largest size that fits wait for the next pass, which starts at
    once. So the model sees a handful of shapes, which bounds the memory oneDNN keeps per shape and
    matches the compiled graphs' batch sizes. Background jobs run between batches, one at a time: while
    clients are stepping (a step came in the last ``IDLE_S``) they get at most ``background_share`` of
    the engine's time, so opens with long replays (or clients that open and leave, again and again)
    slow the steps of open sessions by at most that share plus one job; with no steps they run freely.
    """

    def __init__(self, engine: Engine, window_ms: float = 2.0, max_batch: int = 64, background_share: float = 0.25):
        self.engine, self.window, self.max_batch = engine, window_ms / 1000.0, max(1, int(max_batch))
        self.sizes = sorted({b for b in compiled.BUCKETS if b < self.max_batch} | {self.max_batch})
        self.share = min(max(float(background_share), 0.01), 0.99)
        self.queue: asyncio.Queue = asyncio.Queue()
        self.carry: list = []  # steps left over from the last pass (they go first)
        self.bg: collections.deque = collections.deque()
        self.credit = 0.0  # engine seconds background jobs may take now (earns share x wall time)
        self._accrued = time.perf_counter()  # when credit was last earned
        self.last_step = float("-inf")  # when the last step was asked for or done (none yet: idle)
        self.wake = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.batches = self.steps = self.background_jobs = 0
        self.busy_s = self.background_s = 0.0

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._loop(), name="step-batcher")

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        waiting = [item[-1] for item in self.carry + list(self.bg)]
        while not self.queue.empty():
            waiting.append(self.queue.get_nowait()[-1])
        for fut in waiting:
            if not fut.done():
                fut.cancel()
        self.carry.clear()
        self.bg.clear()

    async def step(self, hosted: Hosted, action: int) -> tuple[bytes, dict]:
        """Step a session (the caller holds its lock) -> (encoded new frame, its reply header).
        The step happens (and bumps the version) even if the caller goes away meanwhile."""
        fut = asyncio.get_running_loop().create_future()
        await self.queue.put((hosted, action, fut))
        self.last_step = time.perf_counter()
        self.wake.set()
        return await fut

    async def background(self, fn, *args):
        """Run ``fn(*args)`` on the engine thread as background work; returns its result. A job that
        is cancelled before it starts never runs."""
        fut = asyncio.get_running_loop().create_future()
        self.bg.append((fn, args, fut))
        self.wake.set()
        return await fut

    def idle(self) -> bool:
        """No step for ``IDLE_S``: background work runs freely."""
        return time.perf_counter() - self.last_step >= IDLE_S

    def _steps_waiting(self) -> bool:
        return bool(self.carry) or not self.queue.empty()

    async def _loop(self) -> None:
        while True:
            if not self._steps_waiting() and not self.bg:
                self.wake.clear()
                await self.wake.wait()
            if self._steps_waiting():
                await self._pass()
            if not self.bg:
                continue
            now = time.perf_counter()
            self.credit = min(self.credit + (now - self._accrued) * self.share, CREDIT_CAP_S)
            self._accrued = now
            idle = self.idle()  # no steps lately: background work runs freely
            if self.credit > 0 or idle:
                await self._background_job(charge=not idle)
            elif not self._steps_waiting():  # wait for credit (or a step, which goes first)
                self.wake.clear()
                try:
                    await asyncio.wait_for(self.wake.wait(), min(-self.credit / self.share + 1e-3, IDLE_S))
                except TimeoutError:
                    pass

    async def _background_job(self, charge: bool) -> None:
        fn, args, fut = self.bg.popleft()
        if fut.done():  # cancelled while waiting: never started
            return
        t = time.perf_counter()
        try:
            result = await self.engine.run(fn, *args)
        except Exception as e:  # noqa: BLE001 - handed to the caller
            if not fut.done():
                fut.set_exception(e)
        else:
            if not fut.done():
                fut.set_result(result)
        dt = time.perf_counter() - t
        self.background_jobs += 1
        self.background_s += dt
        if charge:
            self.credit = max(self.credit - dt, -1.0)

    async def _pass(self) -> None:
        """Gather one batch (the carried steps first), run the largest allowed size of it."""
        loop = asyncio.get_running_loop()
        batch, self.carry = self.carry, []
        if not batch:  # a fresh batch: wait the window for more
            batch.append(await self.queue.get())
            deadline = loop.time() + self.window
            while len(batch) < self.max_batch:
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self.queue.get(), left))
                except TimeoutError:
                    break
        while len(batch) < self.max_batch and not self.queue.empty():
            batch.append(self.queue.get_nowait())
        live = [b for b in batch if not b[2].done()]
        if not live:
            return
        n = max(b for b in self.sizes if b <= len(live))
        live, self.carry = live[:n], live[n:]
        try:
            payloads = await self.engine.run(self._work, live)
        except Exception as e:  # noqa: BLE001 - handed to every waiting request
            for *_, fut in live:
                if not fut.done():
                    fut.set_exception(e)
            return
        for (*_, fut), payload in zip(live, payloads):
            if not fut.done():
                fut.set_result(payload)
        self.last_step = time.perf_counter()

    def _work(self, batch) -> list[tuple[bytes, dict]]:
        t = time.perf_counter()
        frames = step_many([b[0].session for b in batch], [b[1] for b in batch])
        out = []
        for f, (hosted, action, _) in zip(frames, batch):
            hosted.version += 1
            out.append((encode_frame(f, hosted.encoding), hosted.header(action=action)))
        self.batches += 1
        self.steps += len(batch)
        self.busy_s += time.perf_counter() - t
        return out
