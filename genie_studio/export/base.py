"""The exporter interface (docs/export.md), export options and the clip that exporters read.

An exporter is any object with ``name``, ``extensions``, ``description``, ``options`` and
``export(source, out, options, progress=None, cancel=None) -> list[Path]``. Most subclass
:class:`BaseExporter` and implement only ``write(clip, out, ctx)``: the base class turns the source
(a ``Recording``, a recording folder, or a list of frames) into a :class:`Clip`, writes into a
staging path and moves the result into place only when it is complete, so a failed or cancelled
export leaves nothing behind.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from genie_studio.knobs import Knobs


class ExportError(Exception):
    """An export that cannot be done; the message says why and what to do."""


class ExportCancelled(ExportError):
    def __init__(self):
        super().__init__("export cancelled; nothing was written")


AUTO_LONG_SIDE = 512  # the default export is upscaled (whole steps, nearest-neighbour) to at least this


def auto_scale(width: int, height: int, long_side: int = AUTO_LONG_SIDE) -> int:
    """The default upscale: 1 for a frame whose long side is already ``long_side`` px or more, else the
    smallest whole factor that reaches it (a 64x64 world -> 8 -> 512x512), so pixels stay crisp squares."""
    return max(1, math.ceil(long_side / max(1, width, height)))


def parse_scale(text) -> int | None:
    """``--scale`` / the dialog's value: a whole factor 1-64, or ``auto`` (None: see ``auto_scale``)."""
    if text is None or str(text).strip().lower() in ("auto", "0", ""):
        return None
    try:
        value = float(text)
    except ValueError:
        raise ExportError(f"scale must be auto or a whole number from 1 to 64, not {text!r}") from None
    if value != int(value):
        raise ExportError(f"scale must be auto or a whole number from 1 to 64, not {text!r}")
    return int(value)


