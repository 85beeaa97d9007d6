import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed

from genie_studio.knobs import Knobs
from genie_studio.remote.engine import Engine
from genie_studio.remote.limits import ServerConfig
from genie_studio.remote.remote_session import RemoteSession
from genie_studio.remote.server import WorldServer
from genie_studio.remote.wire import MAX_HEADER, RemoteError, decode_frame, dumps, parse
from genie_studio.session.actions import ActionError
from genie_studio.session.world_session import WorldSession
from genie_studio.world.bundle import load_model
from tests.remote.conftest import TOKEN, ask, prompt_png, raw_client, wait_for, ws_connect


def _closed_with(ws, code):
    with pytest.raises(ConnectionClosed):
        ws.recv(timeout=5)
    assert ws.close_code == code


@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789", TOKEN + "x", 12345])
def test_wrong_or_missing_token_refused(make_server, token):
    st = make_server()
    ws = ws_connect(st.url)
    reply, _ = ask(ws, {"type": "hello", "version": 1, "token": token})
    assert reply["type"] == "error" and reply["code"] == "auth_failed" and reply["fatal"]
    _closed_with(ws, 1008)
    with pytest.raises(RemoteError) as e:
        RemoteSession(st.url, token="nope-nope-nope-nope")
    assert e.value.code == "auth_failed"
    assert st.stats()["auth_failed"] == 2 and st.stats()["sessions"] == 0


def test_hello_rules(make_server):
    st = make_server()
    ws = ws_connect(st.url)
    assert ask(ws, {"type": "step", "session": "s1", "action": 0})[0]["code"] == "hello_required"
    _closed_with(ws, 1002)
    ws = ws_connect(st.url)
    assert ask(ws, {"type": "hello", "version": 99, "token": TOKEN})[0]["code"] == "version_mismatch"
    ws = ws_connect(st.url)
    assert ask(ws, raw=b"\x00")[0]["code"] == "hello_required"


def test_refuses_public_address_without_token(model_dir):
    engine = Engine.from_paths([model_dir], precision="fp32")
    with pytest.raises(ValueError, match="without a token"):
        WorldServer(engine, ServerConfig(host="0.0.0.0", token=None))
    WorldServer(engine, ServerConfig(host="0.0.0.0", token=TOKEN))  # fine with a token


def test_a_remote_world_keeps_the_drawing_like_a_local_one(make_server, model_dir):
    st = make_server()
    local = WorldSession(load_model(model_dir), precision="fp32", seed=5, decoder="copy", endless=True)
    with RemoteSession(st.url, token=TOKEN, knobs=Knobs(seed=5, decoder="copy", endless=True)) as remote:
        assert np.array_equal(remote.reset(prompt_png(3)), local.reset(prompt_png(3)))
        for a in ["right", "right", "left", "jump"]:
            assert np.array_equal(remote.step(a), local.step(a))
        ws, _ = raw_client(st.url)
        reply, _ = ask(ws, {"type": "open", "decoder": "magic", "id": 3}, payload=prompt_png())
        assert reply["code"] == "bad_request" and "decoder" in reply["message"]


