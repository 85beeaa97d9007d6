"""Issue #19 item 4: action-card previews are background work that yields to Play, Step and Reset.

Previews are slowed down here (each preview slice sleeps) to stand in for a busy machine, where the
old single-job preview held the worker for minutes and Play waited behind it.
"""

import time

import pytest
import torch

from genie_studio.editor import worker as worker_mod
from genie_studio.editor.main_window import PREVIEW_FRAMES
from genie_studio.world.tiny import LABELS
from tests.editor.windows import open_window

torch.set_num_threads(1)
SLICE_S = 0.25  # the sleep added to every preview slice: a whole preview takes > 8 s


@pytest.fixture
def win(qtbot, model_dir):
    w = open_window(qtbot, str(model_dir))
    yield w
    t = time.perf_counter()
    w.shutdown()
    assert time.perf_counter() - t < 2 * SLICE_S + 2  # shutting down drops the preview, never finishes it


@pytest.fixture
def slow_previews(monkeypatch):
    real = worker_mod.step_many

    def slow(sessions, actions):
        time.sleep(SLICE_S)
        return real(sessions, actions)

    monkeypatch.setattr(worker_mod, "step_many", slow)


def _previews_started(win, qtbot):
    n = win.previews_shown
    win.request_previews()
    qtbot.waitUntil(lambda: win.controller.worker.previews_pending, timeout=5000)
    qtbot.wait(int(3 * SLICE_S * 1000))  # the worker is in the middle of the preview job
    assert win.controller.worker.previews_pending and win.previews_shown == n
    return n


def test_play_answers_while_previews_are_pending(win, qtbot, slow_previews):
    n_prev = _previews_started(win, qtbot)
    n = win.frames_shown
    t = time.perf_counter()
    win.toggle_play()
    qtbot.waitUntil(lambda: win.frames_shown > n, timeout=5000)
    first = time.perf_counter() - t
    assert win.previews_shown == n_prev and win.controller.worker.previews_pending
    # the old worker ran a whole preview (8 x 8 slowed batches, > 2 s here) before Play; now Play waits
    # for at most the one slice in progress
    assert first < SLICE_S + 1.0, f"first frame after Play took {first:.2f} s"
    qtbot.waitUntil(lambda: win.frames_shown >= n + 5, timeout=10000)
    assert win.controller.worker.previews_pending  # slices do not fit between frames: previews wait
    win.pause()
    qtbot.waitUntil(lambda: not win.playing, timeout=5000)


def test_step_and_reset_answer_while_previews_are_pending(win, qtbot, slow_previews):
    _previews_started(win, qtbot)
    for act in (win.step_world, win.reset_world):
        n = win.frames_shown
        t = time.perf_counter()
        act()
        qtbot.waitUntil(lambda n=n: win.frames_shown > n, timeout=5000)
        assert time.perf_counter() - t < SLICE_S + 1.0
        assert win.controller.worker.previews_pending


def test_previews_finish_after_pause_and_match_one_clip_per_action(win, qtbot):
    n = win.previews_shown
    win.request_previews()
    win.toggle_play()
    qtbot.waitUntil(lambda: win.frames_shown >= 3 and win.playing, timeout=10000)
    win.pause()
    qtbot.waitUntil(lambda: win.previews_shown > n, timeout=15000)
    assert not win.controller.worker.previews_pending
    assert len(win.palette.cards) == len(LABELS)
    assert all(len(c.preview.frames) == PREVIEW_FRAMES + 1 for c in win.palette.cards)


def test_a_new_request_replaces_the_preview_in_progress(win, qtbot, slow_previews):
    _previews_started(win, qtbot)
    job = win.controller.worker._preview_job
    win.request_previews()
    qtbot.waitUntil(lambda: win.controller.worker._preview_job is not job, timeout=5000)
    assert win.controller.worker.previews_pending
