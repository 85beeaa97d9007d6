"""Starting the editor: the QApplication, the main window (which opens the first example sketch), crash recovery."""

from __future__ import annotations

import sys


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
