"""The server's model side: loaded models, one worker thread for all model work, and the step batcher.

All torch work (prompt encoding, steps, rewinds, frame encoding) runs in one worker thread, so the
event loop stays free to read and answer messages. Step requests from all connections go through
:class:`StepBatcher`: it waits ``batch_window_ms`` after the first request for others (or until
``max_batch``), then steps them together with :func:`step_many`, one forward pass per group of
sessions that share a model, knobs and history length.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from genie_studio.remote.protocol import encode_frame
from genie_studio.session import compiled
from genie_studio.session.open import SessionSettings, open_local
from genie_studio.session.world_session import WorldSession, step_many
from genie_studio.world.bundle import WorldModel, load_model


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
            m = load_model(p, device=device)
            m.meta.setdefault("name", m.path.name if m.path else str(p))
            models.append(m)
        return cls(models, device, precision)

    def describe(self) -> list[dict]:
        return [{"name": n, "labels": m.action_labels, "resolution": list(m.tokenizer.cfg.image_size),
                 "patch": int(m.tokenizer.cfg.patch), "default": n == self.default} for n, m in self.models.items()]

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def new_session(self, model: str, seed: int, steps: int, temperature: float) -> WorldSession:
        return open_local(SessionSettings(model=self.models[model], device=self.device, precision=self.precision,
                                          steps=steps, temperature=temperature, seed=seed, compile=False))

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


class StepBatcher:
    """Collects step requests for a few milliseconds and runs them as one :func:`step_many` call."""

    def __init__(self, engine: Engine, window_ms: float = 2.0, max_batch: int = 64):
        self.engine, self.window, self.max_batch = engine, window_ms / 1000.0, max_batch
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task: asyncio.Task | None = None
        self.batches = self.steps = 0
        self.busy_s = 0.0

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._loop(), name="step-batcher")

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        while not self.queue.empty():
            *_, fut = self.queue.get_nowait()
            if not fut.done():
                fut.cancel()

    async def step(self, hosted: Hosted, action: int) -> tuple[bytes, dict]:
        """Step a session (the caller holds its lock) -> (encoded new frame, its reply header).
        The step happens (and bumps the version) even if the caller goes away meanwhile."""
        fut = asyncio.get_running_loop().create_future()
        await self.queue.put((hosted, action, fut))
        return await fut

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
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
                continue
            try:
                payloads = await self.engine.run(self._work, live)
            except Exception as e:  # noqa: BLE001 - handed to every waiting request
                for *_, fut in live:
                    if not fut.done():
                        fut.set_exception(e)
                continue
            for (*_, fut), payload in zip(live, payloads):
                if not fut.done():
                    fut.set_result(payload)

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
