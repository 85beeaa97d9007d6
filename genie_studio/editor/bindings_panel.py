"""The Controls panel: bindings per action, press-to-bind, conflicts, controllers, live input monitor.

It owns the editor's controls state: the profile of the loaded model (read and written through
:mod:`genie_studio.controls`, so the pygame player uses the same file), the held inputs of the Qt
keyboard (fed by the main window with :meth:`BindingsPanel.action_for`, whose answer is all the editor
sends: the profile is its only keymap) and of the gamepads, polled
from a QTimer through :class:`genie_studio.input.gamepads.Gamepads` in headless mode (pygame without a
window; joystick events keep arriving while this window has the focus). Every edit is saved at once.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genie_studio.controls import (
    HeldInputs,
    Profile,
    ProfileError,
    active_binding,
    analog_inputs,
    conflicts,
    default_profile,
    describe_chord,
    export_profile,
    import_profile,
    is_valid,
    load_profile,
    resolve,
    save_profile,
)
from genie_studio.editor.qt_keys import qt_key_name

log = logging.getLogger(__name__)
CAPTURE_TIMEOUT_S = 8.0


def _open_gamepads():
    try:
        from genie_studio.input.gamepads import Gamepads
        return Gamepads(headless=True), ""
    except Exception as e:  # no pygame/SDL here: the panel still edits keyboard bindings
        log.warning("gamepads unavailable: %s", e)
        return None, f"Gamepads unavailable: {e}"


class BindingsPanel(QWidget):
    actionChanged = Signal(int)  # the action the held inputs resolve to (idle included)
    profileChanged = Signal(object)  # a Profile, after every saved edit

    def __init__(self, parent=None, gamepads="auto", poll_ms: int = 16):
        super().__init__(parent)
        self.profile: Profile | None = None
        self.model = ""
        self.held = HeldInputs()
        self.current = -1
        self.capturing: int | None = None
        self._cap_base: frozenset = frozenset()
        self._cap_seen: dict[str, int] = {}
        self._cap_keys: set[str] = set()
        self._cap_start = 0.0
        self._devices: list[dict] | None = None
        if gamepads == "auto":
            self.gamepads, pad_note = _open_gamepads()
        else:
            self.gamepads, pad_note = gamepads, ""

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Action", "Bindings", "", ""])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.monitor = QLabel("Sending: -")
        self.monitor.setStyleSheet("font-weight: bold")
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #d08000")
        self.controllers = QListWidget()
        self.controllers.setMaximumHeight(70)
        self.pad_note = QLabel(pad_note)
        self.deadzone = QDoubleSpinBox(minimum=0.0, maximum=0.95, singleStep=0.05, decimals=2)
        self.threshold = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, decimals=2)
        self.deadzone.valueChanged.connect(lambda v: self._set_knob("deadzone", v))
        self.threshold.valueChanged.connect(lambda v: self._set_knob("trigger_threshold", v))
        buttons = QHBoxLayout()
        for text, slot in (("Reset to defaults", self.reset_defaults), ("Import…", self._import_dialog),
                           ("Export…", self._export_dialog)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        knobs = QFormLayout()
        knobs.addRow("Stick dead zone", self.deadzone)
        knobs.addRow("Trigger threshold", self.threshold)
        lay = QVBoxLayout(self)
        lay.addWidget(self.monitor)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.hint)
        lay.addWidget(self.warnings)
        lay.addLayout(buttons)
        lay.addLayout(knobs)
        lay.addWidget(QLabel("Controllers"))
        lay.addWidget(self.controllers)
        lay.addWidget(self.pad_note)
        self._refresh_devices()
        self.timer = QTimer(self, interval=poll_ms, timeout=self.poll)
        if self.gamepads is not None:
            self.timer.start()

    # ---- model and profile ------------------------------------------------------------------------
    def set_model(self, model: str, labels: list[str]) -> list[str]:
        """Load the model's profile (default, repaired or remapped); returns the warnings shown."""
        self.model = model
        self.profile, notes = load_profile(model, list(labels))
        self._rebuild()
        self._show_warnings(notes)
        self._emit_action()
        return notes

    def set_profile(self, profile: Profile, save: bool = True) -> None:
        self.profile = profile
        self.profile.model = self.model or profile.model
        if save:
            save_profile(self.profile)
        self._rebuild()
        self._show_warnings([])
        self.profileChanged.emit(self.profile)
        self._emit_action()

    def _changed(self, notes=()) -> None:
        save_profile(self.profile)
        self._rebuild()
        self._show_warnings(list(notes))
        self.profileChanged.emit(self.profile)
        self._emit_action()

    def bind(self, action: int, inputs) -> None:
        self.profile.bind(action, inputs)
        self._changed()

    def clear_action(self, action: int) -> None:
        self.profile.clear(action)
        self._changed()

    def reset_defaults(self) -> None:
        if self.profile is not None:
            self.set_profile(default_profile(self.profile.labels, self.model))

    def import_from(self, path) -> list[str]:
        prof, problems = import_profile(path, self.profile.labels, model=self.model)
        self.profile = prof
        self._changed(problems)
        return problems

    def export_to(self, path) -> None:
        export_profile(self.profile, path)

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import controls profile", "", "Profiles (*.json)")
        if path:
            try:
                self.import_from(path)
            except ProfileError as e:
                self._show_warnings([str(e)])

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export controls profile", f"{self.model}.json",
                                              "Profiles (*.json)")
        if path:
            self.export_to(path)

    def _set_knob(self, name: str, value: float) -> None:
        if self.profile is not None and abs(getattr(self.profile, name) - value) > 1e-9:
            setattr(self.profile, name, float(value))
            save_profile(self.profile)
            self.profileChanged.emit(self.profile)

    # ---- table --------------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        p = self.profile
        self.table.setRowCount(len(p.labels))
        for i, label in enumerate(p.labels):
            name = QTableWidgetItem(f"{i}: {label}" + ("  (idle)" if i == p.idle else ""))
            chords = [describe_chord(b.inputs) for b in p.bindings_for(i)]
            text = ", ".join(chords) if chords else ("(sent when nothing is held)" if i == p.idle else "(unbound)")
            self.table.setItem(i, 0, name)
            self.table.setItem(i, 1, QTableWidgetItem(text))
            bind, clear = QPushButton("Bind…"), QPushButton("Clear")
            bind.setToolTip("Press a key, a pad button, a stick direction or a chord, then let go")
            bind.clicked.connect(lambda _=False, a=i: self.begin_capture(a))
            clear.clicked.connect(lambda _=False, a=i: self.clear_action(a))
            self.table.setCellWidget(i, 2, bind)
            self.table.setCellWidget(i, 3, clear)
        for w, v in ((self.deadzone, p.deadzone), (self.threshold, p.trigger_threshold)):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        self.current = -1
        self._highlight(resolve(p, self.held.order))

    def bindings_text(self, action: int) -> str:
        return self.table.item(action, 1).text()

    def _show_warnings(self, notes: list[str]) -> None:
        msgs = list(notes) + (conflicts(self.profile) if self.profile else [])
        self.warnings.setText("\n".join("⚠ " + m for m in msgs))

    def _highlight(self, action: int) -> None:
        if action == self.current or self.profile is None:
            return
        self.current = action
        for r in range(self.table.rowCount()):
            color = QColor(60, 140, 60) if r == action else QColor(0, 0, 0, 0)
            for c in (0, 1):
                item = self.table.item(r, c)
                if item is not None:
                    item.setBackground(color)
        b = active_binding(self.profile, self.held.order)
        via = f"  ({describe_chord(b.inputs)})" if b else ""
        self.monitor.setText(f"Sending: {self.profile.labels[action]}{via}")

    # ---- live input ---------------------------------------------------------------------------------
    def action_for(self, key_names) -> int | None:
        """Held key names (with the pads' held inputs) -> the action the profile sends, by the rule the player
        uses (:func:`genie_studio.controls.resolve`: its idle action when nothing bound is held); None before
        a model's profile is loaded."""
        self.held.set_source("keyboard", {"key:" + k for k in key_names if is_valid("key:" + k)})
        self._emit_action()
        return None if self.profile is None else resolve(self.profile, self.held.order)

    def keys_by_action(self) -> list[list[str]]:
        """Per action, the keyboard bindings that send it ("Left", "1", "Right + Space"; single keys first)."""
        p = self.profile
        if p is None:
            return []
        keys = [[b.inputs for b in p.bindings_for(a) if all(i.startswith("key:") for i in b.inputs)]
                for a in range(len(p.labels))]
        return [[describe_chord(c) for c in sorted(cs, key=len)] for cs in keys]

    def binds_key(self, name: str) -> bool:
        """Whether some binding of the profile uses the key of this neutral name ("Left", "J")."""
        return self.profile is not None and any("key:" + name in b.inputs for b in self.profile.bindings)

    def poll(self) -> None:
        """Timer tick: read the gamepads, follow hot-plug, update the monitor and any capture."""
        if self.gamepads is not None:
            try:
                self.gamepads.pump()
                buttons, axes = self.gamepads.read()
            except Exception as e:  # never let a device problem take the editor down
                log.warning("gamepad poll failed: %s", e)
                buttons, axes = set(), {}
            p = self.profile
            dz, th = (p.deadzone, p.trigger_threshold) if p else (0.2, 0.5)
            self.held.set_source("gamepad", buttons | analog_inputs(axes, dz, th))
            self._refresh_devices()
        if self.capturing is not None:
            self._capture_tick()
        self._emit_action()

    def _emit_action(self) -> None:
        if self.profile is None:
            return
        a = resolve(self.profile, self.held.order)
        if a != self.current:
            self._highlight(a)
            self.actionChanged.emit(a)

    def _refresh_devices(self) -> None:
        devs = self.gamepads.connected() if self.gamepads is not None else []
        if devs != self._devices:
            self._devices = devs
            self.controllers.clear()
            for d in devs:
                self.controllers.addItem(f"{d['name']} ({'mapped' if d['kind'] == 'controller' else 'raw joystick'})")
            if not devs:
                self.controllers.addItem("no gamepad connected")

    # ---- press to bind ------------------------------------------------------------------------------
    def begin_capture(self, action: int) -> None:
        """Wait for an input or chord (pressed together, then released); Esc cancels."""
        self.capturing = action
        self._cap_base = frozenset(i for i in self.held.held if not i.startswith("key:"))
        self._cap_seen = {}
        self._cap_keys = set()
        self._cap_start = time.monotonic()
        self.hint.setText(f"Press the input for '{self.profile.labels[action]}' (hold several for a chord), "
                          "then let go. Esc cancels.")
        QApplication.instance().installEventFilter(self)  # installed last, so it sees keys first
        self.setFocus()

    def cancel_capture(self, why: str = "Cancelled") -> None:
        self.capturing = None
        QApplication.instance().removeEventFilter(self)
        self.hint.setText(why)

    def capture_key(self, name: str, down: bool) -> None:
        """A key seen during capture (from the event filter; tests call it directly)."""
        if self.capturing is None:
            return
        if name == "Escape" and down:
            self.cancel_capture()
            return
        (self._cap_keys.add if down else self._cap_keys.discard)("key:" + name)
        self._capture_tick()

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        t = ev.type()
        if self.capturing is not None and t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease,
                                                QEvent.Type.ShortcutOverride):
            if t == QEvent.Type.ShortcutOverride:
                ev.accept()
                return True
            name = qt_key_name(ev.key())
            if name is not None and not ev.isAutoRepeat():
                self.capture_key(name, t == QEvent.Type.KeyPress)
            return True
        return False

    def _capture_tick(self) -> None:
        pads = {i for i in self.held.held if not i.startswith("key:")} - self._cap_base
        now_held = pads | self._cap_keys
        for i in now_held:
            self._cap_seen.setdefault(i, len(self._cap_seen))
        self._cap_base = self._cap_base & frozenset(self.held.held)  # inputs held at start, once let go, count
        if self._cap_seen and not (now_held & set(self._cap_seen)):
            action = self.capturing
            chord = tuple(sorted(self._cap_seen, key=self._cap_seen.get))
            self.cancel_capture(f"Bound {describe_chord(chord)} to '{self.profile.labels[action]}'")
            self.bind(action, chord)
        elif time.monotonic() - self._cap_start > CAPTURE_TIMEOUT_S:
            self.cancel_capture("Nothing pressed: binding cancelled")

    def shutdown(self) -> None:
        self.timer.stop()
        if self.capturing is not None:
            self.cancel_capture()
        if self.gamepads is not None:
            self.gamepads.close()
