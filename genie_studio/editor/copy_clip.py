"""Copy Clip: a recording as an animated GIF on the clipboard, ready to paste into a chat, a post or a file
manager (issue #27).

The GIF is the one ``genie-studio export --format gif`` writes (the crisp auto scale, exact timing),
encoded on a thread and kept in ``<user cache>/clipboard/`` so that what was pasted as a file stays
readable. The clipboard gets three forms: ``image/gif`` (the animation's bytes), the file's URL (a
pasted file keeps the animation; on Windows Qt offers it as CF_HDROP) and a still image of the first
frame, for programs that take only pictures.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QImage

from genie_studio.config import paths
from genie_studio.export import ExportError, ExportOptions, default_registry
from genie_studio.recording import Recording, RecordingError

KEEP = 8  # GIFs kept in the clipboard folder: older copies are deleted


def clipboard_folder() -> Path:
    return paths().cache / "clipboard"


def encode_gif(recording: str | Path, folder: Path | None = None) -> Path:
    """The recording as ``<folder>/<name>.gif`` at the export defaults; -> the file."""
    rec = Recording(recording)
    folder = folder or clipboard_folder()
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{rec.folder.name}.gif"
    written = default_registry().get("gif").export(rec.folder, out, ExportOptions(overwrite=True))
    for old in sorted(folder.glob("*.gif"), key=lambda p: p.stat().st_mtime)[:-KEEP]:
        old.unlink(missing_ok=True)
    return Path(written[0])


def clip_mime(gif: Path) -> QMimeData:
    """The clipboard's forms of ``gif``: its bytes as image/gif, its file URL and a still first frame."""
    data = gif.read_bytes()
    mime = QMimeData()
    mime.setData("image/gif", data)
    mime.setUrls([QUrl.fromLocalFile(str(gif.resolve()))])
    still = QImage.fromData(data, "GIF")  # the first frame
    if not still.isNull():
        mime.setImageData(still)
    return mime


class ClipCopier(QObject):
    """``copy(recording)`` encodes on a thread, then puts the clip on the clipboard on the UI thread;
    ``copied(path)`` or ``failed(message)`` says how it went."""

    copied = Signal(str)
    failed = Signal(str)
    _encoded = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._encoded.connect(self._publish)  # queued: emitted from the encoding thread
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def copy(self, recording: str | Path) -> None:
        if self.busy:
            self.failed.emit("a clip is still being copied")
            return

        def work():
            try:
                self._encoded.emit(str(encode_gif(recording)))
            except (ExportError, RecordingError, OSError) as e:
                self.failed.emit(f"cannot copy {Path(recording).name}: {e}")
            except Exception as e:  # noqa: BLE001 - a failed copy never takes the editor down
                self.failed.emit(f"cannot copy {Path(recording).name}: {type(e).__name__}: {e}")

        self._thread = threading.Thread(target=work, name="copy-clip", daemon=True)
        self._thread.start()

    def _publish(self, gif: str) -> None:
        try:
            QGuiApplication.clipboard().setMimeData(clip_mime(Path(gif)))
        except OSError as e:
            self.failed.emit(f"cannot copy {Path(gif).name}: {e}")
            return
        self.copied.emit(gif)
