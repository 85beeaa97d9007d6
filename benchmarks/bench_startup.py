"""Start-up, compiled and eager, side by side in one run (issue #27): how long until a `play` is ready to
step and until it has written its clip, on a first run (an empty cache) and later ones, and how long
until the editor shows its first frame.

    python benchmarks/bench_startup.py                  # sketchworld-tiny, 3 warm pairs
    python benchmarks/bench_startup.py --pairs 5 --json

Every figure is a fresh process, timed from its start by this script, in a throwaway GENIE_STUDIO_HOME:

- cold compiled: the first `play` with compiling on (the cache is empty: it plays eagerly and starts the
  build process), then how long that background build took until the graphs were ready;
- cold eager: the same with --no-compile before anything was built;
- warm compiled / warm eager: after the build, in alternating pairs (medians): `play ... --out x.gif`
  end to end, and "ready": the same settings opened and reset with the prompt (open_session + reset);
- editor: launch to the first frame shown (offscreen Qt), warm.

The machine's load average is printed before and after: on a shared machine, compare within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROMPT = "sketch_01_256x256"
READY = """
import sys, time
t0 = float(sys.argv[1])
from genie_studio.commands._common import resolve_prompt
from genie_studio.knobs import Knobs
from genie_studio.local_or_remote import SessionSettings, open_session
s = open_session(SessionSettings(knobs=Knobs(model=sys.argv[2], compile=sys.argv[3] == "1")))
s.reset(resolve_prompt(sys.argv[4]))
print(time.time() - t0, time.process_time())
"""
EDITOR = """
import sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from genie_studio.config import load_settings
from genie_studio.editor.main_window import MainWindow
w = MainWindow(settings=load_settings(), model=sys.argv[2])
w.show()
seen = {}
def check():
    if w.frames_shown >= 1 or w.last_error is not None:  # the prompt frame is on screen: Play works
        seen.setdefault("t", time.time() - t0)
        app.quit()
timer = QTimer(interval=5, timeout=check)
timer.start()
app.exec()
w.shutdown()
print(seen["t"] if w.last_error is None else -1)
"""


def _env(home: Path) -> dict:
    env = dict(os.environ, GENIE_STUDIO_HOME=str(home), QT_QPA_PLATFORM="offscreen", SDL_VIDEODRIVER="dummy",
               SDL_AUDIODRIVER="dummy")
    env.pop("GENIE_STUDIO_COMPILE", None)
    return env


def play(home: Path, model: str, compiled: bool, out: Path) -> float:
    cmd = [sys.executable, "-m", "genie_studio", "play", PROMPT, "--model", model, "--actions", "right*8",
           "--out", str(out), "--json"] + ([] if compiled else ["--no-compile"])
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def ready(home: Path, model: str, compiled: bool) -> tuple[float, float]:
    """(seconds from launch until the session is reset and can step, CPU seconds the process used by then:
    what the same start needs on an idle machine, give or take the second thread)."""
    out = subprocess.run([sys.executable, "-c", READY, repr(time.time()), model, "1" if compiled else "0", PROMPT],
                         check=True, env=_env(home), capture_output=True, text=True)
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def editor(home: Path, model: str) -> float:
    out = subprocess.run([sys.executable, "-c", EDITOR, repr(time.time()), model], check=True, env=_env(home),
                         capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def wait_for_build(home: Path) -> float:
    """Seconds until the background build process lets go of its lock (it holds it while it builds)."""
    from genie_studio import oslock
    from genie_studio.session.compile_job import build_lock

    os.environ["GENIE_STUDIO_HOME"] = str(home)
    t = time.perf_counter()
    with oslock.wait_lock(build_lock()):
        pass
    return time.perf_counter() - t


def load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="sketchworld-tiny")
    p.add_argument("--pairs", type=int, default=3, help="warm runs of each, alternating")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    res: dict = {"model": args.model, "load_before": load()}
    with tempfile.TemporaryDirectory() as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "x.gif"
        res["cold_eager_play_s"] = play(home, args.model, False, out)
        t0 = time.perf_counter()
        res["cold_compiled_play_s"] = play(home, args.model, True, out)
        res["cold_build_after_play_s"] = wait_for_build(home)
        res["cold_graphs_ready_s"] = time.perf_counter() - t0
        runs: dict = {k: [] for k in ("warm_compiled_play_s", "warm_eager_play_s", "warm_compiled_ready_s",
                                      "warm_eager_ready_s", "warm_compiled_ready_cpu_s", "warm_eager_ready_cpu_s",
                                      "editor_first_frame_s")}
        for _ in range(args.pairs):
            runs["warm_compiled_play_s"].append(play(home, args.model, True, out))
            runs["warm_eager_play_s"].append(play(home, args.model, False, out))
            for kind, flag in (("compiled", True), ("eager", False)):
                wall, cpu = ready(home, args.model, flag)
                runs[f"warm_{kind}_ready_s"].append(wall)
                runs[f"warm_{kind}_ready_cpu_s"].append(cpu)
            runs["editor_first_frame_s"].append(editor(home, args.model))
        res.update({k: statistics.median(v) for k, v in runs.items()})
        res["runs"] = runs
        verdicts = sorted(home.glob("cache/compiled/*/*/*.json"))
        res["verdicts"] = {v.name: json.loads(v.read_text()) for v in verdicts}
    res["load_after"] = load()
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"model {res['model']}; load average {res['load_before']} before, {res['load_after']} after")
    print(f"  cold (empty cache): eager play {res['cold_eager_play_s']:.1f} s; compiled play "
          f"{res['cold_compiled_play_s']:.1f} s (eager, building meanwhile); graphs ready "
          f"{res['cold_graphs_ready_s']:.1f} s after its start")
    print(f"  warm play (8 frames to a GIF, median of {args.pairs}): compiled {res['warm_compiled_play_s']:.1f} s, "
          f"eager {res['warm_eager_play_s']:.1f} s")
    print(f"  warm ready to step: compiled {res['warm_compiled_ready_s']:.2f} s "
          f"({res['warm_compiled_ready_cpu_s']:.2f} s CPU), eager {res['warm_eager_ready_s']:.2f} s "
          f"({res['warm_eager_ready_cpu_s']:.2f} s CPU)")
    print(f"  editor: first frame {res['editor_first_frame_s']:.2f} s after launch")
    for name, v in res["verdicts"].items():
        print(f"  {name}: compiled {v['compiled_ms']} ms vs eager {v['eager_ms']} ms (load {v.get('load_average')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
