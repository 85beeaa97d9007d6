"""Opening the real editor window in a test: one helper for the tests that drive it end to end."""

from PySide6.QtWidgets import QMessageBox

from genie_studio.config import load_settings


def open_window(qtbot, model: str | None = None, settings: dict | None = None, wait_previews: bool = True):
    """A shown MainWindow with its model loaded (and its first action previews, unless told not to);
    unsaved-changes prompts answer Discard. The caller shuts it down."""
    from genie_studio.editor.main_window import MainWindow

    w = MainWindow(settings=load_settings() if settings is None else settings, model=model)
    qtbot.addWidget(w)
    w._ask = lambda *a: QMessageBox.StandardButton.Discard
    w.show()
    qtbot.waitUntil(lambda: w.model_info is not None or w.last_error is not None, timeout=15000)
    assert w.model_info is not None, w.last_error
    if wait_previews:
        qtbot.waitUntil(lambda: w.previews_shown >= 1, timeout=15000)
    else:
        qtbot.waitUntil(lambda: w.frames_shown >= 1, timeout=15000)  # the prompt frame
    return w
