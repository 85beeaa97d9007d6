"""The ``.genie`` project file: read, write, autosave and crash recovery (no Qt; see docs/project-format.md).

A project is a zip archive holding ``project.json`` (format name and version, model, action labels,
bindings, knobs, layer list) and one PNG per sketch layer. Saves are atomic (a reader sees the old
file or the new one); a file that cannot be read raises :class:`ProjectError` with a message that
says what is wrong, and reading never modifies the file. Reading is bounded: the file, each member's
declared and actual size and each layer's pixels have caps, checked before the work they would cost.

Autosave: each running editor writes ``autosave-<pid>.genie`` plus ``autosave-<pid>.json`` (where the
work came from, when) in ``<data dir>/autosave`` and holds the OS lock ``autosave-<pid>.lock``
(:mod:`genie_studio.oslock`) while it runs. A clean exit deletes them; files whose lock no live
process holds (the editor crashed or was killed) are offered for recovery on the next start.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from genie_studio import __version__
from genie_studio.config import paths
from genie_studio.fsutil import NotRegularFile, atomic_write_bytes, atomic_write_json, read_regular
from genie_studio.knobs import KnobError, Knobs
from genie_studio.oslock import HeldLock, is_held, try_lock

FORMAT = "genie-studio-project"
VERSION = 1
SUFFIX = ".genie"
MAX_SIDE = 8192  # a layer larger than this is refused (a corrupt or hostile file)
MAX_PIXELS = 4096 * 4096  # ... and so is one with more pixels than this
MAX_FILE = 256 * 1024 * 1024  # bytes of .genie file
MAX_JSON = 1024 * 1024  # bytes of project.json, uncompressed
MAX_LAYER = 64 * 1024 * 1024  # bytes of one layer PNG, uncompressed
# what damaged or hostile content raises inside zipfile, zlib, json and Pillow
_PARSE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, TypeError, OverflowError,
                 RuntimeError, NotImplementedError, KeyError, IndexError, AttributeError, RecursionError)
KNOBS = ("maskgit_steps", "temperature", "seed", "fps", "device")


class ProjectError(ValueError):
    """A project file that cannot be read or written; the message names the file and the problem."""


@dataclass
class Project:
    sketch: np.ndarray  # [H, W, 3] uint8, what the model is prompted with
    tracing: np.ndarray | None = None  # [H, W, 3] uint8 guide image shown faded, never sent to the model
    tracing_opacity: float = 0.35
    tracing_visible: bool = True
    model: str = ""  # model name or folder the project was made with ("" = the settings' model)
    action_labels: list[str] = field(default_factory=list)  # user labels, one per latent action
    bindings: dict = field(default_factory=dict)  # physical input -> action label, as used
    settings: dict = field(default_factory=dict)  # subset of KNOBS
    created_with: str = __version__


def _png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(a, dtype=np.uint8), "RGB").save(buf, "PNG", optimize=False)
    return buf.getvalue()


def project_bytes(p: Project) -> bytes:
    """Serialise ``p`` as the bytes of a ``.genie`` file."""
    if p.sketch.ndim != 3 or p.sketch.shape[2] != 3:
        raise ProjectError(f"sketch must be an HxWx3 image, got shape {p.sketch.shape}")
    layers = [{"name": "sketch", "file": "sketch.png"}]
    if p.tracing is not None:
        layers.append({"name": "tracing", "file": "tracing.png", "opacity": float(p.tracing_opacity),
                       "visible": bool(p.tracing_visible)})
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "created_with": f"genie-studio {__version__}",
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "canvas": {"width": int(p.sketch.shape[1]), "height": int(p.sketch.shape[0])},
        "layers": layers,
        "model": p.model,
        "action_labels": [str(x) for x in p.action_labels],
        "bindings": p.bindings,
        "settings": {k: v for k, v in p.settings.items() if k in KNOBS},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.json", json.dumps(doc, indent=2, sort_keys=True))
        z.writestr("sketch.png", _png(p.sketch))
        if p.tracing is not None:
            z.writestr("tracing.png", _png(p.tracing))
    return buf.getvalue()


def save_project(path: str | os.PathLike, p: Project) -> Path:
    """Write ``p`` to ``path`` atomically (a crash mid-save leaves the previous file intact)."""
    path = Path(path)
    data = project_bytes(p)
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise ProjectError(f"{path}: could not save ({e.strerror or e}); choose another folder") from None
    return path


def _member(z: zipfile.ZipFile, name: str, limit: int, where: str) -> bytes:
    """A member's bytes, refusing one that says (or turns out to be) larger than ``limit``."""
    try:
        info = z.getinfo(name)
    except KeyError:
        raise ProjectError(f"{where}: {name!r} is missing from the project") from None
    if info.file_size > limit:
        raise ProjectError(f"{where}: {name!r} unpacks to {info.file_size} bytes, over the {limit} byte limit")
    try:
        with z.open(info) as f:
            data = f.read(limit + 1)
    except _PARSE_ERRORS as e:
        raise ProjectError(f"{where}: {name!r} is damaged ({type(e).__name__}: {e})") from None
    if len(data) > limit:
        raise ProjectError(f"{where}: {name!r} unpacks to more than {limit} bytes")
    return data


