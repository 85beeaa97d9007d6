"""Replay, trim, rename and delete recordings."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from genie_studio.knobs import KnobError, Knobs
from genie_studio.recording import chunks, meta
from genie_studio.recording.chunks import RecordingError
from genie_studio.recording.reader import Recording, is_recording
from genie_studio.recording.wav import write_wav


class ReplayError(RecordingError):
    pass


def _as_recording(rec) -> Recording:
    return rec if isinstance(rec, Recording) else Recording(rec)


def replay_session(rec, model=None, device: str = "cpu", strict: bool = True):
    """A WorldSession set up exactly as the recording's was (model, seed, knobs), reset to its prompt.

    ``model``: a WorldModel, a model folder or name, or None for the recorded model folder. With
    ``strict``, a model whose config hash differs from the recorded one is refused."""
    from genie_studio.session.open import SessionError, SessionSettings, open_local
    from genie_studio.world.bundle import WorldModel

    rec = _as_recording(rec)
    h = rec.header
    try:
        knobs = meta.header_knobs(h).replace(device=device)
        if model is not None and not isinstance(model, WorldModel):
            knobs = knobs.replace(model=str(model))
        s = open_local(SessionSettings(knobs=knobs, loaded=model if isinstance(model, WorldModel) else None))
    except (SessionError, KnobError) as e:
        raise ReplayError(f"{rec.folder}: {e}") from None
    got = meta.model_identity(s.model)
    if strict and got["config_sha256"] != h["model"]["config_sha256"]:
        raise ReplayError(f"{rec.folder}: recorded with model {h['model']['name']!r} "
                          f"(config sha256 {h['model']['config_sha256'][:12]}), but {got['name']!r} has "
                          f"{got['config_sha256'][:12]}; pass the recorded model, or strict=False to replay anyway")
    s.reset(rec.prompt_path)
    for p in h.get("prefix_actions", []):
        _configure(s, knobs, p, rec)
        s.step(p["action"])
    return s


def _configure(s, knobs: Knobs, m: dict, rec) -> None:
    """The recording's knobs with the steps and temperature in force for frame meta ``m``, given to ``s``."""
    try:
        s.configure(knobs.replace(maskgit_steps=m["steps"], temperature=m["temperature"]))
    except KnobError as e:
        raise ReplayError(f"{rec.folder}: frame {m.get('i', '?')}: {e}") from None


def replay(rec, model=None, device: str = "cpu", strict: bool = True) -> Iterator[np.ndarray]:
    """Regenerate the recording's frames from its model, seed, prompt and actions (frame 0 first)."""
    rec = _as_recording(rec)
    if not rec.header.get("replayable", True):
        raise ReplayError(f"{rec.folder}: cannot be replayed ({'; '.join(rec.header.get('notes', []))})")
    s = replay_session(rec, model, device, strict)
    knobs = meta.header_knobs(rec.header)
    yield s.frame
    for m in rec.metas()[1:]:
        _configure(s, knobs, m, rec)
        yield s.step(m["action"])


def _safe_name(name: str) -> str:
    s = re.sub(r"[^\w.\- ]+", "_", name.strip()).strip(". ")
    if not s:
        raise RecordingError(f"{name!r} is not a usable recording name")
    return s[:120]


def rename(rec, new_name: str) -> Recording:
    """Rename a recording: its title and its folder (in the same parent folder)."""
    rec = _as_recording(rec)
    target = rec.folder.parent / _safe_name(new_name)
    if target != rec.folder and target.exists():
        raise RecordingError(f"{target}: already exists; choose another name")
    rec.header["name"] = new_name.strip()
    meta.write_header(rec.folder, rec.header)
    if target != rec.folder:
        os.rename(rec.folder, target)
    return Recording(target)


def delete(rec) -> None:
    """Delete a recording folder (only folders that are recordings)."""
    folder = rec.folder if isinstance(rec, Recording) else Path(rec)
    if not is_recording(folder):
        raise RecordingError(f"{folder}: not a recording folder; refusing to delete it")
    shutil.rmtree(folder)


def trim(rec, start: int = 0, stop: int | None = None, out: str | os.PathLike | None = None) -> Recording:
    """Keep frames ``start:stop``. Writes ``out`` (default: replaces the recording, atomically: the
    new copy is complete on disk before the old one goes). Replay still works: the dropped actions
    before ``start`` are kept in the header as ``prefix_actions``; the voice-over is cut to match."""
    rec = _as_recording(rec)
    n = len(rec)
    stop = n if stop is None else stop
    if not 0 <= start < stop <= n:
        raise RecordingError(f"bad trim range {start}:{stop}; the recording has frames 0:{n}")
    in_place = out is None
    dest = rec.folder.with_name(f".{rec.folder.name}.trim-tmp") if in_place else Path(out)
    if dest.exists():
        if not in_place:
            raise RecordingError(f"{dest}: already exists; choose a new folder")
        shutil.rmtree(dest)
    (dest / "chunks").mkdir(parents=True)
    try:
        metas = rec.metas()
        h = dict(rec.header)
        h["prefix_actions"] = list(h.get("prefix_actions", [])) + [
            {"action": m["action"], "steps": m["steps"], "temperature": m["temperature"]} for m in metas[1:start + 1]]
        t0 = metas[start]["t"]
        entries = []
        f = None
        for k, i in enumerate(range(start, stop)):
            if k % chunks.CHUNK_FRAMES == 0:
                if f:
                    f.close()
                f = open(chunks.chunk_path(dest, k // chunks.CHUNK_FRAMES), "wb")  # noqa: SIM115
            m, frame = rec._read(i)
            m = dict(m, i=k, t=round(m["t"] - t0, 6))
            data = chunks.encode(m, frame)
            entries.append(chunks.Entry(k // chunks.CHUNK_FRAMES, f.tell(), len(data)))
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
        f.close()
        chunks.write_index(dest, entries)
        shutil.copy2(rec.prompt_path, dest / meta.PROMPT)
        audio = rec.audio()
        if audio is not None:
            samples, rate = audio
            a0 = max(0, round((t0 - rec.audio_offset) * rate))
            a1 = max(0, round((metas[stop - 1]["t"] + 1.0 / rec.fps - rec.audio_offset) * rate))
            write_wav(dest / meta.VOICE, samples[a0:a1], rate)
            h["audio"] = dict(h["audio"], offset=round(max(0.0, rec.audio_offset - t0), 6))
        h.update(closed=True, frames=stop - start, prompt=meta.PROMPT)
        h["notes"] = list(h.get("notes", [])) + [f"trimmed to frames {start}:{stop}"]
        meta.write_header(dest, h)
        new = Recording(dest)
        new.header["duration"] = round(new.duration, 3)
        meta.write_header(dest, new.header)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    if not in_place:
        return Recording(dest)
    old = rec.folder.with_name(f".{rec.folder.name}.trim-old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(rec.folder, old)
    os.rename(dest, rec.folder)
    shutil.rmtree(old, ignore_errors=True)
    return Recording(rec.folder)


def frames_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b))
