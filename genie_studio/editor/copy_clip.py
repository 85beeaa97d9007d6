"""Copy Clip: a recording as an animated GIF on the clipboard, ready to paste into a chat, a post or a file
manager (issue #27).

The GIF is the one ``genie-studio export --format gif`` writes (the crisp auto scale, exact timing),
encoded on a thread and kept in ``<user cache>/clipboard/`` so that what was pasted as a file stays
readable. The clipboard gets three forms: ``image/gif`` (the animation's bytes), the file's URL (a
pasted file keeps the animation; on Windows Qt offers it as CF_HDROP) and a still image of the first
frame, for programs that take only pictures.

The clip's QMimeData is made in Python, so freeing it calls back into Python. Where the platform has no
system clipboard (offscreen, minimal: Qt's default QPlatformClipboard), Qt keeps it in a static that C++
frees at process exit, after the interpreter is gone: a segmentation fault (exit 139) once the program has
otherwise finished. ``ClipCopier`` therefore hands such a clip back (clears that in-process clipboard)
when the interpreter exits (``_release_clip``); a clip on a system clipboard is left to Qt, which
passes it on to the system (an X11 clipboard manager, say) when the application goes.
"""

from __future__ import annotations

import atexit
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


_on_clipboard: QMimeData | None = None  # the clip this process last put on the clipboard (Qt owns it)
_release_registered = False


def _hold_clip(mime: QMimeData) -> None:
    """Note ``mime`` as the clip on the clipboard; the first time, ask for ``_release_clip`` at exit
    (atexit runs it before PySide's own exit handler, registered at import, takes the application down)."""
    global _on_clipboard, _release_registered
    _on_clipboard = mime
    if not _release_registered:
        atexit.register(_release_clip)
        _release_registered = True


def _release_clip() -> None:
    """Free our clip while Python still runs, if it is still on a clipboard that lives in this process
    (Qt's default one, which owns nothing outside it: ``ownsClipboard()`` is False there); a system
    clipboard, or one that another program took since, is left alone."""
    global _on_clipboard
    mime, _on_clipboard = _on_clipboard, None
    if mime is None or QGuiApplication.instance() is None:
        return
    clipboard = QGuiApplication.clipboard()
    if clipboard.mimeData() is mime and not clipboard.ownsClipboard():
        clipboard.clear()


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
            mime = clip_mime(Path(gif))
            QGuiApplication.clipboard().setMimeData(mime)  # Qt owns it from here
            _hold_clip(mime)
        except OSError as e:
            self.failed.emit(f"cannot copy {Path(gif).name}: {e}")
            return
        self.copied.emit(gif)