def parse_option_value(text: str):
    """An exporter-specific option typed as text (``-o columns=8``, the dialog's fields): true/false, a
    number, else the text."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


@dataclass
class ExportOptions:
    frames: tuple[int | None, int | None] | None = None  # [A, B) like a Python slice
    fps: float | None = None  # None: the recording's own timing
    scale: int | None = None  # integer nearest-neighbour upscale; None: auto_scale (>= 512 px on the long side)
    loop: bool = True
    name: str = "default"  # animation name (Godot, Aseprite frameTags); also part of file names: sanitised
    audio: bool = True  # mux the voice-over into video formats when there is one
    overwrite: bool = False  # replace files in an existing non-empty output folder
    extra: dict = field(default_factory=dict)  # exporter-specific options

    def __post_init__(self):
        if isinstance(self.scale, str):
            self.scale = parse_scale(self.scale)
        if self.scale is not None:
            if int(self.scale) != self.scale or self.scale < 1 or self.scale > 64:
                raise ExportError(f"scale must be a whole number from 1 to 64, not {self.scale}")
            self.scale = int(self.scale)
        if self.fps is not None and not 0 < float(self.fps) <= 240:
            raise ExportError(f"fps must be between 0 and 240, not {self.fps}")
        self.name = clip_name(self.name)


def clip_name(name) -> str:
    """An animation name that is safe as (part of) a file name, as a recording's name is: anything but
    letters, digits, ``.``, ``-``, ``_`` and spaces becomes ``_`` (so no folder separators), runs of dots
    become one, none leads or ends it, at most 120 characters. ``--name '../../..'`` gives ``_._``."""
    s = re.sub(r"\.{2,}", ".", re.sub(r"[^\w.\- ]+", "_", str(name).strip())).strip(". ")[:120]
    if not s:
        raise ExportError(f"{str(name)[:40]!r} is not a usable animation name (letters, digits, . - _ and spaces)")
    return s


def parse_range(spec: str | None) -> tuple[int | None, int | None] | None:
    """``"A:B"`` (either side may be empty) -> (A, B); frames A..B-1 like a Python slice."""
    if spec is None or spec == "":
        return None
    a, colon, b = spec.partition(":")
    try:
        if not colon:
            raise ValueError
        return (int(a) if a.strip() else None, int(b) if b.strip() else None)
    except ValueError:
        raise ExportError(f"bad frame range {spec!r}: use A:B, e.g. 0:60 (A: or :B work too)") from None


class Clip:
    """The frames an exporter writes, already cut to the range and scaled, with their timing.

    ``durations[i]``: how long frame i shows (s; ``durations_ms`` rounds to whole ms for formats that
    store ms, keeping the running total exact; ``durations_exact`` as fractions of a second, 1/30 for a
    frame at 30 frames/s); ``timestamps[i]``: when it starts (s);
    ``fps``: the nominal rate; ``audio``: (int16 samples [N, ch], rate) aligned so that sample 0
    plays at ``audio_offset`` seconds into the clip (may be negative: starts before the clip), or None.
    """

    def __init__(self, frames, durations: list[float], fps: float, name: str, loop: bool, scale: int,
                 audio=None, audio_offset: float = 0.0):
        self._frames, self.scale = frames, scale
        self.durations, self.fps, self.name, self.loop = [float(d) for d in durations], fps, name, loop
        self.timestamps = [float(t) for t in np.concatenate([[0.0], np.cumsum(self.durations)[:-1]])]
        self.audio, self.audio_offset = audio, audio_offset

    @property
    def durations_exact(self) -> list[Fraction]:
        """Each duration as a fraction of a second with a small denominator (1/30, not 0.0333...)."""
        return [Fraction(d).limit_denominator(1000) or Fraction(1, 1000) for d in self.durations]

    @property
    def durations_ms(self) -> list[int]:
        """Whole milliseconds whose running total stays within half a millisecond of the true time: at
        30 frames/s they go 33, 34, 33, 33, 34, 33... and 30 frames last exactly 1000 ms (not 990)."""
        out, done, total = [], 0, Fraction(0)
        for d in self.durations_exact:
            total += d * 1000
            ms = max(1, round(total) - done)
            out.append(ms)
            done += ms
        return out

    def __len__(self) -> int:
        return len(self.durations)

    def frame(self, i: int) -> np.ndarray:
        f = self._frames(i)
        if self.scale > 1:
            f = np.repeat(np.repeat(f, self.scale, 0), self.scale, 1)
        return np.ascontiguousarray(f, dtype=np.uint8)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) after scaling."""
        h, w = self._frames(0).shape[:2]
        return w * self.scale, h * self.scale

    @property
    def duration(self) -> float:
        return float(sum(self.durations))


def make_clip(source, options: ExportOptions) -> Clip:
    from genie_studio.recording import Recording

    if isinstance(source, (str, os.PathLike)):
        source = Recording(source)
    if isinstance(source, Recording):
        n, get = len(source), source.frame
        fps = source.fps
        ts = source.timestamps
        base = [max(b - a, 1e-3) for a, b in zip(ts, ts[1:])] + [1.0 / fps]
        audio = source.audio() if options.audio else None
        t = source.timestamps
        audio_zero = source.audio_offset
    else:
        frames = list(source)
        for f in frames:
            if not (isinstance(f, np.ndarray) and f.ndim == 3 and f.shape[2] == 3):
                raise ExportError("frames must be [H, W, 3] uint8 arrays")
        n, get, fps, audio, t, audio_zero = len(frames), frames.__getitem__, float(Knobs().fps), None, None, 0.0
        base = [1.0 / fps] * n
    if n == 0:
        raise ExportError("nothing to export: the recording has no frames")
    a, b = options.frames or (None, None)
    a, b, _ = slice(a, b).indices(n)
    scale = options.scale
    if scale is None:
        h, w = np.asarray(get(0)).shape[:2]
        scale = auto_scale(w, h)
    if a >= b:
        fa, fb = options.frames
        raise ExportError(f"frame range {'' if fa is None else fa}:{'' if fb is None else fb} selects no frames; "
                          f"the recording has frames 0:{n}")
    if options.fps is not None:
        fps = float(options.fps)
        durations = [1.0 / fps] * (b - a)
    else:
        durations = base[a:b]
        if t is not None and b - a > 1:
            fps = round((b - a - 1) / max(t[b - 1] - t[a], 1e-6), 3)
    offset = (audio_zero - t[a]) if (audio is not None and t is not None) else 0.0
    return Clip(lambda i: get(a + i), durations, fps, str(options.name), bool(options.loop), scale,
                audio, offset)


