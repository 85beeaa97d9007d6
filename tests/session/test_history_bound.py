"""A bounded history (``WorldSession.max_history``, what a server session keeps): memory stays flat
however long a session plays, stepping is unchanged, and rewind is exact within the bound."""

import numpy as np
import pytest
import torch

from genie_studio.session.world_session import WorldSession, step_many
from genie_studio.world.tiny import tiny_world

torch.set_num_threads(1)
ACTS = [2, 2, 1, 3, 0, 2, 1, 1, 2, 3, 0, 0, 1, 2]  # 14 steps: past the bound and the 4-frame context


def _prompt():
    return np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)


def _pair(bound, **kw):
    wm = tiny_world()
    full = WorldSession(wm, precision="fp32", seed=3, **kw)
    short = WorldSession(wm, precision="fp32", seed=3, **kw)
    short.max_history = bound
    for s in (full, short):
        s.reset(_prompt())
    return full, short


@pytest.mark.parametrize("cached", [True, False])
def test_a_bounded_history_steps_exactly_like_a_full_one(cached):
    full, short = _pair(6, cached=cached)
    for a in ACTS:
        assert np.array_equal(full.step(a), short.step(a))
    assert len(full.history) == len(ACTS) + 1 and len(short.history) == 6
    assert [f.tokens.tolist() for f in short.history] == [f.tokens.tolist() for f in full.history[-6:]]
    # batched with a full-history session of the same model, still the same frames
    other = full.fork()
    a, b = step_many([short, other], [1, 1])
    assert np.array_equal(a, b)


def test_rewind_within_the_bound_is_exact_and_deeper_is_refused():
    full, short = _pair(6)
    for a in ACTS:
        full.step(a)
        short.step(a)
    # 6 frames kept, 3 of them the context window (4 frames) of the oldest one rewind may reach
    assert short.rewind_limit == 3 and full.rewind_limit == len(ACTS)
    with pytest.raises(ValueError, match=r"can rewind 0..3 steps, not 4 \(this session keeps its last 6 frames\)"):
        short.rewind(4)
    assert np.array_equal(short.rewind(3), full.rewind(3))
    again = [2, 3, 0, 1, 1, 2, 3]
    assert all(np.array_equal(full.step(a), short.step(a)) for a in again)


def test_rewind_reaches_the_prompt_while_it_is_kept():
    full, short = _pair(6)
    for a in ACTS[:5]:  # 6 frames: the prompt is still the oldest
        full.step(a)
        short.step(a)
    assert short.rewind_limit == 5
    assert np.array_equal(short.rewind(5), full.rewind(5))
    assert all(np.array_equal(full.step(a), short.step(a)) for a in ACTS)


def test_the_bound_never_cuts_the_context_window():
    full, short = _pair(1)  # asks for less than the model's context of 4 frames
    for a in ACTS:
        assert np.array_equal(full.step(a), short.step(a))
    assert len(short.history) == short.context
