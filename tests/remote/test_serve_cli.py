"""`genie-studio serve` end to end: refusals, token file, JSON logs, graceful SIGTERM."""

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from genie_studio.cli import main
from genie_studio.remote.remote_session import RemoteSession
from genie_studio.remote.wire import RemoteError
from genie_studio.session.devices import resolve_precision
from tests.remote.conftest import prompt_png

ROOT = Path(__file__).resolve().parents[2]


def test_refusals(capsys, tmp_path):
    assert main(["serve", "--host", "0.0.0.0"]) == 1
    assert "refusing to listen on 0.0.0.0 without --token-file" in capsys.readouterr().err
    (tmp_path / "short").write_text("abc")
    assert main(["serve", "--token-file", str(tmp_path / "short")]) == 1
    assert "at least 16 characters" in capsys.readouterr().err
    assert main(["serve", "--tls-cert", "c.pem", "--token-file", str(tmp_path / "t")]) == 1
    assert "TLS needs both" in capsys.readouterr().err
    assert main(["serve", "--max-rewind", "0"]) == 1
    assert "--max-rewind must be at least 1" in capsys.readouterr().err


def test_serve_command_end_to_end(tmp_path, model_dir):
    token_file = tmp_path / "token"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GENIE_STUDIO_COMPILE": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "genie_studio", "serve", "--port", "0", "--token-file",
                             str(token_file), "--model", str(model_dir), "--device", "cpu", "--no-compile"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    try:
        deadline = time.monotonic() + 120
        url = None
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            assert line, f"serve exited early: {lines}"
            lines.append(line)
            event = json.loads(line)  # every log line is JSON
            url = event.get("url") if event["event"] == "listening" else None
        assert url and url.startswith("ws://127.0.0.1:")
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        with pytest.raises(RemoteError):
            RemoteSession(url, token="wrong-token-wrong-token")
        r = RemoteSession.from_token_file(url, token_file)
        assert r.reset(prompt_png()).shape == (16, 16, 3)
        assert r.step("jump").shape == (16, 16, 3) and np.isfinite(r.ping())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        time.sleep(0.1)
        assert r.notice and r.notice["type"] == "shutdown"
        r.reconnect_timeout = 0.2
        with pytest.raises(RemoteError) as e:
            r.step("left")
        assert e.value.code == "unreachable"
        r.close()
    finally:
        if proc.poll() is None:
            proc.kill()
        lines += proc.stderr.read().splitlines()
    events = [json.loads(line)["event"] for line in lines if line.strip()]
    assert {"token_created", "listening", "connected", "auth_failed", "session_opened", "signal", "shutdown",
            "stopped"} <= set(events)


def test_play_make_session_hook(make_server, tmp_path, model_dir):
    from genie_studio.cli import CommandError, build_parser
    from genie_studio.commands.play import make_session
    from genie_studio.remote.remote_session import RemoteSession
    from genie_studio.session.world_session import WorldSession
    from tests.remote.conftest import TOKEN

    st = make_server()
    (tmp_path / "t").write_text(TOKEN)
    parse = build_parser().parse_args
    s = make_session(parse(["play", "p.png", "--server", st.url, "--token-file", str(tmp_path / "t"), "--seed", "3",
                            "--steps", "2"]))
    assert isinstance(s, RemoteSession) and (s.seed, s.steps) == (3, 2)
    s.close()
    with pytest.raises(CommandError, match="auth_failed"):
        make_session(parse(["play", "p.png", "--server", st.url]))
    with pytest.raises(CommandError, match="needs --server"):
        make_session(parse(["play", "p.png", "--token-file", "t"]))
    local = make_session(parse(["play", "p.png", "--model", str(model_dir), "--device", "cpu"]))
    assert isinstance(local, WorldSession) and local.precision == resolve_precision("auto", "cpu")
