"""One client cannot take the whole server (issue #26 B, C, J): sessions are capped per source
address, a session opened and left without a step keeps no resume slot, a server without a token
caps connections waiting for hello like any other, and set and rewind spend the step budget."""

import socket
import time

import pytest

from genie_studio.remote.wire import VERSION, dumps, parse
from tests.remote import rawws
from tests.remote.conftest import TOKEN, ask, prompt_png, raw_client, wait_for, ws_connect


def _from(address: str, url: str):
    """A client that has said hello, connecting from ``address`` (another loopback address)."""
    host, port = url.split("//", 1)[1].rstrip("/").split(":")
    sock = socket.socket()
    try:
        sock.bind((address, 0))
    except OSError:
        pytest.skip(f"cannot bind {address} here (only 127.0.0.1 is configured)")
    sock.connect((host, int(port)))
    ws = ws_connect(url, sock=sock, additional_headers={"Authorization": f"Bearer {TOKEN}"})
    ws.send(dumps({"type": "hello", "version": VERSION, "token": TOKEN}))
    assert parse(ws.recv(timeout=10))[0]["type"] == "welcome"
    return ws


def test_a_session_grabber_gets_only_its_address_share(make_server):
    st = make_server(max_sessions=12, max_sessions_per_client=4, max_sessions_per_address=6, resume_grace=120)
    grabber = [_from("127.0.0.2", st.url) for _ in range(4)]
    t = time.monotonic()
    codes = [ask(ws, {"type": "open"}, prompt_png())[0].get("code", "opened") for ws in grabber for _ in range(4)]
    assert codes.count("opened") == 6 and set(codes) == {"opened", "session_limit"}, codes
    assert time.monotonic() - t < 10
    honest, _ = raw_client(st.url)  # from 127.0.0.1: its own share is free
    assert ask(honest, {"type": "open"}, prompt_png())[0]["type"] == "opened"
    # the grabber leaves without stepping: its sessions keep no resume slot
    for ws in grabber:
        ws.close()
    assert wait_for(lambda: st.stats()["sessions"] == 1, 5)
    assert st.stats()["dropped_untouched"] == 6 and st.stats()["detached"] == 0
    again = _from("127.0.0.2", st.url)
    assert ask(again, {"type": "open"}, prompt_png())[0]["type"] == "opened"


def test_a_stepped_session_keeps_its_resume_slot(make_server):
    st = make_server(resume_grace=120)
    ws, _ = raw_client(st.url)
    opened = ask(ws, {"type": "open"}, prompt_png())[0]
    ask(ws, {"type": "open"}, prompt_png())  # never used: freed when the connection ends
    replayed = ask(ws, {"type": "open", "replay": [1, 2]}, prompt_png())[0]  # a history: kept
    assert ask(ws, {"type": "step", "session": opened["session"], "action": 1})[0]["type"] == "frame"
    ws.close()
    assert wait_for(lambda: st.stats()["detached"] == 2 and st.stats()["sessions"] == 2, 5)
    assert replayed["version"] == 2
    ws, _ = raw_client(st.url)
    assert ask(ws, {"type": "resume", "resume": opened["resume"]})[0]["type"] == "opened"


def test_a_server_without_token_caps_connections_before_hello(make_server):
    """Before: every connection to a server without a token counted as authenticated, so 128 silent
    upgrades filled it and honest clients got 503 for the 10 s hello timeout. Now they wait for hello
    under the pre-hello cap, and a newcomer pushes out the connection that has waited longest."""
    st = make_server(token=None, max_unauthenticated=4, source_burst=1000)
    silent = [rawws.handshake(st.server.port) for _ in range(12)]
    assert wait_for(lambda: st.stats()["unauthenticated"] <= 4 and st.stats()["evicted_before_hello"] == 8, 5)
    assert rawws.read_close_code(silent[0]) == 1013  # the oldest went first
    t = time.monotonic()
    ws, welcome = raw_client(st.url, token=None)
    assert welcome["type"] == "welcome" and time.monotonic() - t < 2
    for s in silent:
        s.close()


def test_a_server_without_token_budgets_upgrades_per_address(make_server):
    st = make_server(token=None, source_rate=0.01, source_burst=3, refusal_delay=0.1)
    for _ in range(3):
        rawws.handshake(st.server.port).close()
    with pytest.raises(ConnectionRefusedError, match="503"):
        rawws.handshake(st.server.port)
    assert st.stats()["sources_over_budget"] == 1


def test_set_and_rewind_spend_the_step_budget(make_server):
    st = make_server(step_rate=0.5, step_burst=4)
    ws, _ = raw_client(st.url)
    sid = ask(ws, {"type": "open"}, prompt_png())[0]["session"]
    assert ask(ws, {"type": "step", "session": sid, "action": 1})[0]["type"] == "frame"
    replies = [ask(ws, {"type": "set", "session": sid, "steps": 2})[0] for _ in range(2)]
    assert [r["type"] for r in replies] == ["set", "set"]
    assert ask(ws, {"type": "rewind", "session": sid, "n": 1})[0]["type"] == "frame"
    refused = [ask(ws, msg)[0] for msg in ({"type": "set", "session": sid, "temperature": 1.0},
                                           {"type": "rewind", "session": sid, "n": 0},
                                           {"type": "step", "session": sid, "action": 0})]
    assert [r.get("code") for r in refused] == ["rate_limited"] * 3 and all(r["retry_after_ms"] > 0 for r in refused)
