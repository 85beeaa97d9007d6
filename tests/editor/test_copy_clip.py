"""Copy Clip (#27 item 2): a recording goes on the clipboard as an animated GIF, read back from Qt's clipboard."""

import io

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402

from genie_studio.editor.copy_clip import KEEP, clipboard_folder, encode_gif  # noqa: E402
from genie_studio.editor.recordings_panel import RecordingsPanel  # noqa: E402
from genie_studio.export import auto_scale  # noqa: E402
from genie_studio.recording import Recorder  # noqa: E402

COLOURS = np.array([[250, 20, 20], [20, 200, 40], [30, 30, 240], [240, 240, 240]], np.uint8)


def _frames(n=6, size=(16, 20)):
    """Blocks of 4 colours, moving: a GIF keeps them exactly."""
    out = []
    for i in range(n):
        f = np.empty((*size, 3), np.uint8)
        f[:] = COLOURS[3]
        f[:, :10] = COLOURS[i % 3]
        f[4:8, 2 + i:6 + i] = COLOURS[(i + 1) % 3]
        out.append(f)
    return out


def _record(root, name="walk", frames=None):
    frames = frames or _frames()
    r = Recorder(root / name, model={"name": "m", "config_sha256": "0" * 64, "path": None}, prompt=frames[0],
                 labels=["noop", "right"], resolution=frames[0].shape[:2], fps=10, clock="nominal")
    for i, f in enumerate(frames):
        r.add_frame(f, None if i == 0 else 1)
    return r.close().folder, frames


def test_copy_puts_an_animated_gif_on_the_clipboard(qtbot, tmp_path):
    folder, frames = _record(tmp_path / "recs")
    panel = RecordingsPanel(folder=tmp_path / "recs")
    qtbot.addWidget(panel)
    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(panel.copier.copied, timeout=30000) as done:
        panel.buttons["Copy GIF"].click()
    gif = done.args[0]
    assert "copied walk.gif" in panel.info.text()

    mime = QGuiApplication.clipboard().mimeData()
    data = bytes(mime.data("image/gif"))
    assert data[:6] == b"GIF89a"
    s = auto_scale(20, 16)
    with Image.open(io.BytesIO(data)) as im:
        assert im.n_frames == len(frames) and im.size == (20 * s, 16 * s) and im.info["duration"] == 100
        for i, f in enumerate(frames):  # every frame, upscaled with crisp whole-number pixels
            im.seek(i)
            got = np.asarray(im.convert("RGB"))
            assert np.array_equal(got[::s, ::s], f), i
            assert np.array_equal(got[s - 1::s, s - 1::s], f), i
    urls = mime.urls()
    assert len(urls) == 1 and urls[0].toLocalFile() == gif  # pasted as a file, it is the same GIF
    with open(gif, "rb") as fh:
        assert fh.read() == data
    assert gif.startswith(str(clipboard_folder()))
    still = QGuiApplication.clipboard().image()  # for programs that take only a picture: the first frame
    assert (still.width(), still.height()) == (20 * s, 16 * s)
    c = still.pixelColor(0, 0)
    assert (c.red(), c.green(), c.blue()) == tuple(frames[0][0, 0])


def test_nothing_selected_or_a_broken_recording_says_so(qtbot, tmp_path):
    panel = RecordingsPanel(folder=tmp_path / "empty")
    qtbot.addWidget(panel)
    assert panel.copy_selected() is False
    folder, _ = _record(tmp_path / "recs")
    panel = RecordingsPanel(folder=tmp_path / "recs")
    qtbot.addWidget(panel)
    (folder / "recording.json").unlink()  # gone after the list was read
    with qtbot.waitSignal(panel.copier.failed, timeout=30000) as failed:
        assert panel.copy_selected()
    assert failed.args[0].startswith("cannot copy walk") and panel.info.text() == failed.args[0]


