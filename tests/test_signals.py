"""Issue #15, defect 11: the real processes stop cleanly on SIGTERM and Ctrl-C (SIGINT).

SDL used to install its own SIGINT/SIGTERM handlers when pygame started for gamepads, turning them
into an SDL_QUIT event that the Qt editor never reads, so `kill PID` left the editor running. The
editor now keeps unsaved work in its autosave and quits; `play --window` and `serve` exit with 0.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _env(tmp_path):
    return {**os.environ, "GENIE_STUDIO_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1",
            "GENIE_STUDIO_COMPILE": "0", "QT_QPA_PLATFORM": "offscreen", "SDL_VIDEODRIVER": "dummy",
            "SDL_AUDIODRIVER": "dummy"}


def _start(args, tmp_path):
    return subprocess.Popen([sys.executable, "-m", "genie_studio", *args], cwd=ROOT, env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for(cond, proc, seconds=90):
    deadline = time.monotonic() + seconds
    while not cond():
        assert proc.poll() is None, f"exited early ({proc.returncode}): {proc.stderr.read()}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _stop(proc, sig):
    proc.send_signal(sig)
    try:
        return proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _prompt(tmp_path) -> Path:
    img = np.full((32, 64, 3), 235, np.uint8)
    img[24:, :] = (40, 160, 60)
    img[10:20, 20:30] = (220, 40, 40)
    f = tmp_path / "level.png"
    Image.fromarray(img).save(f)
    return f


def test_editor_autosaves_and_quits_on_sigterm(tmp_path, model_dir):
    from genie_studio.project.document import image_for_canvas, load_project

    prompt = _prompt(tmp_path)
    settings = tmp_path / "home" / "config" / "settings.json"
    proc = _start(["edit", str(prompt), "--model", str(model_dir)], tmp_path)

    def opened():  # the editor lists the image in its recent files once it has opened it (unsaved work)
        try:
            return str(prompt.resolve()) in json.loads(settings.read_text()).get("recent_files", [])
        except (OSError, ValueError):
            return False

    _wait_for(opened, proc)
    assert _stop(proc, signal.SIGTERM) == 0
    saved = tmp_path / "home" / "data" / "autosave" / f"autosave-{proc.pid}.genie"
    assert saved.exists(), list(saved.parent.glob("*"))
    assert np.array_equal(load_project(saved).sketch, image_for_canvas(prompt, 256))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_play_window_exits_cleanly(tmp_path, model_dir, sig):
    proc = _start(["play", str(_prompt(tmp_path)), "--window", "--model", str(model_dir), "--no-compile"], tmp_path)
    lines = []

    def playing():
        lines.append(proc.stderr.readline())
        return "in a window" in lines[-1]

    _wait_for(playing, proc)
    time.sleep(0.3)  # a few frames in
    assert _stop(proc, sig) == 0, lines + [proc.stderr.read()]


def test_serve_exits_cleanly_on_ctrl_c(tmp_path, model_dir):
    proc = _start(["serve", "--port", "0", "--model", str(model_dir), "--device", "cpu", "--no-compile"], tmp_path)
    events = []

    def listening():
        events.append(json.loads(proc.stderr.readline() or "{}").get("event"))
        return events[-1] == "listening"

    _wait_for(listening, proc)
    assert _stop(proc, signal.SIGINT) == 0
    events += [json.loads(x).get("event") for x in proc.stderr.read().splitlines() if x.strip()]
    assert "signal" in events and "stopped" in events