def _check_cancel(cancel) -> None:
    if cancel is not None and (cancel.is_set() if hasattr(cancel, "is_set") else cancel()):
        raise ExportCancelled()


class Context:
    """Passed to ``write``: report progress, honour cancel."""

    def __init__(self, total: int, progress=None, cancel=None, options: ExportOptions | None = None):
        self.total, self._progress, self._cancel, self.done = total, progress, cancel, 0
        self.options = options or ExportOptions()

    def step(self, n: int = 1) -> None:
        _check_cancel(self._cancel)
        self.done += n
        if self._progress is not None:
            self._progress(self.done, self.total)


def _writable_dir(d: Path) -> None:
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"cannot create the output folder {d} ({e.strerror or e}); "
                          "choose a writable folder") from None
    if not d.is_dir() or not os.access(d, os.W_OK):
        raise ExportError(f"cannot write to {d}: not a writable folder")


class BaseExporter:
    name = ""
    extensions: tuple[str, ...] = ()
    description = ""
    options: dict[str, str] = {}  # extra option -> help text
    writes_folder = False  # the output is a folder (PNG sequence) rather than a file plus siblings

    def write(self, clip: Clip, out: Path, ctx: Context) -> None:
        raise NotImplementedError

    def export(self, source, out, options: ExportOptions | None = None, progress=None, cancel=None) -> list[Path]:
        options = options or ExportOptions()
        out = Path(out)
        if self.extensions and not self.writes_folder and out.suffix.lower() not in self.extensions:
            out = out.with_name(out.name + self.extensions[0])
        clip = make_clip(source, options)
        _check_cancel(cancel)
        parent = out.parent
        _writable_dir(parent)
        if self.writes_folder and out.exists() and (not out.is_dir() or (any(out.iterdir()) and not options.overwrite)):
            raise ExportError(f"{out}: already exists and is not an empty folder; choose another or allow overwrite")
        try:
            stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
        except OSError as e:
            raise ExportError(f"cannot write into {parent} ({e.strerror or e}); choose a writable folder") from None
        try:
            target = stage / out.name
            if self.writes_folder:
                target.mkdir()
            self.write(clip, target, Context(len(clip), progress, cancel, options))
            _check_cancel(cancel)
            return _commit(stage, out, self.writes_folder)
        except ExportError:
            raise
        except OSError as e:
            raise ExportError(f"writing {out} failed: {e.strerror or e}; nothing was written") from None
        except Exception as e:  # a bug in an exporter (perhaps a plugin's): report it, leave nothing
            raise ExportError(f"the {self.name} exporter failed: {type(e).__name__}: {e}; nothing was written") from e
        finally:
            shutil.rmtree(stage, ignore_errors=True)


def _commit(stage: Path, out: Path, folder: bool) -> list[Path]:
    """Move finished files from the staging folder into place (each one with an atomic rename)."""
    if folder:
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        if not out.exists():
            os.replace(stage / out.name, out)
            return sorted(out.iterdir())
        moved = []
        for f in sorted((stage / out.name).iterdir()):
            os.replace(f, out / f.name)
            moved.append(out / f.name)
        return moved
    produced = sorted(stage.iterdir(), key=lambda p: p.name != out.name)  # siblings first, main file last
    produced = produced[1:] + produced[:1]
    moved = []
    for f in produced:
        os.replace(f, out.parent / f.name)
        moved.append(out.parent / f.name)
    return moved[-1:] + moved[:-1]
