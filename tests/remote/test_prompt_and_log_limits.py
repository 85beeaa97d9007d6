"""A server's prompt policy and its log under hostile messages (issue #26 A, G): prompt images are
decoded off the engine thread, reduced, and capped in pixels, and a big one spends the sender's step
budget; a bad ping field is a bad request, and one connection cannot fill the log with tracebacks."""

import io
import logging
import time

from genie_studio.remote import jsonlog
from tests.hostile.test_image_bombs import one_bit_bomb, png
from tests.remote.conftest import ask, prompt_png, raw_client


def test_a_bomb_over_the_server_pixel_limit_is_refused_from_its_header(make_server):
    st = make_server()
    ws, welcome = raw_client(st.url)
    assert welcome["limits"]["max_prompt_pixels"] == 16_000_000
    reply = ask(ws, {"type": "open"}, one_bit_bomb())[0]  # 8000x8000: 64 megapixels
    assert reply["code"] == "too_large" and "16 megapixels" in reply["message"]
    assert st.stats()["sessions"] == 0


def test_a_big_prompt_spends_the_step_budget(make_server):
    st = make_server(step_rate=10, step_burst=1, max_prompt_pixels=20_000_000)
    ws, _ = raw_client(st.url)
    t = time.monotonic()
    assert ask(ws, {"type": "open"}, prompt_png())[0]["type"] == "opened"  # a small prompt costs nothing
    small = time.monotonic() - t
    bomb = png(4000, 4000, 1, 0, b"\0" + b"\xff" * 500)  # 16 megapixels in a few KB
    t = time.monotonic()
    assert ask(ws, {"type": "open"}, bomb, timeout=30)[0]["type"] == "opened"
    assert time.monotonic() - t >= 1.4 > small  # 15 steps past the first megapixel, at 10 steps/s


def test_prompts_from_one_address_share_a_decoding_budget(make_server):
    st = make_server(prompt_rate=20, prompt_burst=16, max_prompt_pixels=20_000_000)
    bomb = png(4000, 4000, 1, 0, b"\0" + b"\xff" * 500)  # 16 megapixels
    first, _ = raw_client(st.url)
    t = time.monotonic()  # the budget is full (16): the two opens need 32, so the second waits for 16 more
    assert ask(first, {"type": "open"}, bomb, timeout=30)[0]["type"] == "opened"  # the burst
    second, _ = raw_client(st.url)  # another connection from the same address
    assert ask(second, {"type": "open"}, bomb, timeout=30)[0]["type"] == "opened"
    # 16 megapixels at 20 per second after the first was charged (timed from before it, so that a slow
    # first open or handshake, which the budget refills through, cannot make the wait look short)
    assert time.monotonic() - t >= 0.75


def _log(st):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(jsonlog.JsonLines())
    logging.getLogger(jsonlog.LOGGER).addHandler(handler)
    return stream, handler


def test_a_non_finite_ping_is_a_bad_request_not_a_fault(make_server):
    st = make_server()
    ws, _ = raw_client(st.url)
    stream, handler = _log(st)
    try:
        replies = [ask(ws, raw='{"type":"ping","t":1e400}')[0] for _ in range(50)]
    finally:
        logging.getLogger(jsonlog.LOGGER).removeHandler(handler)
    assert {r["code"] for r in replies} == {"bad_request"}
    assert "internal" not in stream.getvalue() and len(stream.getvalue()) < 2000  # before: 1.5 KB each
    assert ask(ws, {"type": "ping", "t": 2.5})[0]["t"] == 2.5


def test_server_faults_are_logged_a_few_times_per_connection(make_server):
    st = make_server(error_log_rate=0.01, error_log_burst=3)

    async def broken(conn, msg, payload, rid):
        raise RuntimeError("a fault in the server")

    st.server.handlers.table["models"] = broken  # stands in for any bug a message can reach
    ws, _ = raw_client(st.url)
    stream, handler = _log(st)
    try:
        replies = [ask(ws, {"type": "models"})[0] for _ in range(40)]
    finally:
        logging.getLogger(jsonlog.LOGGER).removeHandler(handler)
    assert {r["code"] for r in replies} == {"internal"}
    assert stream.getvalue().count("Traceback") == 3
    assert st.stats()["faults_not_logged"] == 37
