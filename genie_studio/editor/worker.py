"""Inference off the UI thread: a worker that yields frames to the UI and receives actions.

``WorldWorker`` lives in its own QThread and owns the session. While playing it steps the world
with the action it was last sent, emits each frame, and waits until the next frame is due; between
steps its event loop handles requests (reset, step, knobs, previews), so none of them ever waits on
the UI and the UI never waits on a step.

Action-card previews are background work that yields to Play, Step and Reset (issue #19): a preview
is a job of small slices (the preview prompt, then one frame of one action each on a CPU) run one per
turn of the worker's event loop, so a Play, Step or Reset request waits at most one slice, never a
whole preview. While playing, a slice runs only when its measured cost fits in the time left before
the next frame is due; a new preview request or a new model drops the job in progress.

``WorldController`` is the UI-side handle: every call returns at once (a queued signal), and
``set_action`` is a plain attribute write the worker reads before each step. The UI never reads the
session: the signals carry what it needs (the server round trip with each frame, ``sessionChanged``).
"""

from __future__ import annotations

import collections
import logging
import time

from PySide6.QtCore import QElapsedTimer, QMetaObject, QObject, Qt, QThread, QTimer, Signal, Slot

from genie_studio.knobs import Knobs
from genie_studio.local_or_remote import SessionError, SessionSettings, open_session
from genie_studio.recording import Recorder
from genie_studio.session.prompt import PromptError
from genie_studio.session.protocol import Session
from genie_studio.session.world_session import WorldSession, step_many

log = logging.getLogger(__name__)
OOM_HELP = ("Out of memory while generating frames. Try fewer MaskGIT steps, the CPU device, or a "
            "smaller model, and close other programs using the GPU.")


def _is_oom(e: BaseException) -> bool:
    return isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError" or "out of memory" in str(e)


def _load_error(e: SessionError, settings: dict) -> str:
    """What the editor says when a session cannot be opened, with where to fix it."""
    if e.part == "model":
        return f"{e}. Pick another model in Model > Open Model Folder, or install one with `genie-studio train`"
    if e.part == "server":
        return (f"remote server {settings.get('server_url') or '(no URL)'}: {e}. Check the URL and the token "
                "file, or pick a local device")
    return str(e)