def _read_png(z: zipfile.ZipFile, name: str, where: str) -> np.ndarray:
    data = _member(z, name, MAX_LAYER, where)
    try:
        img = Image.open(io.BytesIO(data))
        if not (1 <= img.width <= MAX_SIDE and 1 <= img.height <= MAX_SIDE and img.width * img.height <= MAX_PIXELS):
            raise ProjectError(f"{where}: layer {name!r} is {img.width}x{img.height}, outside 1..{MAX_SIDE} "
                               f"per side or over {MAX_PIXELS} pixels")
        img.load()
    except ProjectError:
        raise
    except Exception as e:  # Pillow raises many types for damaged data
        raise ProjectError(f"{where}: layer {name!r} is damaged ({e})") from None
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def _num(d: dict, k: str, typ, lo, hi):
    """``d[k]`` as ``typ`` when it is a finite number in lo..hi, else None (NaN, 1e400, "3" are None)."""
    v = d.get(k)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        return None
    return typ(v)


def _is_knob(name: str, value) -> bool:
    """A value the knob can take (knobs.Knobs); a project with others keeps the rest of its knobs."""
    try:
        Knobs.from_dict({name: value})
    except KnobError:
        return False
    return value is not None


def load_project_bytes(data: bytes, where: str = "project") -> Project:
    """Parse the bytes of a ``.genie`` file (``where`` names it in error messages). Anything that is
    not a readable project raises :class:`ProjectError`, whatever the damage."""
    if len(data) > MAX_FILE:
        raise ProjectError(f"{where}: {len(data)} bytes, over the {MAX_FILE} byte limit for a project")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except _PARSE_ERRORS:
        raise ProjectError(f"{where}: not a Genie Studio project (not a zip archive; damaged or another "
                           "kind of file)") from None
    try:
        with z:
            return _parse(z, where)
    except ProjectError:
        raise
    except _PARSE_ERRORS as e:
        raise ProjectError(f"{where}: damaged project ({type(e).__name__}: {str(e)[:200]})") from None


