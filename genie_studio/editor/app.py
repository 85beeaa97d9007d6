"""Starting the editor: the QApplication, the main window (which opens the first example sketch), crash recovery.

SIGTERM (a logout, a process manager, ``kill``), SIGINT (Ctrl-C in the terminal) and SIGHUP make the
editor keep unsaved work in its autosave and quit without asking (``MainWindow.terminate``); the next
start offers to recover it. Python notes the signal and wakes Qt's event loop through
``signal.set_wakeup_fd``, so the window quits within one turn of the loop.
"""

from __future__ import annotations

import signal
import socket
import sys

QUIT_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n))


def run_editor(path: str | None = None, model: str | None = None, argv: list[str] | None = None) -> int:
    """Open the editor (blocking until it is closed); returns the exit status."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from genie_studio.editor.main_window import MainWindow

    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName("Genie Studio")
    app.setOrganizationName("genie-studio")
    holder: dict = {}
    restore = _quit_on_signals(app, lambda: holder["win"].terminate() if "win" in holder else app.quit())
    try:
        win = holder["win"] = MainWindow(model=model)
        win.open_initial(path)
        win.show()
        QTimer.singleShot(0, win.project.offer_recovery)
        return app.exec()
    finally:
        restore()


def _quit_on_signals(app, quit_now):
    """Call ``quit_now()`` on the UI thread, from Qt's event loop, when a quit signal arrives; returns a
    function that puts the previous handlers back."""
    from PySide6.QtCore import QSocketNotifier

    rsock, wsock = socket.socketpair()
    for sock in (rsock, wsock):
        sock.setblocking(False)
    old_fd = signal.set_wakeup_fd(wsock.fileno())
    old = {s: signal.signal(s, lambda *_: None) for s in QUIT_SIGNALS}  # the wakeup byte does the work
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read, app)
    done = []

    def woken() -> None:
        try:
            got = rsock.recv(64)
        except OSError:
            return
        if got and not done:
            done.append(True)
            quit_now()

    notifier.activated.connect(woken)

    def restore() -> None:
        notifier.setEnabled(False)
        signal.set_wakeup_fd(old_fd)
        for s, h in old.items():
            signal.signal(s, h)
        rsock.close()
        wsock.close()

    return restore