class WorldWorker(QObject):
    modelLoaded = Signal(dict)  # name, path, labels, resolution, device, patch, model (the loaded model)
    modelFailed = Signal(str)
    sessionChanged = Signal(dict)  # Recorder.session_kwargs (prompt None): on load and knob changes
    frameReady = Signal(object, int, float, int, object)  # frame, action (-1: prompt), fps, index, rtt ms|None
    previewsReady = Signal(object)  # list (one per action) of frame lists
    failed = Signal(str, str)  # kind (prompt | oom | step | preview), message
    playingChanged = Signal(bool)
    compileStatus = Signal(str)  # a first run's compilation, from its background thread (session/compiled.py)

    def __init__(self):
        super().__init__()
        self.session: Session | None = None
        self.action = 0  # written by the UI thread, read before each step
        self.driver = None  # autoplay (issue #20): when set, it chooses the action; the UI clears it at once
        self.fps_target = Knobs().fps
        self.playing = False  # the gate read before each step; the UI may clear it at any time
        self._running = False  # what the worker last announced with playingChanged
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # frames are due every ~33 ms: a coarse timer drifts
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)
        self._times = collections.deque(maxlen=16)
        self._preview_job = None  # generator: one slice of preview work per next(); returns the clips
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.timeout.connect(self._preview_slice)
        self._slice_s = 0.0  # measured cost of a preview slice (moving average), seconds
        self._step_s = 0.0  # measured cost of the last world step, seconds
        self._next_due = 0.0  # perf_counter() time the next frame is due while playing

    @property
    def previews_pending(self) -> bool:
        """A preview job is queued or part-way done (read from any thread)."""
        return self._preview_job is not None

    @Slot(dict, str)
    def load(self, settings: dict, model: str) -> None:
        self.pause()
        self.cancel_previews()
        try:
            st = SessionSettings.from_settings(settings, model or None)
            st.on_compile = lambda text, done, total: self.compileStatus.emit(
                f"Faster play: {text} ({done}/{total})" if done < total else "Faster play: compiled for this machine")
            s = open_session(st)
        except SessionError as e:
            self.session = None
            self.modelFailed.emit(_load_error(e, settings))
            return
        except Exception as e:  # noqa: BLE001 - any failure to load is reported, never crashes the UI
            self.session = None
            self.modelFailed.emit(OOM_HELP if _is_oom(e) else f"could not load the model: {e}")
            return
        self.session = s
        self.fps_target = st.knobs.fps
        self.modelLoaded.emit({"name": s.model.name, "path": str(s.model.path or ""), "labels": list(s.labels),
                               "resolution": tuple(s.resolution), "device": str(s.device),
                               "patch": s.patch, "model": s.model})
        self._describe()

    @Slot(object)
    def reset(self, prompt) -> None:
        if self.session is None:
            return
        try:
            frame = self.session.reset(prompt)
        except PromptError as e:
            self.pause()
            self.failed.emit("prompt", str(e))
            return
        except Exception as e:  # noqa: BLE001
            self._fail(e, "step")
            return
        self._times.clear()
        self.frameReady.emit(frame, -1, 0.0, 0, self.session.last_rtt_ms)

    @Slot()
    def play(self) -> None:
        if self.session is None or self.session.frame is None:
            return
        self.playing = True
        if not self._running:
            self._running = True
            self._times.clear()
            self.playingChanged.emit(True)
        self._timer.start(0)

    @Slot()
    def pause(self) -> None:
        self._timer.stop()
        self.playing = False
        if self._running:
            self._running = False
            self.playingChanged.emit(False)
        self._kick_previews()

    @Slot()
    def stop(self) -> None:
        """Pause and drop any preview work: the thread is about to end."""
        self.pause()
        self.cancel_previews()

    @Slot()
    def cancel_previews(self) -> None:
        self._preview_timer.stop()
        if self._preview_job is not None:
            self._preview_job.close()
            self._preview_job = None

    @Slot()
    def step(self) -> None:
        if self.session is not None and self.session.frame is not None:
            self._step_once()

    @Slot(object)
    def set_knobs(self, knobs: Knobs) -> None:
        """The session takes them in one call (``configure``): the seed, the decoder and endless apply from
        the next Reset (a new world); the worker keeps the fps."""
        self.fps_target = knobs.fps
        if self.session is not None:
            try:
                self.session.configure(knobs)
            except Exception as e:  # noqa: BLE001 - a remote session may fail to send them; reported, never a crash
                self._fail(e, "step")
                return
            self._describe()

    @Slot(object, int)
    def previews(self, prompt, n: int) -> None:
        """Start ``n`` frames per latent action from ``prompt`` as background slices (replacing any
        preview in progress); ``previewsReady`` carries the clips when the last slice is done."""
        self.cancel_previews()
        if self.session is None:
            return
        self._preview_job = _preview_slices(self.session, prompt, n)
        self._kick_previews()

    # ---- internals -----------------------------------------------------------------------------------
    def _describe(self) -> None:
        self.sessionChanged.emit(Recorder.session_kwargs(self.session, None))

    def _fail(self, e: BaseException, kind: str) -> None:
        self.pause()
        log.exception("world worker: %s failed", kind)
        self.failed.emit("oom" if _is_oom(e) else kind, OOM_HELP if _is_oom(e) else f"{kind} failed: {e}")

    def _step_once(self) -> bool:
        driver = self.driver
        t0 = time.perf_counter()
        try:
            a = int(self.action) if driver is None else driver.act(self.session)
            if not 0 <= a < len(self.session.labels):
                a = 0
            frame = self.session.step(a)
        except Exception as e:  # noqa: BLE001
            self._fail(e, "step")
            return False
        now = time.perf_counter()
        self._step_s = now - t0
        self._times.append(now)
        fps = (len(self._times) - 1) / (self._times[-1] - self._times[0]) if len(self._times) > 1 else 0.0
        self.frameReady.emit(frame, a, fps, len(self.session.actions), self.session.last_rtt_ms)
        return True

    def _tick(self) -> None:
        if not self.playing or self.session is None:
            self.pause()
            return
        t = QElapsedTimer()
        t.start()
        if self._step_once() and self.playing:
            wait_ms = max(0, int(1000 / self.fps_target) - t.elapsed())
            self._next_due = time.perf_counter() + wait_ms / 1000
            self._timer.start(wait_ms)
            self._kick_previews()

    def _kick_previews(self) -> None:
        if self._preview_job is not None and not self._preview_timer.isActive():
            self._preview_timer.start(0)

    def _preview_slice(self) -> None:
        """One slice of the preview job, unless a frame is due before it could finish."""
        job = self._preview_job
        if job is None:
            return
        if self.playing:
            need = 1.5 * (self._slice_s or self._step_s)
            if not need or self._next_due - time.perf_counter() < need:
                return  # the next tick kicks the job again after its frame
        t0 = time.perf_counter()
        try:
            next(job)
        except StopIteration as done:
            self._preview_job = None
            self.previewsReady.emit(done.value)
            return
        except PromptError as e:
            self._preview_job = None
            self.failed.emit("prompt", str(e))
            return
        except Exception as e:  # noqa: BLE001 - a failed preview is reported; it never stops the world
            self._preview_job = None
            log.exception("world worker: preview failed")
            self.failed.emit("oom" if _is_oom(e) else "preview", OOM_HELP if _is_oom(e) else f"preview failed: {e}")
            return
        dt = time.perf_counter() - t0
        self._slice_s = dt if not self._slice_s else 0.7 * self._slice_s + 0.3 * dt
        self._kick_previews()


