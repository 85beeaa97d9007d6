"""Starting the editor: the QApplication, the main window, crash recovery, the first example sketch."""

from __future__ import annotations

import sys
from pathlib import Path


def first_example() -> Path | None:
    from genie_studio.resources import example_sketches

    files = example_sketches()
    return files[0] if files else None


def run_editor(path: str | None = None, model: str | None = None, argv: list[str] | None = None) -> int:
    """Open the editor (blocking until it is closed); returns the exit status."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from genie_studio.editor.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName("Genie Studio")
    app.setOrganizationName("genie-studio")
    win = MainWindow(model=model)
    win.open_initial(path)
    win.show()
    QTimer.singleShot(0, win.offer_recovery)
    return app.exec()
