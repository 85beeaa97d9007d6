"""The header of a recording (``recording.json``) and the identity of the model that made it."""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from pathlib import Path

from genie_studio.fsutil import atomic_write_json, read_versioned_json
from genie_studio.knobs import DECODERS, PRECISIONS, Knobs
from genie_studio.recording.chunks import RecordingError

FORMAT = "genie-studio-recording"
VERSION = 1
HEADER = "recording.json"
PROMPT = "prompt.png"
VOICE = "voice.wav"
# what a header written before these fields existed was made with (facts about old files, not defaults)
LEGACY_DECODER, LEGACY_PRECISION = "free", "fp32"


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
               context: int | None, resolution, labels: list[str], fps: float, clock: str,
               decoder: str = LEGACY_DECODER, endless: bool = False) -> dict:
    return {
        "format": FORMAT, "version": VERSION, "name": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": model, "seed": int(seed), "steps": int(steps), "temperature": float(temperature),
        "precision": precision, "context": context, "resolution": [int(x) for x in resolution],
        "decoder": str(decoder), "endless": bool(endless),
        "labels": list(labels), "fps": float(fps), "clock": clock, "prompt": PROMPT,
        "prefix_actions": [], "replayable": True, "notes": [], "audio": None,
        "closed": False, "frames": None, "duration": None,
    }


def header_knobs(h: dict) -> Knobs:
    """The knobs a recording was made with (its model: the recorded folder where it still exists, else the
    name). The device is not recorded: the default's."""
    path = h["model"].get("path")
    return Knobs.from_dict({"model": path if path and Path(path).is_dir() else h["model"]["name"],
                            "seed": h["seed"], "maskgit_steps": h["steps"], "temperature": h["temperature"],
                            "precision": h.get("precision", LEGACY_PRECISION) if h.get("precision", LEGACY_PRECISION)
                            in PRECISIONS else None, "context": h.get("context"), "fps": h.get("fps"),
                            "decoder": h.get("decoder", LEGACY_DECODER), "endless": h.get("endless", False)})


def read_header(folder: Path) -> dict:
    f = folder / HEADER
    if not folder.is_dir():
        raise RecordingError(f"{folder}: no such recording folder")
    return check_header(read_versioned_json(f, FORMAT, VERSION, "Genie Studio recording", RecordingError), f)


def inside(folder: Path, name) -> Path | None:
    """``folder / name`` when ``name`` is a plain file name that stays in ``folder`` (no separators,
    no ``..``, not a link leading out), else None: a header never names a file outside its folder."""
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name \
            or "\0" in name or os.path.basename(name) != name:
        return None
    p = folder / name
    try:
        real = p.resolve(strict=False)
        if real.parent != folder.resolve(strict=False):
            return None
    except (OSError, RuntimeError):
        return None
    return p


def _num(v, lo=-math.inf) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= lo


def check_header(h: dict, where) -> dict:
    """The header fields readers rely on, checked; RecordingError names the first bad one."""
    def bad(what):
        raise RecordingError(f"{where}: {what} (damaged or hand-edited header)")

    res = h.get("resolution")
    if not (isinstance(res, list) and len(res) == 2 and all(isinstance(x, int) and not isinstance(x, bool)
                                                           and 1 <= x <= 4096 for x in res)):
        bad("resolution must be [height, width]")
    if h.get("fps") is not None and not (_num(h["fps"]) and 0 < h["fps"] <= 1000):
        bad("fps must be a number in (0, 1000]")
    if not isinstance(h.get("labels", []), list) or not all(isinstance(x, str) for x in h.get("labels", [])):
        bad("labels must be a list of strings")
    if not isinstance(h.get("notes", []), list):
        bad("notes must be a list")
    if h.get("name") is not None and not isinstance(h["name"], str):
        bad("name must be a string")
    if not isinstance(h.get("model"), dict) or not isinstance(h["model"].get("name"), str) \
            or not isinstance(h["model"].get("config_sha256"), str):
        bad("model must name a model and its config hash")
    for k in ("seed", "steps"):
        if not isinstance(h.get(k), int) or isinstance(h.get(k), bool) or h[k] < 0:
            bad(f"{k} must be a non-negative integer")
    if not _num(h.get("temperature"), 0.0):
        bad("temperature must be a finite number")
    if h.get("decoder", LEGACY_DECODER) not in DECODERS or not isinstance(h.get("endless", False), bool):
        bad("decoder must be copy or free, and endless true or false")
    pre = h.get("prefix_actions", [])
    if not isinstance(pre, list) or not all(isinstance(p, dict) and isinstance(p.get("action"), int)
                                            and isinstance(p.get("steps"), int) and _num(p.get("temperature"), 0.0)
                                            for p in pre):
        bad("prefix_actions must be a list of {action, steps, temperature}")
    if inside(Path(where).parent, h.get("prompt", PROMPT)) is None:
        bad(f"prompt {str(h.get('prompt'))[:80]!r} is not a file name inside the recording folder")
    a = h.get("audio")
    if a is not None and not (isinstance(a, dict) and inside(Path(where).parent, a.get("file")) is not None
                              and _num(a.get("offset", 0.0))):
        bad("audio must name a file inside the recording folder, with a finite offset")
    return h


def write_header(folder: Path, header: dict) -> None:
    atomic_write_json(folder / HEADER, header)
