"""``Recording``: read a recording folder, including one left behind by a crash."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from genie_studio.recording import chunks, meta
from genie_studio.recording.chunks import RecordingError
from genie_studio.recording.wav import read_wav, repair_wav

log = logging.getLogger(__name__)


class Recording:
    """A recording on disk. Frames are read lazily; ``len(rec)``, ``rec.frame(i)``, ``rec.frames()``.

    A recording that was not closed (the app crashed or was killed) opens with ``recovered = True``
    and every frame that reached the disk; ``repair()`` rewrites its index and header so it is an
    ordinary closed recording again.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.header = meta.read_header(self.folder)
        self._entries, torn = chunks.load_entries(self.folder)
        self.recovered = torn or not self.header.get("closed", False)
        self._metas: list[dict] | None = None

    # ---- header fields ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.header.get("name") or self.folder.name

    @property
    def fps(self) -> float:
        return float(self.header.get("fps") or 15.0)

    @property
    def labels(self) -> list[str]:
        return list(self.header.get("labels", []))

    @property
    def resolution(self) -> tuple[int, int]:
        h, w = self.header["resolution"]
        return int(h), int(w)

    @property
    def prompt_path(self) -> Path:
        return self.folder / self.header.get("prompt", meta.PROMPT)

    @property
    def audio_path(self) -> Path | None:
        a = self.header.get("audio")
        if not a:
            return None
        p = self.folder / a["file"]
        return p if p.exists() and p.stat().st_size > 44 else None

    @property
    def audio_offset(self) -> float:
        """Seconds from the recording's clock zero to the first audio sample."""
        a = self.header.get("audio") or {}
        return float(a.get("offset", 0.0))

    def audio(self) -> tuple[np.ndarray, int] | None:
        p = self.audio_path
        if p is None:
            return None
        if self.recovered:
            repair_wav(p)
        return read_wav(p)

    # ---- frames ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    def _read(self, i: int) -> tuple[dict, np.ndarray]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"frame {i} out of range; the recording has {len(self)} frames")
        e = self._entries[i]
        return chunks.decode(chunks.read_entry(self.folder, e), f"{chunks.chunk_path(self.folder, e.chunk)}"
                                                             f" at byte {e.offset}")

    def frame(self, i: int) -> np.ndarray:
        return self._read(i)[1]

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
        for i in range(start, len(self) if stop is None else min(stop, len(self))):
            yield self.frame(i)

    def frame_meta(self, i: int) -> dict:
        return self.metas()[i]

    def metas(self) -> list[dict]:
        """Per-frame metadata: i, t, action, label, inputs, steps, temperature, shape."""
        if self._metas is None:
            out = []
            for e in self._entries:
                out.append(chunks.decode_meta(chunks.read_entry(self.folder, e)))
            self._metas = out
        return self._metas

    @property
    def actions(self) -> list[int | None]:
        return [m["action"] for m in self.metas()]

    @property
    def timestamps(self) -> list[float]:
        return [float(m["t"]) for m in self.metas()]

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the end of the last (the last one lasts 1/fps)."""
        ts = self.timestamps
        return (ts[-1] - ts[0] + 1.0 / self.fps) if ts else 0.0

    def durations_ms(self) -> list[int]:
        """How long each frame was on screen, in ms, from the timestamps (the last one: 1/fps)."""
        ts = self.timestamps
        out = [max(1, round((b - a) * 1000)) for a, b in zip(ts, ts[1:])]
        if ts:
            out.append(round(1000 / self.fps))
        return out

    def info(self) -> dict:
        h = self.header
        return {"path": str(self.folder), "name": self.name, "created": h.get("created"),
                "frames": len(self), "duration": round(self.duration, 3), "fps": self.fps,
                "model": h.get("model", {}).get("name"), "seed": h.get("seed"),
                "audio": self.audio_path is not None, "recovered": self.recovered,
                "replayable": h.get("replayable", True), "notes": list(h.get("notes", []))}

    def repair(self) -> None:
        """Make a recovered recording whole again: rewrite the index, fix the WAV, close the header."""
        last = self._entries[-1] if self._entries else chunks.Entry(0, 0, 0)
        n = last.chunk
        if chunks.chunk_path(self.folder, n).exists():
            os.truncate(chunks.chunk_path(self.folder, n), last.offset + last.size)  # drop a torn tail
        while chunks.chunk_path(self.folder, n + 1).exists():
            chunks.chunk_path(self.folder, n + 1).unlink()
            n += 1
        chunks.write_index(self.folder, self._entries)
        if self.audio_path is not None:
            repair_wav(self.audio_path)
        self.header.update(closed=True, frames=len(self), duration=round(self.duration, 3))
        if self.recovered and "recovered after a crash" not in self.header["notes"]:
            self.header["notes"].append("recovered after a crash")
        meta.write_header(self.folder, self.header)
        self.recovered = False

    def __repr__(self) -> str:
        return f"Recording({str(self.folder)!r}, frames={len(self)})"


def is_recording(folder: Path) -> bool:
    return (folder / meta.HEADER).is_file()


def list_recordings(root: str | os.PathLike | None = None) -> list[Recording]:
    """Recordings in ``root`` (default: the user's recordings folder), newest first. Unreadable
    ones are logged and skipped."""
    from genie_studio.config import paths

    root = Path(root) if root is not None else paths().recordings
    out = []
    if not root.is_dir():
        return out
    for d in root.iterdir():
        if d.is_dir() and is_recording(d):
            try:
                out.append(Recording(d))
            except RecordingError as e:
                log.warning("skipping %s: %s", d, e)
    out.sort(key=lambda r: (r.header.get("created") or "", r.folder.name), reverse=True)
    return out
