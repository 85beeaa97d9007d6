"""Regression cases for the server attacks of issue #15 (each failed before its fix)."""

import asyncio
import logging
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from genie_studio.remote import jsonlog
from genie_studio.remote.auth import check_token
from genie_studio.remote.connection import WorldConnection
from genie_studio.remote.limits import ServerConfig
from genie_studio.remote.wire import RemoteError, dumps, pack
from tests.remote import rawws
from tests.remote.conftest import TOKEN, ask, prompt_png, raw_client, wait_for, ws_connect


def test_client_leaving_during_a_long_replay_leaves_no_session(make_server, caplog):
    caplog.set_level(logging.INFO, logger=jsonlog.LOGGER)
    st = make_server(resume_grace=60, step_rate=10_000, step_burst=10_000)
    ws, _ = raw_client(st.url)
    ws.send(pack({"type": "open", "replay": ["right"] * 400}, prompt_png()))
    time.sleep(0.2)  # the replay is under way (400 tiny-model steps take seconds)
    ws.close()
    assert wait_for(lambda: any(r.getMessage() == "disconnected" for r in caplog.records), timeout=60)
    asyncio.run_coroutine_threadsafe(st.server.engine.run(lambda: None), st.loop).result(60)  # worker idle
    stats = st.stats()
    assert stats["sessions"] == 0, "the departed client's session was registered, waiting for a resume"
    assert stats["connections"] == 0


def test_replay_counts_against_the_step_rate(make_server):
    st = make_server(step_rate=20, step_burst=1)
    ws, _ = raw_client(st.url)
    t = time.monotonic()
    reply, _ = ask(ws, {"type": "open", "replay": ["right"] * 20}, prompt_png())
    assert reply["type"] == "opened" and reply["version"] == 20
    assert time.monotonic() - t >= 0.9  # 19 steps over the burst at 20 steps/s


def test_unread_error_replies_push_back_on_the_sender(make_server):
    st = make_server(bad_rate=1e9, bad_burst=10**9)  # no malformed-message budget: backpressure alone
    s = rawws.handshake(st.server.port, rcvbuf=4096, sndbuf=8192)
    s.sendall(rawws.frame(dumps({"type": "hello", "version": 1, "token": TOKEN})))
    bad = rawws.frame("x") * 1000  # 1000 messages that are not JSON: an error reply each, never read
    sent = 0
    s.settimeout(1.0)
    try:
        for _ in range(300):  # 300k replies: far more than the kernel's socket buffers hold
            s.sendall(bad)
            sent += 1
    except TimeoutError:
        pass
    tasks = st.call(lambda: len(asyncio.all_tasks()))
    s.close()
    assert tasks < 100, f"{tasks} tasks on the server loop: replies pile up instead of stalling the sender"
    assert sent < 300, "the server kept reading a client that reads none of its replies"
    ws, _ = raw_client(st.url)  # others are served meanwhile
    assert ask(ws, {"type": "ping"})[0]["type"] == "pong"


def test_a_connection_sending_only_garbage_is_closed(make_server):
    st = make_server(bad_rate=1, bad_burst=5)
    ws, _ = raw_client(st.url)
    codes = []
    with pytest.raises(ConnectionClosed):
        for _ in range(20):
            codes.append(ask(ws, raw="not json")[0]["code"])
    assert codes == ["bad_message"] * 5 and ws.close_code == 1008
    assert st.stats()["closed_for_bad_messages"] == 1


def test_connections_waiting_for_hello_are_capped(make_server):
    st = make_server(max_unauthenticated=3, max_connections=6)
    idle = []
    for i in range(3):
        idle.append(ws_connect(st.url))
        assert wait_for(lambda i=i: st.stats()["unauthenticated"] == i + 1)
    # past the cap, a newcomer pushes out the connection that has waited longest for hello (#26 C)
    newcomer = ws_connect(st.url)
    assert wait_for(lambda: st.stats()["evicted_before_hello"] == 1 and st.stats()["unauthenticated"] == 3)
    with pytest.raises(ConnectionClosed):
        idle[0].recv(timeout=5)
    assert idle[0].close_code == 1013
    idle = idle[1:] + [newcomer]
    # a client that shows its token in the upgrade is let past the pre-hello cap ...
    good = ws_connect(st.url, additional_headers={"Authorization": f"Bearer {TOKEN}"})
    assert ask(good, {"type": "hello", "version": 1, "token": None})[0]["type"] == "welcome"
    # ... a wrong one is refused with 401 before any WebSocket exists
    with pytest.raises(InvalidStatus) as e:
        ws_connect(st.url, additional_headers={"Authorization": "Bearer wrong-token-0123456789"})
    assert e.value.response.status_code == 401
    # and the total cap counts every connection, with or without hello
    extra = [ws_connect(st.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) for _ in range(2)]
    assert wait_for(lambda: len(st.call(lambda: set(st.server.live))) == 6)
    with pytest.raises(InvalidStatus):
        ws_connect(st.url, additional_headers={"Authorization": f"Bearer {TOKEN}"})
    for w in idle + extra + [good]:
        w.close()
    assert wait_for(lambda: st.stats()["unauthenticated"] == 0 and st.stats()["connections"] == 0)


def test_big_frame_before_hello_is_refused_at_once(make_server):
    st = make_server()
    s = rawws.handshake(st.server.port)
    s.sendall(rawws.unfinished_binary_header(8 * 1024 * 1024 - 100))  # under max_message, never finished
    assert rawws.read_close_code(s, timeout=3) == 1009
    s.close()


def test_the_real_client_sends_its_token_in_the_upgrade(make_server):
    st = make_server(max_unauthenticated=1)
    idle = ws_connect(st.url)
    assert wait_for(lambda: st.stats()["unauthenticated"] == 1)

    async def go(token):
        c = await WorldConnection.open(st.url, token, timeout=5)
        await c.close()

    asyncio.run(go(TOKEN))  # not blocked by the idle connection
    with pytest.raises(RemoteError) as e:
        asyncio.run(go("wrong-token-0123456789"))
    assert e.value.code == "auth_failed"
    idle.close()


def test_foreign_web_origin_is_refused(make_server):
    st = make_server(token=None)
    with pytest.raises(InvalidStatus) as e:
        ws_connect(st.url, origin="https://evil.example")
    assert e.value.response.status_code == 403
    ws = ws_connect(st.url)  # no Origin header: not a browser
    assert ask(ws, {"type": "hello", "version": 1})[0]["type"] == "welcome"
    st2 = make_server(token=None, allowed_origins=("https://studio.example",))
    ws = ws_connect(st2.url, origin="https://studio.example")
    assert ask(ws, {"type": "hello", "version": 1})[0]["type"] == "welcome"


@pytest.mark.parametrize("token", ["", "   ", "short"])
def test_empty_or_short_token_is_not_a_token(token):
    with pytest.raises(ValueError, match="at least"):
        ServerConfig(token=token)
    assert not check_token("", "")
