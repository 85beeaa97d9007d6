"""The header of a recording (``recording.json``) and the identity of the model that made it."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from genie_studio.fsutil import atomic_write_json, read_versioned_json
from genie_studio.recording.chunks import RecordingError

FORMAT = "genie-studio-recording"
VERSION = 1
HEADER = "recording.json"
PROMPT = "prompt.png"
VOICE = "voice.wav"


def model_identity(model) -> dict:
    """``{"name", "config_sha256", "path"}`` for a WorldModel: the hash of its ``config.json`` file
    when it was loaded from a folder, else of its metadata as canonical JSON."""
    path = getattr(model, "path", None)
    cfg = Path(path) / "config.json" if path else None
    if cfg is not None and cfg.is_file():
        digest = hashlib.sha256(cfg.read_bytes()).hexdigest()
    else:
        digest = hashlib.sha256(json.dumps(model.meta, sort_keys=True, default=str).encode()).hexdigest()
    return {"name": model.name, "config_sha256": digest, "path": str(Path(path).resolve()) if path else None}


def new_header(*, name: str, model: dict, seed: int, steps: int, temperature: float, precision: str,
               context: int | None, resolution, labels: list[str], fps: float, clock: str) -> dict:
    return {
        "format": FORMAT, "version": VERSION, "name": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": model, "seed": int(seed), "steps": int(steps), "temperature": float(temperature),
        "precision": precision, "context": context, "resolution": [int(x) for x in resolution],
        "labels": list(labels), "fps": float(fps), "clock": clock, "prompt": PROMPT,
        "prefix_actions": [], "replayable": True, "notes": [], "audio": None,
        "closed": False, "frames": None, "duration": None,
    }


def read_header(folder: Path) -> dict:
    f = folder / HEADER
    if not folder.is_dir():
        raise RecordingError(f"{folder}: no such recording folder")
    return read_versioned_json(f, FORMAT, VERSION, "Genie Studio recording", RecordingError)


def write_header(folder: Path, header: dict) -> None:
    atomic_write_json(folder / HEADER, header)
