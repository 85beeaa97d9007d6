"""New knobs in one message (#28): ``configure`` on the wire, checked like the other messages, and
``RemoteSession.configure`` (which falls back to ``set`` on a server from before it)."""

import numpy as np

from genie_studio.knobs import Knobs
from genie_studio.remote.remote_session import RemoteSession
from genie_studio.session.world_session import WorldSession
from genie_studio.world.bundle import load_model
from tests.remote.conftest import TOKEN, ask, prompt_png, raw_client


def _open(ws):
    opened, _ = ask(ws, {"type": "open", "id": 1}, payload=prompt_png())
    assert opened["type"] == "opened"
    return opened["session"]


def test_configure_takes_the_live_knobs_in_one_message_and_checks_them(make_server):
    st = make_server()
    ws, _ = raw_client(st.url)
    sid = _open(ws)
    knobs = {"maskgit_steps": 3, "temperature": 0.5, "seed": 4, "decoder": "copy", "endless": True}
    reply, _ = ask(ws, {"type": "configure", "session": sid, "knobs": knobs, "id": 2})
    assert reply["type"] == "configured" and reply["id"] == 2 and reply["version"] == 1 and reply["knobs"] == knobs
    reply, _ = ask(ws, {"type": "configure", "session": sid, "knobs": {"temperature": 2}})
    assert reply["knobs"] == {**knobs, "temperature": 2.0} and reply["version"] == 2  # the others stay
    for bad, says in (({"maskgit_steps": 99}, "maskgit_steps must be in 1..32"),  # the server's own limit
                      ({"temperature": -1}, "knob temperature must be a number"),
                      ({"decoder": "magic"}, "knob decoder must be one of copy, free"),
                      ({"steps": 2}, "'steps' is not a knob of a running session"),
                      ({"model": "other"}, "'model' is not a knob of a running session"),
                      ({"fps": 60}, "'fps' is not a knob")):
        reply, _ = ask(ws, {"type": "configure", "session": sid, "knobs": bad})
        assert reply["code"] == "bad_request" and says in reply["message"], (bad, reply)
    reply, _ = ask(ws, {"type": "configure", "session": sid, "knobs": [1]})
    assert reply["code"] == "bad_request" and "knobs must be dict" in reply["message"]
    reply, _ = ask(ws, {"type": "set", "session": sid, "steps": 2})  # the first protocol's message still works
    assert reply["type"] == "set" and reply["steps"] == 2 and reply["temperature"] == 2.0 and reply["version"] == 3


def test_a_remote_session_configures_like_a_local_one(make_server, model_dir):
    st = make_server()
    local = WorldSession(load_model(model_dir), precision="fp32")
    with RemoteSession(st.url, token=TOKEN) as remote:
        knobs = Knobs(seed=7, maskgit_steps=3, temperature=0.6, decoder="copy")
        remote.configure(knobs)  # before a world: nothing is sent, the next reset opens with them
        local.configure(knobs)
        assert np.array_equal(remote.reset(prompt_png(2)), local.reset(prompt_png(2)))
        for a in (2, 2, 3):
            assert np.array_equal(remote.step(a), local.step(a))
        hotter = knobs.replace(temperature=1.4, seed=99)  # the seed waits for the next reset
        remote.configure(hotter)
        local.configure(hotter)
        assert remote.knobs == hotter and remote.seed == 99
        assert np.array_equal(remote.step(1), local.step(1))
        assert np.array_equal(remote.reset(prompt_png(2)), local.reset(prompt_png(2)))
        assert np.array_equal(remote.step(2), local.step(2))


def test_a_server_before_configure_gets_set(make_server):
    st = make_server()
    st.server.handlers.table.pop("configure")
    with RemoteSession(st.url, token=TOKEN) as remote:
        remote.reset(prompt_png())
        remote.configure(Knobs(maskgit_steps=3, temperature=0.3))
        assert (remote.steps, remote.temperature) == (3, 0.3)
        remote.step(0)
