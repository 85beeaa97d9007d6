"""The editor against a real world server on 127.0.0.1: frames arrive and the status bar shows the
server round trip; the local backend shows none."""

import re

import pytest
import torch

from genie_studio.config import load_settings
from genie_studio.remote.engine import Engine
from genie_studio.remote.limits import ServerConfig
from genie_studio.remote.thread import ServerThread
from tests.editor.windows import open_window

torch.set_num_threads(1)


@pytest.fixture
def server(model_dir):
    st = ServerThread(Engine.from_paths([model_dir], precision="fp32"), ServerConfig(port=0)).start()
    yield st
    st.stop()


def _open(qtbot, settings, model):
    return open_window(qtbot, model, settings, wait_previews=False)  # previews may still run


def test_remote_play_shows_the_server_round_trip(qtbot, server):
    settings = load_settings()
    settings.update(backend="remote", server_url=server.url, server_token_file="")
    w = _open(qtbot, settings, None)
    try:
        n = w.frames_shown
        w.step_world()
        qtbot.waitUntil(lambda: w.frames_shown == n + 1, timeout=15000)
        assert re.fullmatch(r"server round trip \d+ ms", w.rtt_status.text()), w.rtt_status.text()
        qtbot.waitUntil(lambda: w.previews_shown >= 1, timeout=30000)  # action cards, played on the server
        assert w.last_error is None
    finally:
        w.shutdown()


def test_local_play_shows_no_round_trip(qtbot, model_dir):
    w = _open(qtbot, load_settings(), str(model_dir))
    try:
        n = w.frames_shown
        w.step_world()
        qtbot.waitUntil(lambda: w.frames_shown == n + 1, timeout=15000)
        assert w.rtt_status.text() == ""
    finally:
        w.shutdown()
