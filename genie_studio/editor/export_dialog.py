"""The export dialog: pick a format and options, watch a live preview, export with progress and cancel.

Exports run on a worker thread through the same exporter registry as ``genie-studio export``, with the
same options: frames, fps, scale (auto by default: a crisp whole-number upscale to at least 512 px on
the long side), loop, animation name, and each format's own options (sheet columns, quality...)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from genie_studio.editor.qt_image import to_pixmap
from genie_studio.export import AUTO_LONG_SIDE, ExportError, ExportOptions, auto_scale, default_registry
from genie_studio.export.base import parse_option_value
from genie_studio.export.godot_project import clip_target
from genie_studio.progress import describe
from genie_studio.recording import Recording


class _Signals(QObject):
    progress = Signal(int, int)
    finished = Signal(list)
    failed = Signal(str)


class ExportDialog(QDialog):
    exported = Signal(list)  # paths written

    def __init__(self, recording, parent=None, registry=None):
        super().__init__(parent)
        self.setWindowTitle("Export recording")
        self.recording = recording if isinstance(recording, Recording) else Recording(recording)
        self.registry = registry or default_registry()
        n = len(self.recording)
        self.format = QComboBox()
        for d in self.registry.describe():
            self.format.addItem(f"{d['name']} — {d['description']}", d["name"])
        self.out = QLineEdit(str(self.recording.folder.parent / f"{self.recording.folder.name}.gif"))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        self.start, self.stop = QSpinBox(), QSpinBox()
        self.start.setRange(0, max(0, n - 1))
        self.stop.setRange(1, max(1, n))
        self.stop.setValue(n)
        self.fps = QSpinBox()
        self.fps.setRange(0, 240)
        self.fps.setSpecialValueText("as recorded")
        self.scale = QSpinBox()
        self.scale.setRange(0, 64)
        self.scale.setSpecialValueText(f"auto (≥ {AUTO_LONG_SIDE} px)")
        self.scale.setSuffix("×")
        self.scale.setValue(0)
        self.format_options = QWidget()  # one field per option of the chosen format (exporter.options)
        self.format_form = QFormLayout(self.format_options)
        self.format_form.setContentsMargins(0, 0, 0, 0)
        self.extra: dict[str, QLineEdit] = {}
        self.loop = QCheckBox("loop")
        self.loop.setChecked(True)
        self.audio = QCheckBox("voice-over")
        self.audio.setChecked(self.recording.audio_path is not None)
        self.audio.setEnabled(self.recording.audio_path is not None)
        self.name = QLineEdit("default")
        self.godot = QLineEdit()  # export --to-godot: SpriteFrames into a Godot project's res://genie_clips/
        self.godot.setPlaceholderText("optional: a Godot project folder (SpriteFrames go to res://genie_clips/)")
        godot_browse = QPushButton("…")
        godot_browse.clicked.connect(self._browse_godot)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(200, 150)
        self.size_label = QLabel()
        self.bar = QProgressBar()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.export_button = QPushButton("Export")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        close = QPushButton("Close")

        form = QFormLayout()
        form.addRow("Format", self.format)
        row = QHBoxLayout()
        row.addWidget(self.out, 1)
        row.addWidget(browse)
        form.addRow("Output", row)
        grow = QHBoxLayout()
        grow.addWidget(self.godot, 1)
        grow.addWidget(godot_browse)
        form.addRow("Godot project", grow)
        rng = QHBoxLayout()
        rng.addWidget(self.start)
        rng.addWidget(QLabel("to (excluded)"))
        rng.addWidget(self.stop)
        form.addRow("Frames", rng)
        form.addRow("FPS", self.fps)
        form.addRow("Scale", self.scale)
        form.addRow("Animation name", self.name)
        form.addRow(self.format_options)
        checks = QHBoxLayout()
        checks.addWidget(self.loop)
        checks.addWidget(self.audio)
        form.addRow("", checks)
        buttons = QHBoxLayout()
        for b in (self.export_button, self.cancel_button, close):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addWidget(self.preview, 1)
        lay.addWidget(self.size_label)
        lay.addLayout(form)
        lay.addWidget(self.bar)
        lay.addWidget(self.message)
        lay.addLayout(buttons)

        self.format.currentIndexChanged.connect(self._format_changed)
        self.godot.textChanged.connect(self._godot_changed)
        for w in (self.start, self.stop, self.fps, self.scale):
            w.valueChanged.connect(self._restart_preview)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel_export)
        close.clicked.connect(self.reject)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._frame = 0
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()
        self.result_paths: list[Path] | None = None
        self.error: str | None = None
        self._signals = _Signals()
        self._signals.progress.connect(self._progress)
        self._signals.finished.connect(self._finished)
        self._signals.failed.connect(self._failed)
        i = self.format.findData("gif")
        self.format.setCurrentIndex(max(i, 0))
        self._format_fields(self.registry.get(self.format.currentData()))
        self._restart_preview()

    # ---- options and preview ------------------------------------------------------------------------
    def set_format(self, name: str) -> None:
        self.format.setCurrentIndex(self.format.findData(name))

    def _format_changed(self) -> None:
        if self.format.currentData() is None:
            return
        e = self.registry.get(self.format.currentData())
        self._format_fields(e)
        p = Path(self.out.text())
        if e.extensions:
            base = p.with_suffix("") if p.suffix else p
            self.out.setText(str(base.with_suffix(e.extensions[0])))
        else:
            self.out.setText(str(p.with_suffix("")))

    def _format_fields(self, exporter) -> None:
        """The chosen format's own options, each a text field; empty keeps the format's default."""
        while self.format_form.rowCount():
            self.format_form.removeRow(0)
        self.extra = {}
        for key, help_ in (getattr(exporter, "options", None) or {}).items():
            field = QLineEdit()
            field.setPlaceholderText(str(help_))
            field.setToolTip(f"-o {key}=VALUE: {help_}")
            self.format_form.addRow(key.replace("_", " ").capitalize(), field)
            self.extra[key] = field

    def _browse_godot(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Godot project folder", self.godot.text())
        if path:
            self.godot.setText(path)

    def _godot_changed(self) -> None:
        """With a Godot project the engine picks the format (godot3/godot4) and the path."""
        into_godot = bool(self.godot.text().strip())
        self.format.setEnabled(not into_godot)
        self.out.setEnabled(not into_godot)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.out.text())
        if path:
            self.out.setText(path)

    def options(self) -> ExportOptions:
        extra = {k: parse_option_value(f.text()) for k, f in self.extra.items() if f.text().strip()}
        return ExportOptions(frames=(self.start.value(), self.stop.value()), fps=self.fps.value() or None,
                             scale=self.scale.value() or None, loop=self.loop.isChecked(),
                             name=self.name.text().strip(), audio=self.audio.isChecked(), extra=extra)

    def export_scale(self) -> int:
        """The upscale the export will use: the spin box's, or auto's for this recording's frames."""
        h, w = self.recording.resolution
        return self.scale.value() or auto_scale(w, h)

    def _restart_preview(self) -> None:
        self._frame = self.start.value()
        fps = self.fps.value() or self.recording.fps
        self._timer.start(max(10, int(1000 / fps)))
        h, w = self.recording.resolution
        s = self.export_scale()
        n = max(0, self.stop.value() - self.start.value())
        self.size_label.setText(f"{n} frames, {w * s}×{h * s} px at {fps:g} fps")
        self._tick()

    def _tick(self) -> None:
        if self.start.value() >= self.stop.value() or not len(self.recording):
            return
        if self._frame >= self.stop.value() or self._frame < self.start.value():
            self._frame = self.start.value()
        pm = to_pixmap(self.recording.frame(self._frame))
        h, w = self.recording.resolution  # shown as exported, or as large as fits the preview when bigger
        s = max(1, min(self.export_scale(), max(self.preview.width(), 200) // max(w, 1),
                       max(self.preview.height(), 150) // max(h, 1)))
        pm = pm.scaled(pm.width() * s, pm.height() * s, Qt.AspectRatioMode.KeepAspectRatio,
                       Qt.TransformationMode.FastTransformation)
        self.preview.setPixmap(pm)
        self._frame += 1

    # ---- export ---------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start_export(self) -> None:
        if self.busy:
            return
        try:
            options = self.options()
        except ExportError as e:
            self._failed(str(e))
            return
        if self.godot.text().strip():
            try:
                _, fmt, out = clip_target(Path(self.godot.text().strip()).expanduser(), self.recording.folder.name,
                                          options.name)
            except ExportError as e:
                self._failed(str(e))
                return
            exporter = self.registry.get(fmt)
        else:
            exporter = self.registry.get(self.format.currentData())
            out = Path(self.out.text()).expanduser()
        self._cancel.clear()
        self.result_paths, self.error = None, None
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        self._started = time.monotonic()
        self.message.setText(f"exporting {exporter.name}…")
        sig = self._signals

        def work():
            try:
                paths = exporter.export(self.recording.folder, out, options,
                                        progress=lambda d, t: sig.progress.emit(d, t), cancel=self._cancel)
                sig.finished.emit([str(p) for p in paths])
            except ExportError as e:
                sig.failed.emit(str(e))
            except Exception as e:  # noqa: BLE001 (never let an export take the editor down)
                sig.failed.emit(f"{type(e).__name__}: {e}")

        self._thread = threading.Thread(target=work, name="export", daemon=True)
        self._thread.start()

    def cancel_export(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float = 60.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _progress(self, done: int, total: int) -> None:
        """The command line's tqdm meter as the bar's text: frames, elapsed<remaining, rate."""
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self.bar.setFormat(f"%p%  {describe(done, total, time.monotonic() - self._started, 'frames')}")

    def _finished(self, paths: list) -> None:
        self.wait(5)  # the worker's last act was to emit this signal
        self.result_paths = [Path(p) for p in paths]
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        extra = f" (+{len(paths) - 1} files)" if len(paths) > 1 else ""
        self.message.setText(f"wrote {paths[0]}{extra}")
        self.exported.emit(self.result_paths)

    def _failed(self, msg: str) -> None:
        self.wait(5)
        self.error = msg
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.message.setText(msg)

    def reject(self) -> None:
        self._cancel.set()
        self.wait(10)
        self._timer.stop()
        super().reject()
