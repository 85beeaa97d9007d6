"""Guard against a Qt binding that corrupts Python's reference counts (the editor would crash after a
few minutes of painting): PySide6 6.12.0 on CPython 3.11 drops a reference to None on every call of
a method that returns nothing. Pin ``pyside6-essentials<6.12`` (or use Python >= 3.12) until fixed."""

import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget


def test_void_calls_keep_none_refcount(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    t = QTimer()
    before = sys.getrefcount(None)
    for _ in range(200):
        w.update()
        t.stop()
    lost = before - sys.getrefcount(None)
    assert lost < 50, (f"PySide6 {pyside_version} on Python {sys.version.split()[0]} lost {lost} references to "
                       "None in 400 calls: the app will crash. Install pyside6-essentials<6.12")
