"""Recording in the editor: a record button with a timer, microphone picker and level meter
(``RecordControls``), and the list of recordings with rename / delete / play / export / copy as a
GIF (``RecordingsPanel``). Both are self-contained: the main window owns them, feeds frames and connects
signals."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genie_studio.audio import AudioUnavailable, VoiceRecorder, input_devices
from genie_studio.config import paths
from genie_studio.editor.copy_clip import ClipCopier
from genie_studio.editor.qt_image import to_pixmap
from genie_studio.recording import Recorder, Recording, RecordingError, delete, list_recordings, rename


class RecordControls(QWidget):
    """Record button + elapsed timer + voice-over device picker + level meter.

    ``start(**recorder_kwargs)`` (see ``Recorder.session_kwargs``) begins a recording in
    ``folder`` (default: a new time-stamped folder in the recordings folder); ``add_frame`` records
    each frame the world produces from the next prompt frame on (``action`` None), so a take always
    begins at its prompt (what replay needs); ``stop`` closes it and emits ``recordingStopped(path)``."""

    recordingStarted = Signal(str)
    recordingStopped = Signal(str)
    startRequested = Signal()  # the button was pressed while idle: the owner calls start(...)

    def __init__(self, parent=None, folder: Path | None = None):
        super().__init__(parent)
        self.root = Path(folder) if folder else paths().recordings
        self.recorder: Recorder | None = None
        self._waiting = False  # for the prompt frame: frames from before the world restarted are dropped
        self.button = QPushButton("● Record")
        self.button.setCheckable(True)
        self.timer_label = QLabel("00:00.0")
        self.device = QComboBox()
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setFixedWidth(60)
        self.status = QLabel("")
        row = QHBoxLayout(self)
        for w in (self.button, self.timer_label, QLabel("Voice:"), self.device, self.meter, self.status):
            row.addWidget(w)
        self.button.clicked.connect(self._clicked)
        self._tick = QTimer(self)
        self._tick.setInterval(100)
        self._tick.timeout.connect(self._update)
        self.refresh_devices()

    def refresh_devices(self) -> None:
        self.device.clear()
        self.device.addItem("No voice-over", None)
        try:
            for d in input_devices():
                self.device.addItem(d.label, d.index)
            if self.device.count() > 1:
                self.device.setCurrentIndex(1)
            else:
                self.status.setText("no microphone found")
        except AudioUnavailable as e:
            self.status.setText("voice-over unavailable")
            self.status.setToolTip(str(e))

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def _clicked(self, checked: bool) -> None:
        if checked and not self.recording:
            self.button.setChecked(False)
            self.startRequested.emit()
        elif not checked and self.recording:
            self.stop()

    def start(self, folder: Path | None = None, **recorder_kwargs) -> Path:
        folder = Path(folder) if folder else self.root / time.strftime("rec-%Y%m%d-%H%M%S")
        dev = self.device.currentData()
        voice = VoiceRecorder(device=dev) if dev is not None else None
        self.recorder = Recorder(folder, voice=voice, **recorder_kwargs)
        self._waiting = True
        self.status.setText(self.recorder.notes[-1] if self.recorder.notes else "")
        self.button.setChecked(True)
        self.button.setText("■ Stop")
        self._tick.start()
        self.recordingStarted.emit(str(folder))
        return folder

    def add_frame(self, frame, action=None, inputs=()) -> None:
        if self.recorder is None or (self._waiting and action is not None):
            return
        self._waiting = False
        self.recorder.add_frame(frame, action, inputs)

    def stop(self) -> Path | None:
        if self.recorder is None:
            return None
        rec = self.recorder.close()
        self.recorder = None
        self._tick.stop()
        self.meter.setValue(0)
        self.button.setChecked(False)
        self.button.setText("● Record")
        self.status.setText(f"saved {len(rec)} frames")
        self.recordingStopped.emit(str(rec.folder))
        return rec.folder

    def _update(self) -> None:
        r = self.recorder
        if r is None:
            return
        t = r.elapsed
        self.timer_label.setText(f"{int(t // 60):02d}:{t % 60:04.1f} · {r.frame_count} frames")
        voice = r._voice
        self.meter.setValue(int(100 * voice.level) if voice is not None else 0)


class RecordingsPanel(QWidget):
    """The recordings in a folder: play them back, rename, delete, replay with the model, export."""

    replayRequested = Signal(str)
    exportRequested = Signal(str)

    def __init__(self, parent=None, folder: Path | None = None):
        super().__init__(parent)
        self.root = Path(folder) if folder else paths().recordings
        self.list = QListWidget()
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(160, 120)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        buttons = QHBoxLayout()
        self.buttons = {}
        for name, slot in (("Play", self.play_selected), ("Replay", self._replay), ("Rename", self.rename_selected),
                           ("Delete", self.delete_selected), ("Export…", self._export),
                           ("Copy GIF", self.copy_selected), ("Refresh", self.refresh)):
            b = QPushButton(name)
            b.clicked.connect(lambda _=False, s=slot: s())
            buttons.addWidget(b)
            self.buttons[name] = b
        lay = QVBoxLayout(self)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.preview)
        lay.addWidget(self.info)
        lay.addLayout(buttons)
        self.buttons["Copy GIF"].setToolTip("Put the recording on the clipboard as an animated GIF (Ctrl+Shift+C)")
        self.copier = ClipCopier(self)  # copied(path) / failed(message): the owner shows them
        self.copier.copied.connect(lambda path: self.info.setText(f"copied {Path(path).name} to the clipboard"))
        self.copier.failed.connect(self.info.setText)
        self.list.currentItemChanged.connect(lambda *_: self._selected())
        self._play = QTimer(self)
        self._play.timeout.connect(self._next_frame)
        self._playing: tuple[Recording, int] | None = None
        self.refresh()

    def refresh(self) -> None:
        current = self.selected_path()
        self.list.clear()
        for r in list_recordings(self.root):
            i = r.info()
            flags = (" 🎤" if i["audio"] else "") + (" (recovered)" if i["recovered"] else "")
            item = QListWidgetItem(f"{i['name']} — {i['frames']} frames, {i['duration']:.1f}s{flags}")
            item.setData(Qt.ItemDataRole.UserRole, str(r.folder))
            self.list.addItem(item)
            if current and Path(current) == r.folder:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)

    def selected_path(self) -> Path | None:
        item = self.list.currentItem()
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _selected(self) -> None:
        p = self.selected_path()
        self._play.stop()
        if p is None:
            self.info.setText("")
            self.preview.clear()
            return
        try:
            r = Recording(p)
            self.info.setText("; ".join(f"{k}: {v}" for k, v in r.info().items() if k in ("model", "seed", "fps")))
            self._show(r.frame(0))
        except (RecordingError, IndexError) as e:
            self.info.setText(str(e))

    def _show(self, frame) -> None:
        pm = to_pixmap(frame)
        self.preview.setPixmap(pm.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.FastTransformation))

    def play_selected(self) -> None:
        p = self.selected_path()
        if p is None:
            return
        r = Recording(p)
        if len(r):
            self._playing = (r, 0)
            self._play.start(int(1000 / r.fps))

    def _next_frame(self) -> None:
        r, i = self._playing
        if i >= len(r):
            self._play.stop()
            return
        self._show(r.frame(i))
        self._playing = (r, i + 1)

    def rename_selected(self, new_name: str | None = None) -> Path | None:
        p = self.selected_path()
        if p is None:
            return None
        if new_name is None:
            new_name, ok = QInputDialog.getText(self, "Rename recording", "Name:", text=Recording(p).name)
            if not ok:
                return None
        try:
            new = rename(p, new_name)
        except (RecordingError, OSError) as e:
            QMessageBox.warning(self, "Rename failed", str(e))
            return None
        self.refresh()
        return new.folder

    def delete_selected(self, confirm: bool = True) -> bool:
        p = self.selected_path()
        if p is None:
            return False
        if confirm and QMessageBox.question(self, "Delete recording", f"Delete {p.name} for good?") != \
                QMessageBox.StandardButton.Yes:
            return False
        self._play.stop()
        delete(p)
        self.refresh()
        return True

    def copy_selected(self) -> bool:
        """Copy the selected recording to the clipboard as a GIF (in the background); False if none."""
        p = self.selected_path()
        if p is None:
            return False
        self.info.setText(f"copying {p.name}…")
        self.copier.copy(p)
        return True

    def _replay(self) -> None:
        if self.selected_path():
            self.replayRequested.emit(str(self.selected_path()))

    def _export(self) -> None:
        if self.selected_path():
            self.exportRequested.emit(str(self.selected_path()))

