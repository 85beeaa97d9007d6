"""How soon the editor answers (issue #19, item 4): drives the real editor window (offscreen by default).

    python benchmarks/bench_editor.py                          # the default model (sketchworld-tiny)
    python benchmarks/bench_editor.py --model PATH --rounds 10 --json

Reports
- launch -> playable world: from the start of this script (before Qt, torch and the editor are
  imported) until the first world frame is on screen and Play is enabled: model load included,
  action previews excluded (they start then, in the background);
- press Play -> first new frame while the action previews are still being computed, over
  ``--rounds`` presses (each round asks for fresh previews, lets them run a moment, presses Play,
  waits for the frame, then pauses); ``pending`` says whether the previews were indeed unfinished
  when the frame arrived;
- one world step on its own and the time a full preview takes, for scale.

Settings go to a throwaway folder (GENIE_STUDIO_HOME), never the user's.
"""

from __future__ import annotations

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--model", default=None, help="model name or folder (default: the default model)")
    ap.add_argument("--rounds", type=int, default=10, help="Play presses with previews pending")
    ap.add_argument("--settle-ms", type=int, default=300, help="how long previews run before each press")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.TemporaryDirectory(prefix="genie-bench-editor-")
    os.environ["GENIE_STUDIO_HOME"] = home.name

    from PySide6.QtWidgets import QApplication

    from genie_studio.config import load_settings
    from genie_studio.editor.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])

    def wait(cond, s=300.0):
        end = time.perf_counter() + s
        while not cond():
            if time.perf_counter() > end:
                raise SystemExit("timed out waiting for the editor")
            app.processEvents()
            time.sleep(0.0005)
        return time.perf_counter()

    win = MainWindow(settings=load_settings(), model=args.model)
    win.open_initial(None)
    win.show()
    wait(lambda: win.model_info is not None or win.last_error is not None)
    if win.model_info is None:
        raise SystemExit(f"no model: {win.last_error}")
    t_loaded = time.perf_counter()
    t_playable = wait(lambda: win.frames_shown >= 1 and win.play_view.play_btn.isEnabled())
    worker = win.controller.worker
    previews_pending_at_launch = worker.previews_pending

    presses, pending = [], []
    for _ in range(args.rounds):
        win.request_previews()
        wait(lambda: worker.previews_pending)
        end = time.perf_counter() + args.settle_ms / 1000
        wait(lambda end=end: time.perf_counter() > end)
        n = win.frames_shown
        t = time.perf_counter()
        win.toggle_play()
        t_frame = wait(lambda n=n: win.frames_shown > n, 60)
        presses.append((t_frame - t) * 1000)
        pending.append(worker.previews_pending)
        win.pause()
        wait(lambda: not win.playing, 60)
    n = win.frames_shown
    t = time.perf_counter()
    win.step_world()
    step_ms = (wait(lambda: win.frames_shown > n, 60) - t) * 1000
    wait(lambda: not worker.previews_pending)  # the last round's previews, now that nothing plays
    end = time.perf_counter() + 0.5
    wait(lambda: time.perf_counter() > end)  # their clips reach the window
    n = win.previews_shown
    t = time.perf_counter()
    win.request_previews()
    preview_s = wait(lambda: win.previews_shown > n) - t

    res = {"model": win.model_info["name"], "device": win.model_info["device"],
           "launch_to_model_loaded_s": round(t_loaded - T_START, 2),
           "launch_to_playable_s": round(t_playable - T_START, 2),
           "previews_pending_when_playable": previews_pending_at_launch,
           "play_to_first_frame_ms": {"rounds": len(presses), "median": round(statistics.median(presses), 1),
                                      "max": round(max(presses), 1), "min": round(min(presses), 1)},
           "previews_pending_at_first_frame": f"{sum(pending)}/{len(pending)}",
           "step_ms": round(step_ms, 1), "full_preview_s": round(preview_s, 2),
           "torch_threads": __import__("torch").get_num_threads()}
    win._meta_dirty = False
    win.canvas.undo_stack.setClean()
    win.shutdown()
    home.cleanup()
    if args.json:
        print(json.dumps(res))
    else:
        p = res["play_to_first_frame_ms"]
        print(f"model {res['model']} on {res['device']}, {res['torch_threads']} torch threads\n"
              f"launch -> model loaded          {res['launch_to_model_loaded_s']:.2f} s\n"
              f"launch -> playable world        {res['launch_to_playable_s']:.2f} s "
              f"(previews pending then: {previews_pending_at_launch})\n"
              f"Play -> first frame, previews pending: median {p['median']:.0f} ms, max {p['max']:.0f} ms, "
              f"min {p['min']:.0f} ms over {p['rounds']} presses (pending at the frame: "
              f"{res['previews_pending_at_first_frame']})\n"
              f"one Step -> frame                {res['step_ms']:.0f} ms\n"
              f"one full preview (all actions)   {res['full_preview_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
