"""16-bit PCM WAV files that survive a crash.

``WavWriter`` writes the 44-byte RIFF header with placeholder sizes, appends samples as they come and
patches the sizes on ``close``. A process killed mid-recording leaves a file whose sizes are stale;
``repair_wav`` rewrites them from the file's real length (dropping a torn half-sample), so the audio
up to the last flush is kept. No audio device code here: ``genie_studio.audio`` feeds the writer.
"""

from __future__ import annotations

import os
import struct
import wave
from pathlib import Path

import numpy as np

HEADER = 44


def _header(samplerate: int, channels: int, data_bytes: int) -> bytes:
    block = channels * 2
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, samplerate, samplerate * block, block, 16)
            + b"data" + struct.pack("<I", data_bytes))


def to_pcm16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] (or int16) -> int16, clipped."""
    a = np.asarray(samples)
    if a.dtype == np.int16:
        return a
    return (np.clip(a.astype(np.float32), -1.0, 1.0) * 32767.0).round().astype(np.int16)


class WavWriter:
    def __init__(self, path: str | os.PathLike, samplerate: int, channels: int = 1):
        self.path = Path(path)
        self.samplerate, self.channels = int(samplerate), int(channels)
        self._f = open(self.path, "wb")  # noqa: SIM115 (kept open while recording)
        self._f.write(_header(self.samplerate, self.channels, 0))
        self.frames = 0

    def write(self, samples: np.ndarray) -> None:
        pcm = to_pcm16(samples).reshape(-1, self.channels)
        self._f.write(pcm.tobytes())
        self.frames += len(pcm)

    def flush(self, sync: bool = True) -> None:
        self._f.flush()
        if sync:
            os.fsync(self._f.fileno())

    @property
    def duration(self) -> float:
        return self.frames / self.samplerate

    def close(self) -> None:
        if self._f.closed:
            return
        self._f.flush()
        self._f.seek(0)
        self._f.write(_header(self.samplerate, self.channels, self.frames * self.channels * 2))
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()


def repair_wav(path: str | os.PathLike) -> bool:
    """Fix the sizes of a WAV left by a crash. Returns True if the file was changed."""
    path = Path(path)
    size = path.stat().st_size
    if size < HEADER:
        raise ValueError(f"{path}: too short to be a WAV file ({size} bytes)")
    with open(path, "r+b") as f:
        head = f.read(HEADER)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE" or head[36:40] != b"data":
            raise ValueError(f"{path}: not a WAV file written by Genie Studio")
        channels, rate = struct.unpack("<HI", head[22:28])
        block = channels * 2
        data = (size - HEADER) // block * block
        if struct.unpack("<I", head[40:44])[0] == data and size == HEADER + data:
            return False
        f.truncate(HEADER + data)
        f.seek(0)
        f.write(_header(rate, channels, data))
        f.flush()
        os.fsync(f.fileno())
    return True


def read_wav(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """-> (int16 samples [N, channels], samplerate)."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        ch, rate = w.getnchannels(), w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, ch)
    return data, rate


def write_wav(path: str | os.PathLike, samples: np.ndarray, samplerate: int) -> None:
    samples = to_pcm16(samples)
    if samples.ndim == 1:
        samples = samples[:, None]
    w = WavWriter(path, samplerate, samples.shape[1])
    w.write(samples)
    w.close()
