"""Reconnecting: a dropped connection resumes the session; a restarted server gets it replayed."""

import threading
import time

import numpy as np
import pytest

from genie_studio.knobs import Knobs
from genie_studio.remote.engine import Engine
from genie_studio.remote.limits import ServerConfig
from genie_studio.remote.remote_session import RemoteSession
from genie_studio.remote.thread import ServerThread
from genie_studio.session.world_session import WorldSession
from genie_studio.world.bundle import load_model
from tests.remote.conftest import TOKEN, prompt_png, wait_for
from tests.remote.proxy import CuttableProxy

ACTIONS = ["right", "right", "jump", "left", 0, 2, "jump", 1, 3, "right"]


@pytest.fixture
def local(model_dir):
    s = WorldSession(load_model(model_dir), precision="fp32", seed=4)
    s.reset(prompt_png(3))
    return s


def test_dropped_connection_resumes_without_replay(make_server, local):
    st = make_server()
    proxy = CuttableProxy(st.server.port)
    try:
        with RemoteSession(proxy.url, token=TOKEN, knobs=Knobs(seed=4)) as r:
            assert np.array_equal(r.reset(prompt_png(3)), local.frame)
            for i, a in enumerate(ACTIONS):
                if i == 3:
                    proxy.cut()  # the next step finds the connection gone
                if i == 6:
                    proxy.cut_on_reply.set()  # the server steps, but its reply is lost on the way
                assert np.array_equal(r.step(a), local.step(a)), i
            assert r.reconnects == 2 and r.replays == 0
            assert st.stats()["steps"] == len(ACTIONS)  # the step whose reply was lost was not redone
            assert len(r.frames) == len(local.frames) and r.actions == local.actions
            assert wait_for(lambda: st.stats()["sessions"] == 1)  # resumed, not reopened
    finally:
        proxy.close()


def test_server_restart_replays_the_session(model_dir, local):
    cfg = dict(port=0, token=TOKEN, resume_grace=5)
    first = ServerThread(Engine.from_paths([model_dir], precision="fp32"), ServerConfig(**cfg)).start()
    port, second = first.server.port, None
    try:
        r = RemoteSession(first.url, token=TOKEN, knobs=Knobs(seed=4), reconnect_timeout=20)
        r.reset(prompt_png(3))
        got, errors = [], []

        def play():
            try:
                for a in ACTIONS:
                    got.append(r.step(a).copy())
                    time.sleep(0.02)
            except Exception as e:  # noqa: BLE001 - reported by the assertion below
                errors.append(e)

        player = threading.Thread(target=play)
        player.start()
        assert wait_for(lambda: len(got) >= 3)
        first.stop("restarting")  # clients are told, and keep retrying meanwhile
        time.sleep(0.3)
        second = ServerThread(Engine.from_paths([model_dir], precision="fp32"),
                              ServerConfig(**{**cfg, "port": port})).start()
        player.join(60)
        assert not errors, errors
        want = [local.step(a).copy() for a in ACTIONS]
        assert all(np.array_equal(a, b) for a, b in zip(got, want)) and len(got) == len(want)
        assert r.replays == 1 and r.reconnects >= 1
        assert np.array_equal(r.rewind(2), local.rewind(2))
        r.close()
        assert wait_for(lambda: second.stats()["sessions"] == 0)
    finally:
        first.stop()
        if second:
            second.stop()


def test_editor_backend_setting_gives_a_remote_session(make_server, tmp_path):
    from genie_studio.local_or_remote import SessionError, SessionSettings, open_session

    def make_session(settings, model):
        return open_session(SessionSettings.from_settings(settings, model))

    st = make_server()
    (tmp_path / "token").write_text(TOKEN + "\n")
    settings = {"backend": "remote", "server_url": st.url, "server_token_file": str(tmp_path / "token"), "seed": 2}
    s = make_session(settings, "/some/local/folder")
    try:  # what the editor's worker reads
        assert (s.model.name, s.model.path, s.model.patch, s.labels, s.resolution) == (
            "tiny-test", None, 4, ["noop", "left", "right", "jump"], (16, 16))
        assert s.device.startswith("remote ws://127.0.0.1:") and s.seed == 2
        s.reset(prompt_png())
        s.step("right")
        assert s.last_rtt_ms > 0
    finally:
        s.close()
    with pytest.raises(SessionError, match="auth_failed"):
        make_session({**settings, "server_token_file": None}, None)