def test_protocol_errors_keep_the_connection(make_server):
    st = make_server(max_sessions_per_client=2)
    ws, welcome = raw_client(st.url)
    assert welcome["type"] == "welcome" and welcome["models"][0]["labels"] == ["noop", "left", "right", "jump"]
    cases = [
        ({"type": "step", "session": "s999", "action": 1}, "unknown_session"),  # out of order: no open
        ({"type": "rewind", "session": 3}, "bad_request"),
        ({"type": "launch"}, "unknown_type"),
        ({"type": "hello", "version": 1, "token": TOKEN}, "bad_request"),
        ({"type": "open", "seed": 0}, "bad_request"),  # no prompt payload
        ({"type": "close", "session": "s1"}, "unknown_session"),
    ]
    for msg, code in cases:
        reply, _ = ask(ws, {**msg, "id": 7})
        assert (reply["type"], reply["code"], reply["id"]) == ("error", code, 7), (msg, reply)
    assert ask(ws, raw="not json")[0]["code"] == "bad_message"
    assert ask(ws, raw="x" * (MAX_HEADER + 1))[0]["code"] == "too_large"
    bad_opens = [({"model": "nope"}, "unknown_model"), ({"seed": -1}, "bad_request"), ({"steps": 0}, "bad_request"),
                 ({"temperature": "hot"}, "bad_request"), ({"encoding": "gif"}, "bad_request"),
                 ({"replay": [9]}, "bad_action"), ({"replay": "right"}, "bad_request")]
    for extra, code in bad_opens:
        assert ask(ws, {"type": "open", **extra}, prompt_png())[0]["code"] == code, extra
    assert ask(ws, {"type": "open"}, b"not an image")[0]["code"] == "bad_prompt"
    opened, data = ask(ws, {"type": "open", "seed": 1, "encoding": "raw"}, prompt_png())
    assert opened["type"] == "opened" and opened["index"] == 0 and len(data) == 16 * 16 * 3
    sid = opened["session"]
    for action in (4, -1, "fly", None, True, [1]):
        assert ask(ws, {"type": "step", "session": sid, "action": action})[0]["code"] == "bad_action"
    assert ask(ws, {"type": "rewind", "session": sid, "n": 1})[0]["code"] == "bad_request"  # nothing to undo
    frame, data = ask(ws, {"type": "step", "session": sid, "action": "right"})
    assert frame["type"] == "frame" and frame["version"] == 1 and frame["index"] == 1 and frame["action"] == 2
    assert ask(ws, {"type": "set", "session": sid, "steps": 99})[0]["code"] == "bad_request"
    assert ask(ws, {"type": "open"}, prompt_png())[0]["type"] == "opened"
    assert ask(ws, {"type": "open"}, prompt_png())[0]["code"] == "session_limit"
    assert ask(ws, {"type": "ping", "t": 5})[0] == {"type": "pong", "id": None, "t": 5}
    assert st.stats()["sessions"] == 2
    ws.close()  # the stepped session waits for a resume; the one never used is freed at once (#26 B)
    assert wait_for(lambda: st.stats()["detached"] == 1 and st.stats()["dropped_untouched"] == 1)


def test_oversized_message_closes_with_1009(make_server):
    st = make_server(max_message=4096, max_prompt=2048)
    ws, _ = raw_client(st.url)
    assert ask(ws, {"type": "open"}, b"\x89PNG" + b"0" * 3000)[0]["code"] == "too_large"
    ws.send(b"\x00" * 5000)
    _closed_with(ws, 1009)
    ws, _ = raw_client(st.url)  # the server lives on
    assert ask(ws, {"type": "ping"})[0]["type"] == "pong"


def test_rate_limit_and_idle_timeout(make_server):
    st = make_server(step_rate=1, step_burst=2, idle_timeout=3.0)
    ws, _ = raw_client(st.url)
    sid = ask(ws, {"type": "open"}, prompt_png())[0]["session"]
    codes = [ask(ws, {"type": "step", "session": sid, "action": 0})[0].get("code") for _ in range(3)]
    assert codes[:2] == [None, None] and codes[2] == "rate_limited"
    reply, _ = parse(ws.recv(timeout=20))
    assert reply["code"] == "idle_timeout" and reply["fatal"]
    _closed_with(ws, 1000)
    assert wait_for(lambda: st.stats()["connections"] == 0)


