"""Render the editor to a PNG (docs/editor.png): an example sketch, a few generated frames, the action cards.

    QT_QPA_PLATFORM=offscreen python -m genie_studio.editor.screenshot docs/editor.png [--model M] [--frames N]
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--model", default=None, help="model name or folder (default: the settings' model)")
    ap.add_argument("--sketch", default=None, help="image or project to open (default: first example)")
    ap.add_argument("--frames", type=int, default=12, help="frames to play before the shot")
    ap.add_argument("--action", default="right", help="action held while playing")
    args = ap.parse_args(argv)

    from PySide6.QtCore import QElapsedTimer
    from PySide6.QtWidgets import QApplication

    from genie_studio.editor.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    win = MainWindow(model=args.model)
    win.open_initial(args.sketch)
    win.show()

    def wait(cond, ms=60_000):
        t = QElapsedTimer()
        t.start()
        while not cond() and t.elapsed() < ms:
            app.processEvents()
        return cond()

    if wait(lambda: win.model_info is not None or win.last_error is not None) and win.model_info:
        wait(lambda: win.previews_shown >= 1)
        labels = win.palette.labels()
        win.controller.set_action(labels.index(args.action) if args.action in labels else 0)
        n = win.frames_shown
        win.toggle_play()
        wait(lambda: win.frames_shown >= n + args.frames)
        win.pause()
        wait(lambda: not win.playing, 5000)
    for _ in range(20):
        app.processEvents()
    ok = win.grab().save(args.out)
    win.project.mark_clean()
    win.shutdown()
    print(f"wrote {args.out}" if ok else f"could not write {args.out}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
