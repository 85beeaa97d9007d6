"""Opens from one address share a budget of engine time (issue #26, the soak's leavers): a client that
opens with a replay and leaves, again and again on new connections (each with a fresh step budget),
gets at most ``open_share`` of the engine's seconds while others step, not all that the background
work may take; on an idle server opens run freely. Reconnects that show the right token have a budget
per address too."""

import threading
import time

from genie_studio.remote.wire import pack
from tests.remote.conftest import TOKEN, ask, parse, prompt_png, raw_client
from tests.remote.test_soak_guards import _status


def _open_two_with_replays(st, replay=12) -> tuple[float, float]:
    """Two connections from this address open with replays at once -> (engine seconds of the opens, wall)."""
    b = st.server.batcher
    jobs, busy = b.background_jobs, b.background_s
    conns = [raw_client(st.url)[0] for _ in range(2)]
    t = time.monotonic()
    for i, ws in enumerate(conns):
        ws.send(pack({"type": "open", "id": i, "replay": ["right"] * replay}, prompt_png(i)))
    for ws in conns:
        assert parse(ws.recv(timeout=60))[0]["type"] == "opened"
    assert b.background_jobs - jobs == 2 * (replay + 1)  # two resets and the replayed steps
    return b.background_s - busy, time.monotonic() - t


def test_opens_from_one_address_share_an_engine_time_budget_while_others_step(make_server):
    share, burst = 0.05, 0.01
    st = make_server(open_share=share, open_burst_s=burst, step_rate=1000, step_burst=1000)
    honest, _ = raw_client(st.url)
    sid = ask(honest, {"type": "open"}, prompt_png())[0]["session"]
    done, steps = threading.Event(), []

    def step():  # an honest client steps back to back meanwhile (a bounded loop)
        while not done.is_set() and len(steps) < 5000:
            steps.append(ask(honest, {"type": "step", "session": sid, "action": 1})[0]["type"])

    stepper = threading.Thread(target=step)
    stepper.start()
    try:
        engine_s, took = _open_two_with_replays(st, replay=6)
    finally:
        done.set()
        stepper.join(30)
    assert steps and set(steps) == {"frame"}
    # at most the burst and the share of the time since, plus a job ahead of the budget per connection and
    # the hand-over to the engine thread (the batcher's clock runs from the event loop)
    one_job = engine_s / 14  # two resets, 12 replayed steps
    assert engine_s <= 1.1 * (burst + share * took) + 3 * one_job, (engine_s, took)
    assert st.stats()["open_jobs_waited"] > 0


def test_opens_on_an_idle_server_do_not_wait_for_the_budget(make_server):
    st = make_server(open_share=0.01, open_burst_s=0.001)
    _open_two_with_replays(st)
    assert st.stats()["open_jobs_waited"] == 0


def test_reconnects_with_the_right_token_have_a_budget_per_address(make_server):
    """A leaver shows the right bearer token and reconnects at once, again and again: past its address's
    connect budget it is refused (503) before any work, after a delay; a new address is not."""
    st = make_server(connect_rate=0.01, connect_burst=3, refusal_delay=0.3)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert [_status(st.server.port, auth)[0] for _ in range(3)] == [101] * 3  # the burst: let in at once
    status, took = _status(st.server.port, auth)
    assert status == 503 and took >= 0.25
    assert st.stats()["refused"] == 1 and st.stats()["connections_total"] == 0  # never got as far as hello
