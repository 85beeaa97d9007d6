"""The pygame player, driven end to end by a real SDL virtual pad and by keyboard events."""

import numpy as np
import pygame
import pytest
import torch

from genie_studio.controls import default_profile, load_profile, save_profile
from genie_studio.player.window import default_scale, run_player
from genie_studio.session.world_session import WorldSession
from genie_studio.world.tiny import LABELS, tiny_world
from tests.input.virtual_pad import GAMECONTROLLER, VirtualPad

torch.set_num_threads(1)
NOOP, LEFT, RIGHT, JUMP = range(4)


@pytest.fixture
def session():
    s = WorldSession(tiny_world(), steps=1)
    s.reset(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8))
    return s


def test_virtual_pad_drives_the_player(session):
    # the user rebound jump to the right trigger in the editor: the saved profile is what plays
    prof, _ = load_profile(session.model.name, LABELS)
    prof.bind(JUMP, "pad:rtrigger")
    save_profile(prof)
    pad = VirtualPad(GAMECONTROLLER)
    script = [  # pad state to set before each step
        lambda: pad.button("dpright"),
        lambda: pad.button("a"),
        lambda: (pad.button("a", False), pad.button("dpright", False), pad.axis("leftx", -0.9)),
        lambda: pad.axis("leftx", -0.1),  # back inside the dead zone
        lambda: pad.trigger("righttrigger", 0.9),
        lambda: pad.trigger("righttrigger", 0.2),
    ]
    shown = []

    def record(frame, action):
        shown.append(action)
        if len(shown) <= len(script):
            script[len(shown) - 1]()

    try:
        assert run_player(session, fps=60, max_frames=6, record=record) == 0
    finally:
        pad.unplug()
    assert session.actions == [RIGHT, JUMP, LEFT, NOOP, JUMP, NOOP]
    assert shown == [None] + session.actions
    assert len(session.frames) == 7 and session.frames[-1].shape == (16, 16, 3)


def test_keyboard_rewind_reset_and_quit(session):
    post = pygame.event.post
    script = [
        lambda: post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT)),
        lambda: post(pygame.event.Event(pygame.KEYUP, key=pygame.K_RIGHT)),
        lambda: post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a)),  # WASD: A is left
        lambda: (post(pygame.event.Event(pygame.KEYUP, key=pygame.K_a)),
                 post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKSPACE))),  # undo the left
        lambda: post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE)),
    ]
    calls = []

    def record(frame, action):
        calls.append(action)
        if len(calls) <= len(script):
            script[len(calls) - 1]()

    assert run_player(session, fps=60, max_frames=50, record=record) == 0
    # right, noop, left, then Backspace rewound the left (no step that tick), then noop, then Esc
    assert calls == [None, RIGHT, NOOP, LEFT, NOOP]
    assert session.actions == [RIGHT, NOOP, NOOP]


@pytest.mark.parametrize("give_prompt", [False, True])
def test_f5_resets_to_the_prompt(session, give_prompt):
    image = np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    prompt = session.frame.copy()
    fresh_state = session.fork()
    post = pygame.event.post
    seen = []

    def record(frame, action):
        seen.append(action)
        if len(seen) == 3:
            post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F5))

    run_player(session, fps=60, max_frames=4, record=record,
               profile=default_profile(LABELS, "tiny-test"), prompt=image if give_prompt else None)
    assert seen == [None, NOOP, NOOP, None, NOOP]
    assert np.array_equal(session.frames[0], prompt) and session.actions == [NOOP]
    assert np.array_equal(session.frame, fresh_state.step(NOOP))  # same state, same seed: same frame


def test_bad_arguments_are_refused(session):
    fresh = WorldSession(tiny_world())
    with pytest.raises(ValueError, match="reset the session"):
        run_player(fresh, max_frames=1)
    with pytest.raises(ValueError, match="fps"):
        run_player(session, fps=0, max_frames=1)
    assert default_scale((16, 16)) == 32 and default_scale((64, 128)) == 4
