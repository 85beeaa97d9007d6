"""The Genie Studio main window: sketch canvas in the middle, tools left, play view and latent actions right.

It owns its panels (project, menus, model picker, controls, recordings, autoplay) and hears the world
worker only through its signals, keeping what they carried (``model_info``, ``session_info``). Other
panels join with ``add_dock_panel(title, widget)`` and extend ``menus.tools_menu`` / ``menus.view_menu``.
"""

from __future__ import annotations

import base64
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from genie_studio.config import load_settings, save_settings
from genie_studio.editor.action_palette import ActionPalette
from genie_studio.editor.autoplay import AutoplayControl
from genie_studio.editor.bindings_panel import BindingsPanel
from genie_studio.editor.canvas import SketchCanvas
from genie_studio.editor.export_dialog import ExportDialog
from genie_studio.editor.model_picker import ModelPicker
from genie_studio.editor.play_view import PlayView
from genie_studio.editor.project_actions import ProjectActions
from genie_studio.editor.qt_keys import qt_key_name
from genie_studio.editor.recordings_panel import RecordControls, RecordingsPanel
from genie_studio.editor.toolbox import SketchToolbox
from genie_studio.editor.window_menus import WindowMenus
from genie_studio.editor.worker import StallMeter, WorldController
from genie_studio.knobs import Knobs
from genie_studio.recording import RecordingError
from genie_studio.resources import first_example

PREVIEW_FRAMES = 8


