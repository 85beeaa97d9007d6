"""Property-based fuzzing: whatever a client sends after hello gets one well-formed reply, the
server never crashes or answers 'internal', and no session outlives its connection's grace period."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genie_studio.remote.wire import CODES, dumps, pack, parse
from tests.remote.conftest import ask, prompt_png, raw_client, wait_for

TYPES = ["hello", "models", "open", "step", "rewind", "set", "resume", "close", "ping", "frame", "", "STEP"]
FIELDS = ["type", "id", "session", "action", "n", "seed", "steps", "temperature", "model", "encoding", "replay",
          "resume", "version", "token", "t"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


def messages(sid):
    small_ints = st.integers(-3, 300)
    value = st.one_of(json_values, small_ints, st.sampled_from([sid, "right", "jump", "raw", "zlib", "png"]))
    structured = st.builds(lambda t, extra: {**extra, "type": t}, st.sampled_from(TYPES),
                           st.dictionaries(st.sampled_from(FIELDS[1:]), value, max_size=5))
    return st.one_of(
        structured.map(dumps),
        st.builds(lambda h, p: pack(h, p), structured, st.binary(max_size=200) | st.just(prompt_png())),
        st.text(max_size=300),
        st.binary(max_size=300),
        st.dictionaries(st.text(max_size=10), json_values, max_size=5).map(dumps),
    )


def test_fuzzed_messages_get_protocol_errors_and_leak_nothing(make_server):
    server = make_server(resume_grace=0.2, max_sessions_per_client=4, step_rate=1000, step_burst=1000)
    ws, _ = raw_client(server.url)
    sid = ask(ws, {"type": "open", "seed": 1}, prompt_png())[0]["session"]
    seen = set()

    @settings(max_examples=50, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(messages(sid))
    def one(message):
        ws.send(message)
        reply, _ = parse(ws.recv(timeout=20))
        seen.add(reply.get("code", reply["type"]))
        assert reply["type"] in ("error", "pong", "models", "opened", "frame", "set", "closed"), reply
        if reply["type"] == "error":
            assert reply["code"] in CODES and reply["code"] != "internal", reply
            assert not reply["fatal"]

    one()
    assert {"bad_message", "bad_request", "unknown_type"} <= seen
    assert ask(ws, {"type": "ping"})[0]["type"] == "pong"  # the connection survived
    stats = server.stats()
    assert stats["connections"] == 1 and stats["sessions"] <= 4
    ws.close()
    assert wait_for(lambda: server.stats()["sessions"] == 0 and server.stats()["connections"] == 0)