def _parse(z: zipfile.ZipFile, where: str) -> Project:
    if "project.json" not in z.namelist():
        raise ProjectError(f"{where}: not a Genie Studio project (project.json missing)")
    raw = _member(z, "project.json", MAX_JSON, where)
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ProjectError(f"{where}: project.json is damaged ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ProjectError(f"{where}: not a Genie Studio project (format is not {FORMAT!r})")
    v = doc.get("version")
    if not isinstance(v, int) or v < 1:
        raise ProjectError(f"{where}: project.json has no valid version")
    if v > VERSION:
        raise ProjectError(f"{where}: made by a newer Genie Studio (project format {v}, this app reads "
                           f"up to {VERSION}); update Genie Studio to open it")
    raw_layers = doc.get("layers", [])
    if not isinstance(raw_layers, list):
        raise ProjectError(f"{where}: project.json 'layers' must be a list")
    layers = {l.get("name"): l for l in raw_layers if isinstance(l, dict) and isinstance(l.get("name"), str)}
    if "sketch" not in layers:
        raise ProjectError(f"{where}: project.json lists no sketch layer")
    sketch = _read_png(z, str(layers["sketch"].get("file", "sketch.png")), where)
    p = Project(sketch=sketch)
    if "tracing" in layers:
        t = layers["tracing"]
        p.tracing = _read_png(z, str(t.get("file", "tracing.png")), where)
        p.tracing_opacity = _num(t, "opacity", float, 0.0, 1.0) or p.tracing_opacity
        p.tracing_visible = bool(t.get("visible", True))
    p.model = str(doc.get("model") or "")
    labels = doc.get("action_labels") or []
    p.action_labels = [str(x) for x in labels] if isinstance(labels, list) else []
    p.bindings = doc.get("bindings") if isinstance(doc.get("bindings"), dict) else {}
    s = doc.get("settings") if isinstance(doc.get("settings"), dict) else {}
    p.settings = {k: s[k] for k in KNOBS if k in s and _is_knob(k, s[k])}
    p.created_with = str(doc.get("created_with", ""))
    return p


def load_project(path: str | os.PathLike) -> Project:
    """Read a ``.genie`` file; :class:`ProjectError` for anything that is not a readable project."""
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE:
            raise ProjectError(f"{path}: {path.stat().st_size} bytes, over the {MAX_FILE} byte limit for a project")
        if path.is_dir():
            raise IsADirectoryError(path)
        data = read_regular(path, MAX_FILE)  # a pipe or a device (/dev/zero) is refused, never read
    except NotRegularFile:
        raise ProjectError(f"{path}: not a project file (a pipe, a device, or over {MAX_FILE} bytes); "
                           "choose a .genie file") from None
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProjectError(f"{path}: is a folder, not a .genie project file") from None
    except OSError as e:
        raise ProjectError(f"{path}: cannot be read ({e.strerror or e})") from None
    return load_project_bytes(data, str(path))


# ---- autosave and crash recovery --------------------------------------------------------------------
def autosave_dir() -> Path:
    return paths().data / "autosave"


@dataclass
class AutosaveEntry:
    project_file: Path  # the autosaved .genie
    origin: str  # the project file the work belongs to ("" = never saved)
    saved_at: float  # time.time()
    pid: int


_OWNED: dict[int, HeldLock] = {}  # pid -> the owner lock this process holds for its autosave


def _lock_file(pid: int) -> Path:
    return autosave_dir() / f"autosave-{pid}.lock"


def write_autosave(p: Project, origin: str | os.PathLike | None, pid: int | None = None) -> Path:
    pid = os.getpid() if pid is None else pid
    d = autosave_dir()
    if pid not in _OWNED or not _OWNED[pid].held:  # taken before the first write: a crash mid-write is ours
        lock = try_lock(_lock_file(pid))
        if lock is None:
            raise ProjectError(f"{_lock_file(pid)}: held by another running editor; not overwriting its autosave")
        _OWNED[pid] = lock
    target = d / f"autosave-{pid}{SUFFIX}"
    atomic_write_bytes(target, project_bytes(p))
    atomic_write_json(d / f"autosave-{pid}.json", {"origin": str(origin or ""), "saved_at": time.time(),
                                                   "pid": pid})
    return target


def clear_autosave(pid: int | None = None) -> None:
    pid = os.getpid() if pid is None else pid
    for suffix in (SUFFIX, ".json"):
        try:
            (autosave_dir() / f"autosave-{pid}{suffix}").unlink()
        except FileNotFoundError:
            pass
    own = _OWNED.pop(pid, None)
    if own is not None:
        own.release(remove=True)
    elif not is_held(_lock_file(pid)):  # a crashed editor's lock file
        try:
            _lock_file(pid).unlink()
        except OSError:
            pass


def owner_running(pid: int) -> bool:
    """Whether the editor that wrote ``autosave-<pid>`` still runs: this process, or a live holder of
    its lock file (an autosave without one comes from a process that is gone)."""
    own = _OWNED.get(pid)
    return (own is not None and own.held) or is_held(_lock_file(pid))


def find_recoverable() -> list[AutosaveEntry]:
    """Autosaves left behind by editors that are no longer running (newest first)."""
    d = autosave_dir()
    out = []
    if not d.is_dir():
        return out
    for f in d.glob(f"autosave-*{SUFFIX}"):
        try:
            pid = int(f.stem.split("-", 1)[1])
        except ValueError:
            continue
        if owner_running(pid):
            continue
        meta_file = f.with_suffix(".json")
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        origin = str(meta.get("origin", "")) if isinstance(meta, dict) else ""
        saved = meta.get("saved_at") if isinstance(meta, dict) else None
        saved = float(saved) if isinstance(saved, (int, float)) else f.stat().st_mtime
        out.append(AutosaveEntry(f, origin, saved, pid))
    return sorted(out, key=lambda e: -e.saved_at)


def discard_recoverable(entry: AutosaveEntry) -> None:
    clear_autosave(entry.pid)


def image_for_canvas(src, height: int = 256, max_width: int = 4096) -> np.ndarray:
    """Any picture (path or bytes; PNG, JPEG, WebP, BMP, GIF...) -> an RGB canvas ``height`` px tall.

    Decoding and colour conversion are the prompt's (``genie_studio.session.prompt``), so a picture
    that the session would refuse is refused here with the same clear ``PromptError``.
    """
    from genie_studio.session.prompt import open_image, to_rgb

    img = to_rgb(open_image(src))
    w = max(1, min(max_width, round(img.width * height / img.height)))
    resample = Image.Resampling.LANCZOS if img.height > height else Image.Resampling.NEAREST
    return np.asarray(img.resize((w, height), resample), dtype=np.uint8).copy()
