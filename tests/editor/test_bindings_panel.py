"""The Controls panel with a real virtual pad: live monitor, press-to-bind, conflicts, persistence."""

import json

import pytest
from PySide6.QtCore import Qt

from genie_studio.controls import load_profile, profile_path
from genie_studio.editor.bindings_panel import BindingsPanel
from genie_studio.editor.qt_keys import qt_key_name
from genie_studio.input.gamepads import Gamepads
from tests.input.virtual_pad import GAMECONTROLLER, VirtualPad

LABELS = ["noop", "left", "right", "jump"]


@pytest.fixture
def panel(qtbot):
    p = BindingsPanel(gamepads=Gamepads(headless=True), poll_ms=5)
    qtbot.addWidget(p)
    p.set_model("tiny-test", LABELS)
    yield p
    p.shutdown()


@pytest.fixture
def pad():
    v = VirtualPad(GAMECONTROLLER)
    yield v
    v.unplug()


def test_qt_keys_use_the_neutral_names():
    assert qt_key_name(Qt.Key.Key_Left) == "Left" and qt_key_name(Qt.Key.Key_A) == "A"
    assert qt_key_name(Qt.Key.Key_5) == "5" and qt_key_name(Qt.Key.Key_F5) == "F5"
    assert qt_key_name(Qt.Key.Key_Space) == "Space" and qt_key_name(Qt.Key.Key_Menu) is None


def test_table_monitor_and_controllers(panel, pad, qtbot):
    assert panel.table.rowCount() == 4 and "(idle)" in panel.table.item(0, 0).text()
    assert "Pad D-pad Left" in panel.bindings_text(1) and "Space" in panel.bindings_text(3)
    qtbot.waitUntil(lambda: "Virtual Controller" in panel.controllers.item(0).text(), timeout=3000)
    sent = []
    panel.actionChanged.connect(sent.append)
    pad.button("dpright")
    qtbot.waitUntil(lambda: sent[-1:] == [2], timeout=3000)
    assert panel.monitor.text() == "Sending: right  (Pad D-pad Right)"
    assert panel.table.item(2, 0).background().color().green() == 140
    pad.button("dpright", False)
    qtbot.waitUntil(lambda: sent[-1:] == [0], timeout=3000)
    assert panel.action_for({"Left"}) == 1 and sent[-1] == 1  # Qt keyboard, same profile
    assert panel.action_for({"Q"}) == 0  # nothing bound held: the idle action, as in the player
    pad.unplug()
    qtbot.waitUntil(lambda: panel.controllers.item(0).text() == "no gamepad connected", timeout=3000)


def test_press_to_bind_a_pad_button_saves_at_once(panel, pad, qtbot):
    panel.begin_capture(3)
    pad.button("b")
    qtbot.wait(30)
    assert panel.capturing == 3  # still held: a chord may follow
    pad.button("b", False)
    qtbot.waitUntil(lambda: panel.capturing is None, timeout=3000)
    assert "Pad B" in panel.bindings_text(3) and "Bound Pad B" in panel.hint.text()
    saved = json.loads(profile_path("tiny-test").read_text())
    assert {"action": 3, "label": "jump", "inputs": ["pad:b"]} in saved["bindings"]
    sent = []
    panel.actionChanged.connect(sent.append)
    pad.button("b")
    qtbot.waitUntil(lambda: sent[-1:] == [3], timeout=3000)  # works at once
    pad.button("b", False)
    again, _ = load_profile("tiny-test", LABELS)  # and after a restart
    assert ("pad:b",) in {b.inputs for b in again.bindings_for(3)}


def test_press_to_bind_a_keyboard_chord_and_conflicts(panel):
    panel.begin_capture(1)
    panel.capture_key("Shift", True)
    panel.capture_key("J", True)
    panel.capture_key("J", False)
    assert panel.capturing == 1
    panel.capture_key("Shift", False)
    assert panel.capturing is None and "Shift + J" in panel.bindings_text(1)
    panel.begin_capture(2)
    panel.capture_key("Escape", True)
    assert panel.capturing is None and panel.hint.text() == "Cancelled"
    panel.begin_capture(2)
    panel.capture_key("Left", True)
    panel.capture_key("Left", False)
    assert "'left'" in panel.warnings.text() and "'right'" in panel.warnings.text()
    panel.clear_action(2)
    assert panel.bindings_text(2) == "(unbound)" and panel.warnings.text() == ""


def test_reset_import_export_and_knobs(panel, tmp_path):
    panel.clear_action(3)
    panel.export_to(tmp_path / "mine.json")
    panel.reset_defaults()
    assert "Space" in panel.bindings_text(3)
    problems = panel.import_from(tmp_path / "mine.json")
    assert problems == [] and panel.bindings_text(3) == "(unbound)"
    panel.deadzone.setValue(0.35)
    assert load_profile("tiny-test", LABELS)[0].deadzone == pytest.approx(0.35)


def test_corrupt_profile_warns_in_the_panel(qtbot):
    f = profile_path("tiny-test")
    f.parent.mkdir(parents=True)
    f.write_text("{oops")
    p = BindingsPanel(gamepads=None)
    qtbot.addWidget(p)
    notes = p.set_model("tiny-test", LABELS)
    assert len(notes) == 1 and "corrupt-" in p.warnings.text()
    assert "Space" in p.bindings_text(3)
    p.shutdown()


def test_main_window_plays_with_the_pad_and_a_rebinding(qtbot, tmp_path, pad):
    """Issue #8 'done when': the d-pad steers the editor's world; a rebinding works at once and after a restart."""
    from genie_studio.config import load_settings
    from genie_studio.editor.main_window import MainWindow
    from genie_studio.world.tiny import save_world, tiny_world

    save_world(tiny_world(), tmp_path / "tiny")

    def window():
        w = MainWindow(settings=load_settings(), model=str(tmp_path / "tiny"))
        qtbot.addWidget(w)
        qtbot.waitUntil(lambda: w.model_info is not None, timeout=15000)
        return w

    w = window()
    try:
        action = lambda: w.controller.worker.action  # noqa: E731
        pad.button("dpright")
        qtbot.waitUntil(lambda: action() == 2, timeout=3000)
        pad.button("dpright", False)
        qtbot.waitUntil(lambda: action() == 0, timeout=3000)
        w.bindings.clear_action(3)
        w.bindings.bind(3, "pad:x")
        pad.button("x")
        qtbot.waitUntil(lambda: action() == 3, timeout=3000)
        pad.button("x", False)
        qtbot.waitUntil(lambda: action() == 0, timeout=3000)
        w.bindings.bind(1, "key:J")  # a key the default profile does not bind
        w.canvas.setFocus()
        qtbot.keyPress(w.canvas, Qt.Key.Key_J)
        assert action() == 1
        qtbot.keyRelease(w.canvas, Qt.Key.Key_J)
        assert action() == 0
    finally:
        w.shutdown()
    w2 = window()
    try:
        assert w2.bindings.bindings_text(3) == "Pad X"
        pad.button("x")
        qtbot.waitUntil(lambda: w2.controller.worker.action == 3, timeout=3000)
        pad.button("x", False)
    finally:
        w2.shutdown()
