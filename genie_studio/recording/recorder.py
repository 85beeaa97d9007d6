"""``Recorder``: write a playthrough to a recording folder as it happens.

Two ways in: ``Recorder.for_session(session, folder, prompt)`` wraps a ``WorldSession`` (``step``
steps the world and records the frame), or ``Recorder(folder, ...)`` plus ``add_frame`` receives
frames and actions from a caller that drives the session itself (the editor).

Durability: frames are appended to chunk files and indexed (``recording.chunks``); a background
thread flushes and fsyncs whatever is pending at least every ``flush_interval`` seconds (default 0.5),
so a process killed with SIGKILL loses at most the last second. ``close()`` marks the header closed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import threading
import time
from pathlib import Path

import numpy as np

from genie_studio.fsutil import fsync_dir
from genie_studio.knobs import Knobs
from genie_studio.recording import chunks, meta
from genie_studio.recording.chunks import RecordingError

log = logging.getLogger(__name__)


class Recorder:
    def __init__(self, folder: str | os.PathLike, *, model: dict, prompt, labels: list[str], resolution,
                 seed: int | None = None, steps: int | None = None, temperature: float | None = None,
                 precision: str = "fp32", context: int | None = None, fps: float | None = None,
                 clock: str = "realtime", name: str | None = None, voice=None, flush_interval: float = 0.5,
                 decoder: str | None = None, endless: bool | None = None):
        """``model`` is ``meta.model_identity(world_model)``; ``prompt`` is the prompt as given (path,
        PIL image, array or bytes), stored losslessly as prompt.png so replay can start from it. A knob
        left None is its default (knobs.Knobs); ``precision`` is what the session resolved, never "auto"."""
        from genie_studio.session.prompt import open_image  # the one image decoder

        self.folder = Path(folder)
        if self.folder.exists() and any(self.folder.iterdir()):
            raise RecordingError(f"{self.folder}: already exists and is not empty; choose a new folder")
        try:
            (self.folder / "chunks").mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RecordingError(f"{self.folder}: cannot create the recording folder ({e.strerror})") from None
        img = open_image(prompt)
        img.save(self.folder / meta.PROMPT, format="PNG")
        k = Knobs.from_dict({"seed": seed, "maskgit_steps": steps, "temperature": temperature, "fps": fps,
                             "decoder": decoder, "endless": endless})
        self.header = meta.new_header(
            name=name or self.folder.name, model=model, seed=k.seed, steps=k.maskgit_steps, temperature=k.temperature,
            precision=precision, context=context, resolution=resolution, labels=labels, fps=k.fps, clock=clock,
            decoder=k.decoder, endless=k.endless)
        meta.write_header(self.folder, self.header)
        self.labels = list(labels)
        self.session = None
        self.notes: list[str] = []
        self._entries = 0
        self._t_span: tuple[float, float] | None = None  # first and last frame times (the duration)
        self._chunk = 0
        self._chunk_frames = 0
        self._data = open(chunks.chunk_path(self.folder, 0), "ab")  # noqa: SIM115
        self._index = open(self.folder / "index.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self._pending: list[str] = []
        self._durable = 0  # frames whose records and index lines are on disk
        self._failed: str | None = None  # why writing stopped (a full disk), once it has
        self._lock = threading.Lock()
        self._closed = False
        self.t0 = time.monotonic()
        self._voice = None
        if voice is not None:
            self._start_voice(voice)
        self._stop = threading.Event()
        self._interval = float(flush_interval)
        self._thread = threading.Thread(target=self._flush_loop, name="recorder-flush", daemon=True)
        self._thread.start()

    # ---- construction around a WorldSession ---------------------------------------------------------
    @classmethod
    def for_session(cls, session, folder, prompt, *, fps: float | None = None, clock: str = "realtime",
                    name: str | None = None, voice=None, flush_interval: float = 0.5) -> Recorder:
        """Reset ``session`` to ``prompt`` and record its prompt frame; then call ``step``."""
        frame = session.reset(prompt)
        rec = cls(folder, **cls.session_kwargs(session, prompt), fps=fps, clock=clock, name=name, voice=voice,
                  flush_interval=flush_interval)
        rec.session = session
        rec.add_frame(frame, None, steps=session.steps, temperature=session.temperature)
        return rec

    @staticmethod
    def session_kwargs(session, prompt) -> dict:
        """Constructor arguments describing ``session`` (for a caller that steps it elsewhere)."""
        return {"model": meta.model_identity(session.model), "prompt": prompt, "labels": session.labels,
                "resolution": session.resolution, "seed": session.seed, "steps": session.steps,
                "temperature": session.temperature, "precision": session.precision, "context": session.context,
                "decoder": getattr(session, "decoder", None), "endless": getattr(session, "endless", None)}

    def step(self, action, inputs=()) -> np.ndarray:
        if self.session is None:
            raise RuntimeError("this Recorder does not wrap a session; use add_frame")
        frame = self.session.step(action)
        self.add_frame(frame, self.session.actions[-1], inputs,
                       steps=self.session.steps, temperature=self.session.temperature)
        return frame

    # ---- recording ----------------------------------------------------------------------------------
    @property
    def frame_count(self) -> int:
        return self._entries

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def add_frame(self, frame: np.ndarray, action: int | None = None, inputs=(), *, t: float | None = None,
                  steps: int | None = None, temperature: float | None = None) -> int:
        """Append one frame. ``action``: the latent action index that produced it (None for the prompt
        frame); ``inputs``: the physical inputs that caused it (any JSON-able list, may be empty);
        ``t``: seconds since the recording started (default: now, or i/fps on a nominal clock)."""
        if self._closed:
            raise RecordingError(f"{self.folder}: the recording is closed")
        if t is None:
            t = self._entries / self.header["fps"] if self.header["clock"] == "nominal" else self.elapsed
        self._t_span = (self._t_span[0] if self._t_span else round(float(t), 6), round(float(t), 6))
        m = {"i": self._entries, "t": round(float(t), 6),
             "action": None if action is None else int(action),
             "label": None if action is None else self.labels[int(action)],
             "inputs": list(inputs or []),
             "steps": int(self.header["steps"] if steps is None else steps),
             "temperature": float(self.header["temperature"] if temperature is None else temperature)}
        rec = chunks.encode(m, frame)
        with self._lock, self._disk():
            if self._failed:
                raise RecordingError(self._failed)
            if self._chunk_frames >= chunks.CHUNK_FRAMES:
                self._roll()
            off = self._data.tell()
            self._data.write(rec)
            self._pending.append(json.dumps({"i": self._entries, "chunk": self._chunk, "offset": off,
                                             "size": len(rec)}) + "\n")
            self._entries += 1
            self._chunk_frames += 1
        return self._entries - 1

    def mark_not_replayable(self, reason: str) -> None:
        """Say why replay cannot reproduce this recording (e.g. the player rewound mid-recording)."""
        if self.header["replayable"]:
            self.header["replayable"] = False
            self.header["notes"].append(f"not replayable: {reason}")
            meta.write_header(self.folder, self.header)

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.header["notes"].append(text)
        meta.write_header(self.folder, self.header)

    def flush(self) -> None:
        """Make everything added so far durable (chunk first, then its index lines)."""
        with self._lock, self._disk():
            self._flush_locked()

    @contextlib.contextmanager
    def _disk(self):
        """Turn a failed write (a full disk, above all) into one RecordingError that says what failed
        and what was kept; later frames are refused with the same message."""
        try:
            yield
        except OSError as e:
            full = e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
            what = "the disk is full" if full else f"cannot write ({e.strerror or e})"
            self._failed = (f"{self.folder}: {what}; recording stopped. At least the {self._durable} frames "
                            f"written before are kept there (it opens as a recovered recording: free some space, then "
                            f"open it to repair it)")
            raise RecordingError(self._failed) from None

    def close(self):
        """Stop, flush, finish the header; returns the ``Recording``."""
        from genie_studio.recording.reader import Recording

        if not self._closed and self._failed:  # after a failed write: close what is open, never raise again
            self._stop.set()
            self._thread.join()
            with self._lock:
                self._closed = True
                for f in (self._data, self._index):
                    with contextlib.suppress(OSError):
                        f.close()
            if self._voice is not None:
                with contextlib.suppress(Exception):
                    self._stop_voice()
        if not self._closed:
            self._stop.set()
            self._thread.join()
            if self._voice is not None:
                self._stop_voice()
            with self._lock, self._disk():
                self._flush_locked()
                self._closed = True
                self._data.close()
                self._index.close()
            # the same duration as Recording.duration: first frame to the end of the last (1/fps)
            first, last = self._t_span or (0.0, -1.0 / self.header["fps"])
            duration = last - first + 1.0 / self.header["fps"]
            self.header.update(closed=True, frames=self._entries, duration=round(duration, 3))
            with self._disk():
                meta.write_header(self.folder, self.header)
        return Recording(self.folder)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- internals ----------------------------------------------------------------------------------
    def _roll(self) -> None:
        self._flush_locked()
        self._data.close()
        self._chunk += 1
        self._chunk_frames = 0
        self._data = open(chunks.chunk_path(self.folder, self._chunk), "ab")  # noqa: SIM115
        fsync_dir(self.folder / "chunks")

    def _flush_locked(self) -> None:
        if self._data.closed or not self._pending:
            return
        self._data.flush()
        os.fsync(self._data.fileno())
        self._index.write("".join(self._pending))
        self._index.flush()
        os.fsync(self._index.fileno())
        self._durable += len(self._pending)
        self._pending.clear()

    def _flush_loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except (RecordingError, ValueError) as e:  # disk full, file closed under us: the next frame says so
                log.error("recording %s: flush failed: %s", self.folder, e)
                return

    def _start_voice(self, voice) -> None:
        path = self.folder / meta.VOICE
        if voice.start(path):
            self._voice = voice
            self.header["audio"] = {"file": meta.VOICE, "offset": round(voice.started_at - self.t0, 6),
                                    "samplerate": voice.samplerate, "channels": voice.channels}
            meta.write_header(self.folder, self.header)
        else:
            self.note(f"no voice-over: {voice.reason}")

    def _stop_voice(self) -> None:
        self._voice.stop()
        if self._voice.error:
            self.note(f"voice-over stopped early: {self._voice.error}")
