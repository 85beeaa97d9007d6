"""``VoiceRecorder``: record the microphone to a crash-safe WAV while a playthrough is recorded.

PortAudio calls back on its own thread with blocks of samples; the callback only copies the block to
a queue and updates the level meter. A writer thread appends to the WAV and flushes every half second.
``start`` returns False (and sets ``reason``, logged once) instead of raising when there is no
PortAudio or no input device: the recording goes on without sound.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

from genie_studio.audio.devices import AudioUnavailable, peak_level, pick_device, sd, warn_once
from genie_studio.recording.wav import WavWriter

log = logging.getLogger(__name__)


class VoiceRecorder:
    def __init__(self, device=None, samplerate: int | None = None, channels: int = 1, blocksize: int = 1024,
                 flush_interval: float = 0.5):
        self.device, self.channels, self.blocksize = device, int(channels), int(blocksize)
        self.samplerate = samplerate
        self.flush_interval = flush_interval
        self.reason: str | None = None  # why there is no voice-over
        self.error: str | None = None  # a problem during recording (device lost, overflow)
        self.level = 0.0  # peak of the newest block, 0..1
        self.started_at = 0.0  # time.monotonic() of the first sample
        self.path: Path | None = None
        self._q: queue.Queue = queue.Queue()
        self._stream = None
        self._writer: WavWriter | None = None
        self._thread: threading.Thread | None = None
        self._first = threading.Event()
        self.overflows = 0

    @property
    def active(self) -> bool:
        return self._stream is not None

    def start(self, path=None) -> bool:
        """Open the device and record to ``path`` (None: level meter only). False + ``reason`` if
        there is no way to record."""
        try:
            m = sd()
            dev = pick_device(self.device)
            self.samplerate = int(self.samplerate or dev.samplerate)
            self.channels = max(1, min(self.channels, dev.channels))
            self._stream = m.InputStream(device=dev.index, samplerate=self.samplerate, channels=self.channels,
                                         dtype="float32", blocksize=self.blocksize, callback=self._callback)
        except AudioUnavailable as e:
            self.reason = str(e)
        except Exception as e:  # noqa: BLE001 (PortAudioError and friends)
            self.reason = f"could not open the input device: {e}"
        if self.reason:
            warn_once(self.reason)
            self._stream = None
            return False
        if path is not None:
            self.path = Path(path)
            self._writer = WavWriter(self.path, self.samplerate, self.channels)
        self._thread = threading.Thread(target=self._write_loop, name="voice-writer", daemon=True)
        self._thread.start()
        t = time.monotonic()
        self._stream.start()
        self.started_at = t
        if self._first.wait(1.0):
            self.started_at = self._first_time
        return True

    def _callback(self, indata, frames, time_info, status) -> None:
        now = time.monotonic()
        if status:
            if status.input_overflow:
                self.overflows += 1
            else:
                self.error = str(status)
        if not self._first.is_set():
            self._first_time = now - frames / self.samplerate
            self._first.set()
        self.level = peak_level(indata)
        self._q.put(indata.copy())

    def _write_loop(self) -> None:
        last = time.monotonic()
        while True:
            block = self._q.get()
            if block is None:
                break
            if self._writer is not None:
                self._writer.write(block)
                if time.monotonic() - last >= self.flush_interval:
                    self._writer.flush()
                    last = time.monotonic()
        if self._writer is not None:
            self._writer.close()

    @property
    def duration(self) -> float:
        return self._writer.duration if self._writer else 0.0

    def stop(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.stop()
            self._stream.close()
        except Exception as e:  # noqa: BLE001
            self.error = self.error or f"closing the input device failed: {e}"
        self._stream = None
        self._q.put(None)
        self._thread.join()
        self.level = 0.0
