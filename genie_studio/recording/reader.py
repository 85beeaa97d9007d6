"""``Recording``: read a recording folder, including one left behind by a crash."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from genie_studio.fsutil import atomic_write_bytes
from genie_studio.knobs import Knobs
from genie_studio.recording import chunks, meta
from genie_studio.recording.chunks import RecordingError
from genie_studio.recording.wav import read_wav, repair_wav

log = logging.getLogger(__name__)


class Recording:
    """A recording on disk. Frames are read lazily; ``len(rec)``, ``rec.frame(i)``, ``rec.frames()``.

    A recording that was not closed (the app crashed or was killed) opens with ``recovered = True``
    and every frame that reached the disk. A damaged record costs only its own frame: the others
    before and after it open, play and export, and ``dropped`` says what was skipped.
    ``repair()`` rewrites the chunks, index and header so it is an ordinary closed recording again.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.header = meta.read_header(self.folder)
        chunks.check_chunks_dir(self.folder)
        scan = chunks.load_entries(self.folder)
        self._entries, self._metas = scan.entries, scan.metas
        self.dropped = scan.dropped
        self.recovered = scan.recovered or not self.header.get("closed", False)

    # ---- header fields ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.header.get("name") or self.folder.name

    @property
    def fps(self) -> float:
        return float(self.header.get("fps") or Knobs().fps)

    @property
    def labels(self) -> list[str]:
        return list(self.header.get("labels", []))

    @property
    def resolution(self) -> tuple[int, int]:
        h, w = self.header["resolution"]
        return int(h), int(w)

    @property
    def prompt_path(self) -> Path:
        return meta.inside(self.folder, self.header.get("prompt", meta.PROMPT))  # checked on open

    @property
    def audio_path(self) -> Path | None:
        a = self.header.get("audio")
        if not a:
            return None
        p = meta.inside(self.folder, a["file"])  # checked on open; None if it became a link out
        return p if p is not None and p.is_file() and p.stat().st_size > 44 else None

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
        return self._metas  # read and checked on open

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
                "replayable": h.get("replayable", True), "notes": list(h.get("notes", [])),
                "dropped": list(self.dropped)}

    def repair(self) -> list[str]:
        """Make a recovered recording whole again: keep only the intact records in each chunk file,
        rewrite the index, fix the WAV, close the header. Returns what was dropped (also noted in
        the header)."""
        dropped = list(self.dropped)
        kept: list[chunks.Entry] = []
        for n in chunks.chunk_numbers(self.folder):
            mine = [e for e in self._entries if e.chunk == n]
            path = chunks.chunk_path(self.folder, n)
            if mine and mine[0].offset == 0 and all(a.offset + a.size == b.offset for a, b in zip(mine, mine[1:])) \
                    and mine[-1].offset + mine[-1].size == path.stat().st_size:
                kept += mine
                continue
            data, pos = [], 0
            for e in mine:
                data.append(chunks.read_entry(self.folder, e))
                kept.append(chunks.Entry(n, pos, e.size))
                pos += e.size
            if data:
                atomic_write_bytes(path, b"".join(data))
            else:
                path.unlink()
        self._entries = kept
        chunks.write_index(self.folder, self._entries)
        if self.audio_path is not None:
            repair_wav(self.audio_path)
        self.header.update(closed=True, frames=len(self), duration=round(self.duration, 3))
        notes = self.header.setdefault("notes", [])
        if self.recovered and "recovered after a crash" not in notes:
            notes.append("recovered after a crash")
        if dropped:
            notes.append(f"repair dropped {len(dropped)} damaged part(s): {'; '.join(dropped)[:2000]}")
        meta.write_header(self.folder, self.header)
        self.recovered, self.dropped = False, []
        return dropped

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
