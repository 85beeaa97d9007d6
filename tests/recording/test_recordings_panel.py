import numpy as np
import pytest

pytest.importorskip("pytestqt")

from genie_studio.editor.recordings_panel import RecordControls, RecordingsPanel  # noqa: E402
from genie_studio.recording import Recording  # noqa: E402

KW = dict(model={"name": "m", "config_sha256": "0" * 64, "path": None}, prompt=np.zeros((8, 8, 3), np.uint8),
          labels=["noop", "right"], resolution=(8, 8))


def test_record_controls_and_panel(qtbot, tmp_path):
    controls = RecordControls(folder=tmp_path)
    qtbot.addWidget(controls)
    controls.device.setCurrentIndex(0)  # no voice-over
    with qtbot.waitSignal(controls.recordingStarted):
        controls.start(tmp_path / "take1", **KW)
    for i in range(5):
        controls.add_frame(np.full((8, 8, 3), i, np.uint8), None if i == 0 else 1, ["Right"])
    qtbot.wait(250)
    assert "5 frames" in controls.timer_label.text() and controls.button.text() == "■ Stop"
    with qtbot.waitSignal(controls.recordingStopped):
        controls.button.click()
    assert len(Recording(tmp_path / "take1")) == 5 and not controls.recording

    panel = RecordingsPanel(folder=tmp_path)
    qtbot.addWidget(panel)
    assert panel.list.count() == 1 and "5 frames" in panel.list.item(0).text()
    new = panel.rename_selected("Best run")
    assert new == tmp_path / "Best run" and "Best run" in panel.list.item(0).text()
    panel.play_selected()
    qtbot.waitUntil(lambda: panel._playing[1] == 5, timeout=3000)
    with qtbot.waitSignal(panel.exportRequested):
        panel.buttons["Export…"].click()
    assert panel.delete_selected(confirm=False) and panel.list.count() == 0 and not new.exists()


def test_record_in_the_main_window_then_replay_and_export(qtbot, model_dir, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from genie_studio.config import load_settings
    from genie_studio.editor.main_window import MainWindow
    from genie_studio.export import ExportOptions, builtin_registry
    from genie_studio.recording import replay

    w = MainWindow(settings=load_settings(), model=str(model_dir))
    qtbot.addWidget(w)
    w._ask = lambda *a: QMessageBox.StandardButton.Discard
    w.show()
    try:
        qtbot.waitUntil(lambda: w.model_info is not None and w.previews_shown >= 1, timeout=20000)
        c = w.record_controls
        c.device.setCurrentIndex(0)
        with qtbot.waitSignal(c.recordingStarted, timeout=5000):
            c.button.click()
        n0 = w.frames_shown
        qtbot.waitUntil(lambda: w.frames_shown > n0, timeout=10000)  # the prompt frame after the reset
        for _ in range(3):
            n = w.frames_shown
            w.step_world()
            qtbot.waitUntil(lambda n=n: w.frames_shown > n, timeout=10000)
        with qtbot.waitSignal(c.recordingStopped, timeout=5000) as sig:
            c.button.click()
        rec = Recording(sig.args[0])
        assert len(rec) == 4 and rec.actions[0] is None
        assert w.recordings_panel.list.count() == 1
        frames = list(rec.frames())
        assert all(np.array_equal(a, b) for a, b in zip(replay(rec), frames))
        out = builtin_registry().get("gif").export(rec, tmp_path / "take.gif", ExportOptions(scale=2))[0]
        assert out.exists()
    finally:
        w.shutdown()
