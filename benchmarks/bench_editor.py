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
- frames/s held while playing (``--play-s`` seconds of Play at the editor's default 30 frames/s
  target, previews done) and the step latency then;
- one world step on its own and the time a full preview takes, for scale.

Settings go to a throwaway folder (GENIE_STUDIO_HOME), never the user's; the compiled graphs come
from the user's cache folder (session/compiled.py), as in a later run of the editor. If the cache
lacks them, the editor builds them in the background and ``--wait-compile`` waits for that first.
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
    ap.add_argument("--play-s", type=float, default=6.0, help="seconds of Play for the frames/s held")
    ap.add_argument("--wait-compile", action="store_true", help="first wait for a first run's compilation")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from genie_studio.config import paths

    user_cache = paths().cache
    home = tempfile.TemporaryDirectory(prefix="genie-bench-editor-")
    os.environ["GENIE_STUDIO_HOME"] = home.name
    user_cache.mkdir(parents=True, exist_ok=True)
    os.symlink(user_cache, Path(home.name) / "cache")  # a later run's compiled graphs

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
            time.sleep(0.002)  # a tighter poll would take CPU from the world worker on a 2-core machine
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
    statuses = []
    worker.compileStatus.connect(statuses.append)
    model = win.model_info["model"]
    from genie_studio.session import compiled

    def is_compiled():
        return compiled.frame_step(model, win.model_info["device"], worker.session.precision, 1,
                                   worker.session.context)[0].compiled
    compiled_at_launch = is_compiled()
    if args.wait_compile:
        wait(is_compiled, 600)

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
    stamps, step_costs = [], []
    win.controller.worker.frameReady.connect(lambda *a: (stamps.append(time.perf_counter()),
                                                         step_costs.append(worker._step_s)))
    win.toggle_play()
    from PySide6.QtCore import QEventLoop, QTimer

    cpu0 = time.thread_time()
    loop = QEventLoop()  # the real event loop while playing, as the editor runs it
    QTimer.singleShot(int(args.play_s * 1000), loop.quit)
    loop.exec()
    ui_cpu = (time.thread_time() - cpu0) / args.play_s  # the UI thread's share of one core while playing
    win.pause()
    wait(lambda: not win.playing, 60)
    gaps = sorted(b - a for a, b in zip(stamps[1:], stamps[2:]))  # the first frame answers the press
    held_fps = len(gaps) / sum(gaps) if gaps else 0.0
    gap_p95 = gaps[int(0.95 * (len(gaps) - 1))] * 1000 if gaps else 0.0
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
           "playing": {"seconds": args.play_s, "target_fps": win.settings.get("fps"),
                       "world_step_p50_ms": round(statistics.median(step_costs[2:] or [0]) * 1000, 1),
                       "ui_thread_cpu": round(ui_cpu, 3),
                       "frames_per_s": round(held_fps, 2), "frame_gap_p95_ms": round(gap_p95, 1)},
           "compiled_at_launch": compiled_at_launch, "compiled": is_compiled(), "compile_status": statuses[-1:],
           "torch_threads": __import__("torch").get_num_threads()}
    win.project.mark_clean()
    win.canvas.undo_stack.setClean()
    win.shutdown()
    home.cleanup()
    if args.json:
        print(json.dumps(res))
    else:
        p, pl = res["play_to_first_frame_ms"], res["playing"]
        print(f"model {res['model']} on {res['device']}, {res['torch_threads']} torch threads\n"
              f"launch -> model loaded          {res['launch_to_model_loaded_s']:.2f} s\n"
              f"launch -> playable world        {res['launch_to_playable_s']:.2f} s "
              f"(previews pending then: {previews_pending_at_launch})\n"
              f"Play -> first frame, previews pending: median {p['median']:.0f} ms, max {p['max']:.0f} ms, "
              f"min {p['min']:.0f} ms over {p['rounds']} presses (pending at the frame: "
              f"{res['previews_pending_at_first_frame']})\n"
              f"playing {args.play_s:.0f} s (target {res['playing']['target_fps']}/s): "
              f"{pl['frames_per_s']:.1f} frames/s, frame gap p95 {pl['frame_gap_p95_ms']:.0f} ms, "
              f"world step p50 {pl['world_step_p50_ms']:.0f} ms, UI thread {pl['ui_thread_cpu']:.0%} of a core\n"
              f"                                  "
              f"(compiled graphs: {res['compiled']}, at launch: {compiled_at_launch})\n"
              f"one Step -> frame                {res['step_ms']:.0f} ms\n"
              f"one full preview (all actions)   {res['full_preview_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