def test_the_clipboard_folder_keeps_only_the_latest_copies(tmp_path):
    folder, _ = _record(tmp_path / "recs", frames=_frames(2))
    out = tmp_path / "clips"
    for i in range(KEEP + 3):
        (out / f"old{i}.gif").parent.mkdir(exist_ok=True)
        (out / f"old{i}.gif").write_bytes(b"GIF89a")
    gif = encode_gif(folder, out)
    kept = sorted(p.name for p in out.glob("*.gif"))
    assert len(kept) == KEEP and gif.name in kept


def test_edit_menu_copy_clip_in_the_editor(qtbot, model_dir):
    from genie_studio.config import paths
    from tests.editor.windows import open_window

    w = open_window(qtbot, model=str(model_dir), wait_previews=False)
    try:
        action = next(a for m in w.menuBar().actions() if m.text() == "&Edit" for a in m.menu().actions()
                      if a.text() == "&Copy Clip")
        assert action.shortcut().toString() == "Ctrl+Shift+C"
        action.trigger()
        assert w.statusBar().currentMessage().startswith("No recording to copy")
        _record(paths().recordings, "jump")
        w.recordings_panel.refresh()
        with qtbot.waitSignal(w.recordings_panel.copier.copied, timeout=30000):
            action.trigger()
        assert w.statusBar().currentMessage().startswith("Copied jump.gif to the clipboard")
        assert bytes(QGuiApplication.clipboard().mimeData().data("image/gif"))[:6] == b"GIF89a"
    finally:
        w.shutdown()


_COPY_AND_EXIT = r"""
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from genie_studio.editor import copy_clip
from genie_studio.recording import Recorder

app = QApplication([])
frame = np.zeros((8, 8, 3), np.uint8)
r = Recorder(Path(sys.argv[1]) / "walk", model={"name": "m", "config_sha256": "0" * 64, "path": None},
             prompt=frame, labels=["noop"], resolution=(8, 8), fps=10, clock="nominal")
r.add_frame(frame, None)
r.add_frame(frame + 50, 0)
copier = copy_clip.ClipCopier()
loop = QEventLoop()
copier.copied.connect(lambda gif: loop.quit())
copier.failed.connect(lambda msg: (print(msg), loop.quit()))
QTimer.singleShot(30000, loop.quit)
copier.copy(r.close().folder)
loop.exec()
clipboard = QApplication.clipboard()
print(QApplication.platformName(), "gif" if clipboard.mimeData().hasFormat("image/gif") else "empty")
if sys.argv[2] == "release":  # what happens at exit, here to look at: a system clipboard keeps the clip
    copy_clip._release_clip()
    print("kept" if clipboard.mimeData().hasFormat("image/gif") else "cleared")
sys.stdout.flush()
"""


def _copy_and_exit(tmp_path, env, *args, wrap=()):
    import os
    import subprocess
    import sys

    return subprocess.run([*wrap, sys.executable, "-X", "faulthandler", "-c", _COPY_AND_EXIT, str(tmp_path), *args],
                          env={**os.environ, "GENIE_STUDIO_HOME": str(tmp_path / "home"), **env},
                          capture_output=True, text=True, timeout=120)


def test_a_process_that_copied_a_clip_exits_cleanly(tmp_path):
    """The clip's QMimeData, made in Python, sat in the offscreen clipboard (Qt's in-process one) until C++
    freed it after the interpreter had gone: exit 139 after every test had passed. It is freed at exit."""
    proc = _copy_and_exit(tmp_path, {"QT_QPA_PLATFORM": "offscreen"}, "exit")
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout.split() == ["offscreen", "gif"]


def test_a_system_clipboard_keeps_the_clip_at_exit(tmp_path):
    """On X11 the clip is Qt's to hand to a clipboard manager as the application goes: not cleared."""
    import shutil

    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed")
    proc = _copy_and_exit(tmp_path, {"QT_QPA_PLATFORM": "xcb"}, "release", wrap=("xvfb-run", "-a"))
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout.split() == ["xcb", "gif", "kept"]
