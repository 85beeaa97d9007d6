"""The Godot 3 GenieWorld node against a real `genie-studio serve` on loopback, in a real headless engine.

A GDScript (world_check_g3.gd) plays the addon's demo scene: it holds InputMap actions (ui_right, ...)
one step at a time, so the node's action map picks the latent action, and saves the frames it
receives. They must equal a local WorldSession's frames for the same prompt, seed and actions.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.remote.proxy import CuttableProxy

GODOT = shutil.which("godot3-server") or shutil.which("godot3")
pytestmark = pytest.mark.skipif(GODOT is None, reason="no Godot 3 engine installed (Debian: apt install godot3-server)")
ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "plugins" / "godot" / "godot3" / "addons"
TOKEN = "godot-test-token-0123456789"
# InputMap actions held for each step ("" = nothing held) and the labels the default action map gives them
HELD = ["ui_right", "ui_right", "ui_right", "ui_up", "ui_left", "", "ui_right", "ui_right"]
LABELS = {"ui_right": "right", "ui_left": "left", "ui_up": "jump", "": "noop"}
SEED = 7
SERVER_LOG: list = []


@pytest.fixture(scope="module")
def server(model_dir, tmp_path_factory):
    """`genie-studio serve` with the tiny test model, a token and fp32 on the CPU; yields its URL."""
    tmp = tmp_path_factory.mktemp("serve")
    (tmp / "token").write_text(TOKEN)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GENIE_STUDIO_HOME": str(tmp / "home"), "GENIE_STUDIO_COMPILE": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "genie_studio", "serve", "--port", "0", "--token-file",
                             str(tmp / "token"), "--model", str(model_dir), "--device", "cpu", "--precision", "fp32",
                             "--no-compile"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url, lines, deadline = None, [], time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line, f"serve exited early: {lines}"
            lines.append(line)
            event = json.loads(line)
            url = event.get("url") if event.get("event") == "listening" else None
        assert url, lines
        # keep draining the log (a full pipe would block the server); tests may read it
        threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True).start()
        SERVER_LOG[:] = [lines]
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def play(tmp_path: Path, url: str, token: str = TOKEN, encoding: str = "auto", cut=None,
         timeout=40) -> tuple[dict, Path]:
    """Run world_check_g3.gd in a fresh project with the addon; returns (result.json, out folder)."""
    project, out = tmp_path / "proj", tmp_path / "out"
    project.mkdir()
    out.mkdir()
    shutil.copytree(ADDON, project / "addons")
    shutil.copy(Path(__file__).with_name("world_check_g3.gd"), project / "check.gd")
    (project / "project.godot").write_text('config_version=4\n\n[application]\n\nconfig/name="genie-world-test"\n')
    config = {"url": url, "token": token, "seed": SEED, "encoding": encoding, "actions": HELD, "out": str(out),
              "timeout": timeout - 10}
    if cut is not None:
        config["cut_after"] = cut[0]
    (project / "check.json").write_text(json.dumps(config))
    proc = subprocess.Popen([GODOT, "--no-window", "--path", str(project), "-s", "check.gd"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if cut is not None:  # arm the proxy to cut the next reply (the step in flight), then let Godot go on
        deadline = time.monotonic() + timeout
        while not (out / "cut_ready").exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        cut[1].cut_on_reply.set()
        (out / "go").write_text("")
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        log, _ = proc.communicate()
    assert (out / "result.json").exists(), log
    print(log, "".join(SERVER_LOG[0][-40:]) if SERVER_LOG else "")
    return json.loads((out / "result.json").read_text()), out


def local_frames(model_dir, n):
    from genie_studio.session.world_session import WorldSession

    s = WorldSession(model_dir, device="cpu", steps=2, temperature=1.0, seed=SEED, precision="fp32")
    frames = [s.reset((ADDON / "genie_studio" / "demo" / "sketch.png").read_bytes())]
    frames += [s.step(LABELS[a]) for a in HELD[:n]]
    return frames, [s.action_index(LABELS[a]) for a in HELD[:n]]


def check_frames(result, out, model_dir):
    expected, actions = local_frames(model_dir, len(HELD))
    assert [f[0] for f in result["frames"]] == list(range(len(HELD) + 1)), result
    assert [f[1] for f in result["frames"]] == [-1] + actions
    for i, want in enumerate(expected):
        got = np.asarray(Image.open(out / f"frame_{i:03d}.png").convert("RGB"))
        assert got.shape == want.shape and np.array_equal(got, want), f"frame {i} differs"


@pytest.mark.parametrize("encoding", ["zlib", "auto"])
def test_godot3_world_plays_the_same_frames_as_a_local_session(server, model_dir, tmp_path, encoding):
    result, out = play(tmp_path, server, encoding=encoding)
    assert result["end"] == "done" and result["errors"] == [], result
    assert result["events"][:2] == ["connected", "opened"] and result["labels"] == ["noop", "left", "right", "jump"]
    check_frames(result, out, model_dir)


def test_godot3_world_wrong_token_emits_the_error_signal(server, tmp_path):
    result, out = play(tmp_path, server, token="wrong-token-wrong-token")
    assert result["end"] == "error" and result["errors"][0][0] == "auth_failed", result
    assert result["frames"] == [] and "opened" not in result["events"]
    assert any(e.startswith("disconnected") for e in result["events"])
    assert not list(out.glob("frame_*.png"))


def test_godot3_world_resumes_after_a_dropped_connection(server, model_dir, tmp_path):
    proxy = CuttableProxy(int(server.rsplit(":", 1)[1]))
    try:
        result, out = play(tmp_path, proxy.url, encoding="raw", cut=(3, proxy))
    finally:
        proxy.close()
    assert result["end"] == "done" and result["errors"] == [], result
    assert result["reconnects"] == 1 and result["replays"] == 0
    assert "disconnected" in " ".join(result["events"])
    check_frames(result, out, model_dir)