def _preview_slices(s: Session, prompt, n: int):
    """The preview job: a generator that does one small piece of work per ``next()`` and returns one
    clip per latent action (the prompt frame, then ``n`` frames of that action). It plays a sibling of
    the session (same model and knobs; on the same server for a remote one), never the played world.
    Locally on a CPU a slice is one frame of one action, about one world step; on a GPU all actions step
    in one batch; remotely a slice is one step on the server, and each action starts again from the prompt."""
    base = s.sibling()
    try:
        first = base.reset(prompt)
        yield
        if not isinstance(base, WorldSession):
            out = []
            for action in range(len(base.labels)):
                if action:
                    base.reset(prompt)
                clip = [first]
                for _ in range(n):
                    clip.append(base.step(action))
                    yield
                out.append(clip)
            return out
        forks = [base.fork() for _ in s.labels]
        out = [[first] for _ in forks]
        chunk = 1 if str(s.device).startswith("cpu") else len(forks)
        for _ in range(n):
            for lo in range(0, len(forks), chunk):
                idx = list(range(lo, min(lo + chunk, len(forks))))
                for i, f in zip(idx, step_many([forks[i] for i in idx], idx)):
                    out[i].append(f)
                yield
        return out
    finally:
        base.close()


class WorldController(QObject):
    """UI-thread handle on a WorldWorker in its own thread; every method returns immediately."""

    _load = Signal(dict, str)
    _reset = Signal(object)
    _play = Signal()
    _pause = Signal()
    _step = Signal()
    _knobs = Signal(object)
    _previews = Signal(object, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("genie-world-worker")
        self.worker = WorldWorker()
        self.worker.moveToThread(self.thread)
        for sig, slot in ((self._load, self.worker.load), (self._reset, self.worker.reset),
                          (self._play, self.worker.play), (self._pause, self.worker.pause),
                          (self._step, self.worker.step), (self._knobs, self.worker.set_knobs),
                          (self._previews, self.worker.previews)):
            sig.connect(slot)
        self.thread.start()

    def load(self, settings: dict, model: str = "") -> None:
        self._load.emit(dict(settings), model or "")

    def reset(self, prompt) -> None:
        self._reset.emit(prompt)

    def play(self) -> None:
        self._play.emit()

    def pause(self) -> None:
        self.worker.playing = False  # stop at once, even if a step is running now
        self._pause.emit()

    def step(self) -> None:
        self._step.emit()

    def set_action(self, index: int) -> None:
        self.worker.action = int(index)

    def set_driver(self, driver) -> None:
        self.worker.driver = driver  # autoplay: it chooses each next action (None: the keys do)

    def set_knobs(self, knobs: Knobs) -> None:
        self._knobs.emit(knobs)

    def previews(self, prompt, n: int = 8) -> None:
        self._previews.emit(prompt, int(n))

    def shutdown(self) -> None:
        self.worker.playing = False
        if self.thread.isRunning():  # stop the worker's timers in its own thread, then end the thread
            QMetaObject.invokeMethod(self.worker, "stop", Qt.ConnectionType.BlockingQueuedConnection)
        self.thread.quit()
        self.thread.wait(10_000)


class StallMeter(QObject):
    """Longest gap between UI event-loop heartbeats (a 5 ms QTimer) since ``start()``, in ms."""

    def __init__(self, parent=None, interval_ms: int = 5):
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # frames are due every ~33 ms: a coarse timer drifts
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        self._clock = QElapsedTimer()
        self.max_stall_ms = 0.0
        self._last = 0.0

    def start(self) -> None:
        self.max_stall_ms = 0.0
        self._clock.start()
        self._last = 0.0
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        return self.max_stall_ms

    def _beat(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        self.max_stall_ms = max(self.max_stall_ms, now - self._last - self.interval_ms)
        self._last = now