class MainWindow(QMainWindow):
    def __init__(self, settings: dict | None = None, model: str | None = None):
        super().__init__()
        self.settings = settings if settings is not None else load_settings()
        self.model_name: str | None = None  # the model currently loaded (as named to the registry)
        self.model_info: dict | None = None
        self.model_resolution: tuple[int, int] | None = None
        self.session_info: dict | None = None  # what a recording records of the session (worker.sessionChanged)
        self.pressed: set[str] = set()
        self.playing = False
        self.last_error: str | None = None
        self._error_box: QMessageBox | None = None
        self._explicit_model = False
        self.panels: dict[str, QDockWidget] = {}
        self.frames_shown = 0  # frames that reached the UI thread
        self.last_frame = None  # (frame, action, index)
        self.previews_shown = 0
        self._terminated = False  # terminate() ran: closing asks nothing

        self.canvas = SketchCanvas(self)
        self.setCentralWidget(self.canvas)
        self.toolbox = SketchToolbox(self.canvas)
        self.play_view = PlayView()
        self.palette = ActionPalette()
        self.controller = WorldController(self)
        self.stall = StallMeter(self)
        self.picker = ModelPicker(self)
        self.project = ProjectActions(self)
        self.menus = WindowMenus(self)
        self.add_dock_panel("Sketch tools", self.toolbox, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_dock_panel("Play", self.play_view)
        self.add_dock_panel("Latent actions", self.palette)
        self.bindings = BindingsPanel(self)  # controls profile: keyboard + gamepads (issue #8)
        self.add_dock_panel("Controls", self.bindings)
        self.bindings.actionChanged.connect(lambda _a: self._update_action())
        self.bindings.profileChanged.connect(lambda _p: self.palette.set_keys(self.bindings.keys_by_action()))
        self.record_controls = RecordControls(self)  # Record + Recordings panels, export dialog (issue #9)
        self.recordings_panel = RecordingsPanel(self)
        self.add_dock_panel("Record", self.record_controls)
        self.add_dock_panel("Recordings", self.recordings_panel)
        self.autoplay = AutoplayControl(self)  # the play view's Autoplay toggle (issue #20)
        self.addToolBar(self.picker.toolbar)
        self.model_status = QLabel("no model")
        self.rtt_status = QLabel("")  # remote backend: the server round trip of the last step
        self.statusBar().addPermanentWidget(self.rtt_status)
        self.statusBar().addPermanentWidget(self.model_status)
        self.statusBar().showMessage("Draw a level, then press Play (Space) and steer with the arrow keys")

        w = self.controller.worker
        w.modelLoaded.connect(self._model_loaded)
        w.modelFailed.connect(self._model_failed)
        w.sessionChanged.connect(self._session_changed)
        w.frameReady.connect(self._frame)
        w.previewsReady.connect(self._previews)
        w.failed.connect(self._worker_failed)
        w.playingChanged.connect(self._playing_changed)
        w.compileStatus.connect(self._compile_status)  # a method: delivered on the UI thread
        self.play_view.playToggled.connect(self.toggle_play)
        self.play_view.resetClicked.connect(self.reset_world)
        self.play_view.stepClicked.connect(self.step_world)
        self.play_view.knobsChanged.connect(self.knobs_changed)
        self.palette.labelsEdited.connect(self._labels_edited)
        self.palette.refreshRequested.connect(self.request_previews)
        self.canvas.changed.connect(self._sketch_changed)
        self.canvas.undo_stack.cleanChanged.connect(self.update_title)
        self.record_controls.startRequested.connect(self.start_recording)
        self.record_controls.recordingStopped.connect(lambda _p: self.recordings_panel.refresh())
        self.recordings_panel.exportRequested.connect(self._export_recording)
        self.recordings_panel.replayRequested.connect(lambda _p: self.recordings_panel.play_selected())
        self.recordings_panel.copier.copied.connect(lambda path: self.statusBar().showMessage(
            f"Copied {Path(path).name} to the clipboard: paste it anywhere", 8000))
        self.recordings_panel.copier.failed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.picker.modelChosen.connect(lambda spec: self.load_model(spec, explicit=True))
        self.picker.deviceChosen.connect(self._device_chosen)

        self._sketch_timer = QTimer(self, singleShot=True, interval=600, timeout=self._sketch_settled)
        self.play_view.set_knobs(Knobs.from_dict(self.settings))
        self.play_view.set_ready(False)
        self.play_view.view.set_message("Loading model…")
        self.resize(1360, 820)
        self.resizeDocks([self.panels["Play"]], [470], Qt.Orientation.Horizontal)
        self.resizeDocks([self.panels["Play"], self.panels["Latent actions"]], [520, 280], Qt.Orientation.Vertical)
        self.panels["Latent actions"].raise_()
        self._restore_window()
        self.update_title()
        QApplication.instance().installEventFilter(self)
        self.picker.refresh(self.settings)
        self.load_model(model or self.settings.get("model"), explicit=bool(model))

    # ---- public hooks for other panels ------------------------------------------------------------------
    def add_dock_panel(self, title: str, widget: QWidget, area=Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Dock ``widget`` under ``title`` and list it in the View menu."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if area == Qt.DockWidgetArea.RightDockWidgetArea and title not in ("Play", "Latent actions") \
                and "Latent actions" in self.panels:
            self.tabifyDockWidget(self.panels["Latent actions"], dock)
        self.panels[title] = dock
        self.menus.panels_menu.addAction(dock.toggleViewAction())
        return dock

    # ---- the model -------------------------------------------------------------------------------------
    def load_model(self, spec: str | None, explicit: bool = True) -> None:
        self._explicit_model = explicit
        self.pause()
        self.play_view.set_ready(False)
        self.play_view.view.set_message("Loading model…")
        self.model_status.setText(f"loading {spec or 'default model'}…")
        self._pending_model = spec or ""
        self.controller.load(self.settings, spec or "")

    def _model_loaded(self, info: dict) -> None:
        self.model_info = info
        self.model_name = self._pending_model or info["name"]
        if self._explicit_model:
            self.settings["model"] = self._pending_model or self.settings.get("model", "default")
        self.model_resolution = tuple(info["resolution"])
        self.toolbox.set_resolution(self.model_resolution, info.get("patch"))
        self.palette.set_actions(info["labels"], self.merged_labels(info["labels"]))
        self.bindings.set_model(info["name"], info["labels"])
        self.palette.set_keys(self.bindings.keys_by_action())  # each card names the keys that send it
        self._update_action()  # the new profile's answer (its idle action while nothing is held)
        self.play_view.set_ready(True)
        self.play_view.view.set_message("")
        h, w = self.model_resolution
        self.model_status.setText(f"model: {info['name']} ({w}×{h}, {len(info['labels'])} actions, {info['device']})")
        self.picker.set_current(info.get("path", ""))
        self.knobs_changed()
        self.reset_world()
        self.request_previews()

    def _session_changed(self, info: dict) -> None:
        self.session_info = info

    def _model_failed(self, message: str) -> None:
        self.model_info = None
        self.model_status.setText("no model")
        self.play_view.set_ready(False)
        self.play_view.view.set_message(f"No model to play with.\n\n{message}\n\nYou can still sketch and save.")
        if self._explicit_model:
            self.show_error("Cannot load model", message)
        else:
            self.last_error = message
            self.statusBar().showMessage("No model loaded: see the Play panel", 10000)

    def merged_labels(self, auto=None) -> list[str]:
        """The model's action labels, renamed where the project renamed them."""
        auto = list(auto if auto is not None else (self.model_info or {}).get("labels", []))
        user = list(self.project.labels)
        return user[:len(auto)] + auto[len(user):]

    def _device_chosen(self, device: str) -> None:
        self.settings["device"] = device
        if self.model_name:
            self.load_model(self.model_name, explicit=True)

    # ---- playing ---------------------------------------------------------------------------------------
    def knobs(self) -> Knobs:
        """The world's knobs: the settings' with the knob panel's."""
        return Knobs.from_dict({**self.settings, **self.play_view.knobs()})

    def knobs_changed(self) -> None:
        k = self.play_view.knobs()
        self.controller.set_knobs(self.knobs())
        if k != {x: self.settings.get(x) for x in k}:
            self.settings.update(k)
            self.project.mark_dirty()

    def reset_world(self) -> None:
        if self.model_info:
            self.controller.reset(self.canvas.sketch_array())

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        elif self.model_info:
            self.controller.play()

    def pause(self) -> None:
        self.controller.pause()

    def step_world(self) -> None:
        if self.model_info:
            self.controller.step()

    def request_previews(self) -> None:
        if self.model_info:
            self.controller.previews(self.canvas.sketch_array(), PREVIEW_FRAMES)

    def _frame(self, frame, action: int, fps: float, index: int, rtt_ms: float | None) -> None:
        self.frames_shown += 1
        self.last_frame = (frame, action, index)
        labels = self.palette.labels()
        name = labels[action] if 0 <= action < len(labels) else None
        self.play_view.set_frame(frame, name, fps, index)
        self.rtt_status.setText("" if rtt_ms is None else f"server round trip {rtt_ms:.0f} ms")
        self.palette.set_active(action)
        self.record_controls.add_frame(frame, None if action < 0 else action, sorted(self.pressed))

    def _previews(self, clips) -> None:
        self.palette.set_previews(clips)
        self.previews_shown += 1

    def _compile_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _playing_changed(self, playing: bool) -> None:
        self.playing = playing
        self.play_view.set_playing(playing)
        if playing:
            self.stall.start()
        else:
            self.stall.stop()
            self.statusBar().showMessage(f"Paused. Longest UI stall while playing: {self.stall.max_stall_ms:.0f} ms",
                                         6000)

    def _worker_failed(self, kind: str, message: str) -> None:
        self.show_error({"oom": "Out of memory", "prompt": "Bad image"}.get(kind, "Generation failed"), message)

    def _labels_edited(self, labels: list[str]) -> None:
        if labels != self.merged_labels():
            self.project.labels = list(labels)
            self.project.mark_dirty()
            self._update_action()

    def update_title(self) -> None:
        name = self.project.path.name if self.project.path else "Untitled"
        self.setWindowTitle(f"{name}[*] — Genie Studio")
        self.setWindowModified(self.project.is_dirty())

    def _sketch_changed(self) -> None:
        self.update_title()
        self._sketch_timer.start()

    def _sketch_settled(self) -> None:
        if not self.playing:
            self.reset_world()
            self.request_previews()

    # ---- recording -------------------------------------------------------------------------------------
    def start_recording(self) -> None:
        """Restart the world from the sketch and record every frame from its prompt on, with the keys held."""
        if not (self.model_info and self.session_info):
            self.statusBar().showMessage("Load a model before recording", 5000)
            return
        try:
            self.record_controls.start(**self.session_info | {"prompt": self.canvas.sketch_array()},
                                       fps=self.knobs().fps)
        except (RecordingError, OSError) as e:
            QMessageBox.warning(self, "Cannot record", str(e))
            return
        self.reset_world()

    def copy_clip(self) -> None:
        """Edit > Copy Clip: the selected recording on the clipboard as an animated GIF."""
        if not self.recordings_panel.copy_selected():
            self.statusBar().showMessage("No recording to copy: record a clip first (the Record button)", 8000)

    def _export_recording(self, path: str) -> None:
        dlg = ExportDialog(path, self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()

    # ---- keyboard ----------------------------------------------------------------------------------------
    def game_key(self, qt_key: int) -> str | None:
        """The name of a key that steers the world (one the controls profile binds, or one held since it
        was), else None."""
        name = qt_key_name(qt_key)
        return name if name is not None and (self.bindings.binds_key(name) or name in self.pressed) else None

    def _update_action(self) -> None:
        """Send what the controls profile resolves for the held keys and pads (the player's rule)."""
        idx = self.bindings.action_for(self.pressed)
        if idx is not None:
            self.controller.set_action(idx)

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        t = ev.type()
        if t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride):
            name = self.game_key(ev.key())
            if name is None or ev.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
                return False
            focus = QApplication.focusWidget()
            if focus is not None and (focus.inherits("QLineEdit") or focus.inherits("QAbstractSpinBox")):
                return False
            if t == QEvent.Type.ShortcutOverride:
                if self.playing:
                    ev.accept()  # while playing, game keys steer the world instead of firing shortcuts
                return False
            if ev.isAutoRepeat():
                return self.playing
            if t == QEvent.Type.KeyPress:
                self.pressed.add(name)
            else:
                self.pressed.discard(name)
            self._update_action()
            return self.playing
        if t == QEvent.Type.ApplicationDeactivate:
            self.pressed.clear()
            self._update_action()
        return False

    # ---- errors, questions, settings, window state, closing ----------------------------------------------
    def _ask(self, title: str, text: str, buttons) -> QMessageBox.StandardButton:
        """Every question the editor asks goes through here (tests answer it)."""
        return QMessageBox.question(self, title, text, buttons)

    def persist_settings(self) -> None:
        try:
            save_settings(self.settings)
        except OSError as e:
            self.statusBar().showMessage(f"Could not save settings: {e}", 8000)

    def show_error(self, title: str, message: str) -> None:
        """A non-blocking error dialog with the actionable message; also kept in ``last_error``."""
        self.last_error = message
        self.statusBar().showMessage(f"{title}: {message.splitlines()[0]}", 10000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self._error_box = box

    def _restore_window(self) -> None:
        w = self.settings.get("window") or {}
        try:
            if w.get("geometry"):
                self.restoreGeometry(QByteArray(base64.b64decode(w["geometry"])))
            if w.get("state"):
                self.restoreState(QByteArray(base64.b64decode(w["state"])))
        except (ValueError, TypeError):
            pass

    def save_window_state(self) -> None:
        self.settings["window"] = {"geometry": base64.b64encode(bytes(self.saveGeometry())).decode(),
                                   "state": base64.b64encode(bytes(self.saveState())).decode()}
        self.persist_settings()

    def closeEvent(self, ev) -> None:
        if self._terminated:
            ev.accept()
            return
        if not self.project.maybe_save():
            ev.ignore()
            return
        self.shutdown()
        ev.accept()

    def shutdown(self, keep_autosave: bool = False) -> None:
        self.save_window_state()
        QApplication.instance().removeEventFilter(self)
        self.project.autosave_timer.stop()
        self.controller.shutdown()
        self.bindings.shutdown()
        if not keep_autosave:
            self.project.clean_exit()

    def terminate(self) -> None:
        """Quit at once without asking (SIGTERM, SIGINT, SIGHUP: see editor/app.py). Unsaved work stays in
        the autosave, which the next start offers to recover; a clean project leaves nothing behind."""
        if self._terminated:
            return
        self._terminated = True
        keep = self.project.is_dirty()
        if keep:
            self.project.autosave(force=True)
        self.shutdown(keep_autosave=keep)
        self.close()
        QApplication.instance().quit()

    def open_initial(self, path: str | Path | None) -> None:
        """What ``genie-studio [PROJECT_OR_IMAGE]`` opens: the argument, else the first example sketch."""
        if path is None:
            path = first_example()
            if path is None:
                return
            if self.project.open_path(path, ask=False):
                self.project.path = None
                self.project.mark_clean()
            return
        self.project.open_path(path, ask=False)