def test_remote_frames_equal_local_frames(make_server, model_dir):
    st = make_server()
    actions = ["right", "right", "jump", 1, 0, 2, 3, 3, 1, 2]
    local = WorldSession(load_model(model_dir), precision="fp32", seed=11, steps=3, temperature=0.7)
    with RemoteSession(st.url, token=TOKEN, knobs=Knobs(seed=11, maskgit_steps=3, temperature=0.7)) as remote:
        assert remote.labels == local.labels and remote.resolution == local.resolution
        for enc_frame, loc in [(remote.reset(prompt_png(2)), local.reset(prompt_png(2)))]:
            assert np.array_equal(enc_frame, loc)
        for a in actions:
            assert np.array_equal(remote.step(a), local.step(a))
        assert np.array_equal(remote.rewind(3), local.rewind(3))
        hotter = remote.knobs.replace(temperature=1.3)  # one configure message
        remote.configure(hotter)
        local.configure(hotter)
        assert remote.temperature == local.temperature == 1.3
        assert np.array_equal(remote.step("left"), local.step("left"))
        assert remote.actions == local.actions and len(remote.frames) == len(local.frames)
        assert all(np.array_equal(a, b) for a, b in zip(remote.frames, local.frames))
        assert remote.last_rtt_ms is not None and remote.last_rtt_ms > 0
        with pytest.raises(ActionError, match="valid actions"):
            remote.step("fly")
        with pytest.raises(ValueError):
            remote.rewind(100)
    assert wait_for(lambda: st.stats()["sessions"] == 0)


def test_concurrent_sessions_are_batched(make_server):
    st = make_server(batch_window_ms=20)
    sessions = [RemoteSession(st.url, token=TOKEN, knobs=Knobs(seed=i)) for i in range(4)]
    for s in sessions:
        s.reset(prompt_png(1))

    def play(s):
        for _ in range(5):
            s.step("right")

    threads = [threading.Thread(target=play, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stats = st.stats()
    assert stats["steps"] == 20 and stats["mean_batch"] > 1.5
    for s in sessions:
        s.close()


KILLED_CLIENT = """
import sys
from websockets.sync.client import connect
from genie_studio.remote.wire import dumps, pack
ws = connect(sys.argv[1], compression=None, proxy=None).__enter__()
ws.send(dumps({"type": "hello", "version": 1, "token": sys.argv[2]}))
ws.recv()
ws.send(pack({"type": "open", "id": 1}, open(sys.argv[3], "rb").read()))
import json, struct
msg = ws.recv()
sid = json.loads(msg[4:4 + struct.unpack(">I", msg[:4])[0]])["session"]
for i in range(20):
    ws.send(dumps({"type": "step", "session": sid, "action": i % 4, "id": 10 + i}))
print("stepping", flush=True)
import time; time.sleep(60)
"""


def test_client_killed_mid_step_frees_its_session(make_server, tmp_path):
    st = make_server(resume_grace=0.3)
    (tmp_path / "p.png").write_bytes(prompt_png())
    proc = subprocess.Popen([sys.executable, "-c", KILLED_CLIENT, st.url, TOKEN, str(tmp_path / "p.png")],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "stepping"
        assert st.stats()["sessions"] == 1
        proc.kill()
    finally:
        proc.wait(10)
    assert wait_for(lambda: st.stats()["sessions"] == 0 and st.stats()["connections"] == 0, 15)
    assert st.stats()["expired"] + st.stats()["dropped_untouched"] == 1  # untouched if no step ended in time
    with RemoteSession(st.url, token=TOKEN) as r:  # and the server still serves
        r.reset(prompt_png())
        assert r.step(1).shape == (16, 16, 3)


def test_shutdown_tells_clients(make_server):
    st = make_server()
    ws, _ = raw_client(st.url)
    opened, data = ask(ws, {"type": "open", "encoding": "png"}, prompt_png())
    assert decode_frame(data, "png", opened["shape"]).shape == (16, 16, 3)
    st.stop("maintenance")
    notice, _ = parse(ws.recv(timeout=5))
    assert notice == {"type": "shutdown", "reason": "maintenance", "retry_after_s": 1.0}
    _closed_with(ws, 1001)
    assert dumps(notice)  # plain JSON


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_tls(make_server, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    st = make_server(tls_cert=str(cert), tls_key=str(key))
    assert st.url.startswith("wss://")
    with RemoteSession(st.url, token=TOKEN, cafile=str(cert)) as r:
        assert r.reset(prompt_png()).shape == (16, 16, 3)
    with pytest.raises(RemoteError):  # an unknown certificate is refused
        RemoteSession(st.url, token=TOKEN)
