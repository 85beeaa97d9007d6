"""The ``.genie`` project file: read, write, autosave and crash recovery (no Qt; see docs/project-format.md).

A project is a zip archive holding ``project.json`` (format name and version, model, action labels,
bindings, knobs, layer list) and one PNG per sketch layer. Saves are atomic (a reader sees the old
file or the new one); a file that cannot be read raises :class:`ProjectError` with a message that
says what is wrong, and reading never modifies the file.

Autosave: each running editor writes ``autosave-<pid>.genie`` plus ``autosave-<pid>.json`` (where the
work came from, when) in ``<data dir>/autosave``. A clean exit deletes them; files left by a process
that is no longer running are offered for recovery on the next start.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from genie_studio import __version__
from genie_studio.config import paths
from genie_studio.fsutil import atomic_write_bytes, atomic_write_json

FORMAT = "genie-studio-project"
VERSION = 1
SUFFIX = ".genie"
MAX_SIDE = 8192  # a layer larger than this is refused (a corrupt or hostile file)
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


def _read_png(z: zipfile.ZipFile, name: str, where: str) -> np.ndarray:
    try:
        data = z.read(name)
    except KeyError:
        raise ProjectError(f"{where}: the layer file {name!r} is missing from the project") from None
    try:
        img = Image.open(io.BytesIO(data))
        if img.width > MAX_SIDE or img.height > MAX_SIDE or img.width < 1 or img.height < 1:
            raise ProjectError(f"{where}: layer {name!r} is {img.width}x{img.height}, outside 1..{MAX_SIDE}")
        img.load()
    except ProjectError:
        raise
    except Exception as e:  # Pillow raises many types for damaged data
        raise ProjectError(f"{where}: layer {name!r} is damaged ({e})") from None
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def _num(d: dict, k: str, typ, lo, hi):
    v = d.get(k)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    v = typ(v)
    return v if lo <= v <= hi else None


def load_project_bytes(data: bytes, where: str = "project") -> Project:
    """Parse the bytes of a ``.genie`` file (``where`` names it in error messages)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ProjectError(f"{where}: not a Genie Studio project (not a zip archive; damaged or another "
                           "kind of file)") from None
    with z:
        try:
            doc = json.loads(z.read("project.json").decode("utf-8"))
        except KeyError:
            raise ProjectError(f"{where}: not a Genie Studio project (project.json missing)") from None
        except (zipfile.BadZipFile, UnicodeDecodeError, ValueError, OSError) as e:
            raise ProjectError(f"{where}: project.json is damaged ({e})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ProjectError(f"{where}: not a Genie Studio project (format is not {FORMAT!r})")
        v = doc.get("version")
        if not isinstance(v, int) or v < 1:
            raise ProjectError(f"{where}: project.json has no valid version")
        if v > VERSION:
            raise ProjectError(f"{where}: made by a newer Genie Studio (project format {v}, this app reads "
                               f"up to {VERSION}); update Genie Studio to open it")
        layers = {l.get("name"): l for l in doc.get("layers", []) if isinstance(l, dict)}
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
    knobs = {"maskgit_steps": _num(s, "maskgit_steps", int, 1, 64), "temperature": _num(s, "temperature", float, 0, 10),
             "seed": _num(s, "seed", int, 0, 2**31 - 1), "fps": _num(s, "fps", int, 1, 120)}
    p.settings = {k: v for k, v in knobs.items() if v is not None}
    if s.get("device") in ("auto", "cpu", "cuda"):
        p.settings["device"] = s["device"]
    p.created_with = str(doc.get("created_with", ""))
    return p


def load_project(path: str | os.PathLike) -> Project:
    """Read a ``.genie`` file; :class:`ProjectError` for anything that is not a readable project."""
    path = Path(path)
    try:
        data = path.read_bytes()
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


def write_autosave(p: Project, origin: str | os.PathLike | None, pid: int | None = None) -> Path:
    pid = os.getpid() if pid is None else pid
    d = autosave_dir()
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


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


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
        if _alive(pid):
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
