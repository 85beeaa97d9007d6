"""Import footage (MP4/WebM/GIF/... via PyAV, folders of PNGs via Pillow) into the clip format.

Inputs are files or folders. A folder is walked, as people keep footage: every video inside it
(``VIDEO_EXTS``: mp4, webm, mkv, mov, gif, ...) and every folder that holds images (an image
sequence, in file-name order) is one source; other files are reported as skipped, with the reason.
Each source becomes one unlabelled episode: centre-cropped to the target aspect, box-filtered to the
target size, subsampled to the target fps (image sequences are taken as already at that fps).
Unreadable sources are reported and skipped; the rest are imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from genie_studio.data.dataset import FPS, DatasetWriter
from genie_studio.data.render import resolve_resolution

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
VIDEO_EXTS = {".mp4", ".webm", ".mkv", ".mov", ".gif", ".avi", ".m4v"}


@dataclass
class ImportReport:
    imported: list = field(default_factory=list)  # input paths (str)
    skipped: list = field(default_factory=list)  # (path, reason)
    path: Path | None = None
    frames: int = 0


def _fit(img: Image.Image, h: int, w: int) -> np.ndarray:
    img = img.convert("RGB")
    iw, ih = img.size
    target = w / h
    if iw / ih > target:  # too wide: crop the sides
        cw = max(1, int(round(ih * target)))
        box = ((iw - cw) // 2, 0, (iw - cw) // 2 + cw, ih)
    else:
        ch = max(1, int(round(iw / target)))
        box = (0, (ih - ch) // 2, iw, (ih - ch) // 2 + ch)
    return np.asarray(img.resize((w, h), Image.BOX, box=box), dtype=np.uint8)


def _read_video(path: Path, h: int, w: int, fps: float) -> list[np.ndarray]:
    import av

    out = []
    next_t = None
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError("no video stream")
        stream = container.streams.video[0]
        for i, frame in enumerate(container.decode(stream)):
            t = float(frame.time) if frame.time is not None else i / float(stream.average_rate or fps)
            if next_t is None:
                next_t = t
            if t + 1e-6 < next_t:
                continue
            while next_t <= t + 1e-6:
                next_t += 1.0 / fps
            out.append(_fit(frame.to_image(), h, w))
    return out


def _read_folder(path: Path, h: int, w: int) -> list[np.ndarray]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTS)
    if not files:
        raise ValueError("folder holds no PNG/JPEG images")
    out = []
    for p in files:
        with Image.open(p) as im:
            out.append(_fit(im, h, w))
    return out


def _hidden(p: Path) -> bool:
    return p.name.startswith(".")


def find_footage(inputs) -> tuple[list[Path], list[tuple[str, str]]]:
    """The sources the inputs name (videos and image-sequence folders, in order) and the skipped
    files with their reasons. A file given by name is always a source (its decoder decides)."""
    sources: list[Path] = []
    skipped: list[tuple[str, str]] = []

    def walk(folder: Path) -> None:
        entries = sorted(e for e in folder.iterdir() if not _hidden(e))
        if any(e.is_file() and e.suffix.lower() in IMAGE_EXTS for e in entries):
            sources.append(folder)  # an image sequence: its images are its frames
        for e in entries:
            if e.is_dir():
                walk(e)
            elif e.suffix.lower() in VIDEO_EXTS:
                sources.append(e)
            elif e.suffix.lower() not in IMAGE_EXTS:
                skipped.append((str(e), f"not a video or an image ({e.suffix or 'no extension'})"))

    for src in inputs:
        p = Path(src)
        if p.is_dir():
            before = len(sources)
            walk(p)
            if len(sources) == before:
                skipped.append((str(p), "no videos or images in this folder"))
        else:
            sources.append(p)
    return sources, skipped


def import_videos(inputs, out, resolution=(64, 64), fps: float = FPS, progress: bool = True,
                  overwrite: bool = False) -> ImportReport:
    """Import every source the inputs name into a dataset at ``out``. The dataset folder is made only
    once a source has decoded: when none does, nothing is written (``report.path`` is None) and an
    existing dataset there is left as it was."""
    from genie_studio.fsutil import os_error_text

    h, w = resolve_resolution(resolution)
    if not fps > 0:
        raise ValueError(f"the frame rate must be above 0, not {fps}")
    if (Path(out) / "manifest.json").exists() and not overwrite:
        raise FileExistsError(f"{out} already holds a dataset (manifest.json exists); use --overwrite")
    report = ImportReport()
    sources, report.skipped = find_footage(inputs)
    writer = None
    from genie_studio.progress import progress_bar

    with progress_bar(len(sources), "import", enabled=progress, unit="file") as bar:
        for src in sources:
            p = Path(src)
            try:
                if not p.exists():
                    raise ValueError("no such file or folder")
                frames = _read_folder(p, h, w) if p.is_dir() else _read_video(p, h, w, fps)
                if len(frames) < 2:
                    raise ValueError(f"only {len(frames)} frame(s) decoded")
            except Exception as e:  # noqa: BLE001 - any decoder failure means: skip this input
                report.skipped.append((str(p), f"cannot read: {os_error_text(e, with_name=False)}"))
            else:
                if writer is None:
                    writer = DatasetWriter(out, (h, w), labels=False, overwrite=overwrite)
                writer.add(np.stack(frames))
                report.imported.append(str(p))
                report.frames += len(frames)
            bar.update()
    if writer is not None:
        report.path = writer.close(source="imported", styles=["imported"], fps=fps,
                                   inputs=report.imported, skipped=[list(s) for s in report.skipped])
    return report
