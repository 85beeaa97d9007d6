"""input/ on real SDL virtual joysticks: buttons, hats, sticks, triggers, chords, hot-plug, mappings."""

import os

import pygame
import pytest

from genie_studio.controls import default_profile
from genie_studio.input import mappings
from genie_studio.input.gamepads import Gamepads
from genie_studio.input.keys import key_id
from genie_studio.input.state import InputState
from tests.input.virtual_pad import GAMECONTROLLER, JOYSTICK, RAW_GUID, restart_joysticks

LABELS = ["noop", "left", "right", "jump", "right+jump"]
NOOP, LEFT, RIGHT, JUMP, RIGHT_JUMP = range(5)


@pytest.fixture
def state():
    pads = Gamepads(headless=True)
    st = InputState(default_profile(LABELS, "tiny"), pads)
    yield st
    pads.close()


def step(st):
    st.gamepads.pump()
    return st.update()


def test_background_events_hint_is_set_before_sdl_starts():
    assert os.environ["SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS"] == "1"


def test_controller_button_and_dpad(state, plug):
    pad = plug(GAMECONTROLLER)
    assert step(state) == NOOP
    assert [d["kind"] for d in state.gamepads.connected()] == ["controller"]
    pad.button("a")
    assert step(state) == JUMP
    pad.button("a", False)
    pad.button("dpleft")
    assert step(state) == LEFT
    pad.button("dpleft", False)
    assert step(state) == NOOP


def test_raw_joystick_hat_is_the_dpad(state, plug):
    pad = plug(JOYSTICK, naxes=2, nbuttons=4, nhats=1)
    assert step(state) == NOOP
    assert [d["kind"] for d in state.gamepads.connected()] == ["joystick"]
    pad.hat("right")
    assert step(state) == RIGHT
    pad.hat("left")
    assert step(state) == LEFT
    pad.button(2)
    state.profile.bind(JUMP, "pad:button2")
    assert step(state) == JUMP  # newest press wins over the held hat
    pad.hat("centered")
    pad.button(2, False)
    assert step(state) == NOOP


def test_stick_with_radial_dead_zone(state, plug):
    pad = plug(GAMECONTROLLER)
    pad.axis("leftx", 0.15)
    assert step(state) == NOOP  # inside the 0.2 dead zone
    pad.axis("leftx", 0.6)
    assert step(state) == RIGHT
    pad.axis("leftx", -0.9)
    assert step(state) == LEFT
    state.profile.deadzone = 0.95
    assert step(state) == NOOP
    state.profile.deadzone = 0.2
    pad.axis("leftx", 0.0)
    assert step(state) == NOOP


def test_trigger_threshold(state, plug):
    pad = plug(GAMECONTROLLER)
    state.profile.bind(JUMP, "pad:rtrigger")
    pad.trigger("righttrigger", 0.3)
    assert step(state) == NOOP
    pad.trigger("righttrigger", 0.8)
    assert step(state) == JUMP
    state.profile.trigger_threshold = 0.9
    assert step(state) == NOOP
    pad.trigger("righttrigger", 0.0)


def test_chord_right_plus_a(state, plug):
    pad = plug(GAMECONTROLLER)
    pad.button("a")
    assert step(state) == JUMP
    pad.button("dpright")
    assert step(state) == RIGHT_JUMP  # the chord beats both buttons alone, whatever came first
    pad.button("a", False)
    assert step(state) == RIGHT
    pad.axis("leftx", 1.0)
    pad.button("dpright", False)
    pad.button("a")
    assert step(state) == RIGHT_JUMP  # stick right + A is a default chord too
    assert state.binding.inputs == ("pad:lstick-right", "pad:a")


def test_unplug_and_replug_mid_session(state, plug):
    pad = plug(GAMECONTROLLER)
    state.profile.clear(JUMP)
    state.profile.bind(JUMP, "pad:y")  # a rebinding made during play
    pad.button("y")
    assert step(state) == JUMP
    pad.unplug()  # pulled out while the button is held
    assert step(state) == NOOP  # no crash, and no stuck button
    assert state.gamepads.connected() == []
    assert step(state) == NOOP
    again = plug(GAMECONTROLLER)
    assert step(state) == NOOP
    assert len(state.gamepads.connected()) == 1
    again.button("y")
    assert step(state) == JUMP  # bindings belong to the profile: kept
    again.unplug()
    state.gamepads.read()  # reading without pumping events also copes


def test_two_pads_drive_the_same_profile(state, plug):
    one, two = plug(GAMECONTROLLER), plug(JOYSTICK, naxes=2, nbuttons=2, nhats=1)
    one.button("dpright")
    assert step(state) == RIGHT
    two.hat("left")
    assert step(state) == LEFT
    assert len(state.gamepads.connected()) == 2


def test_keyboard_events_and_focus_loss():
    st = InputState(default_profile(LABELS, "tiny"))
    assert key_id(pygame.K_a) == "key:A" and key_id(pygame.K_RSHIFT) == "key:Shift" and key_id(pygame.K_MENU) is None
    st.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT))
    assert st.update() == RIGHT
    st.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE))
    assert st.update() == RIGHT_JUMP
    st.handle_event(pygame.event.Event(pygame.KEYUP, key=pygame.K_RIGHT))
    assert st.update() == JUMP
    st.handle_event(pygame.event.Event(pygame.WINDOWFOCUSLOST))
    assert st.update() == NOOP


def test_custom_mapping_string_makes_a_raw_joystick_a_controller(plug, monkeypatch):
    line = f"{RAW_GUID},Test Pad,a:b1,b:b0,dpleft:h0.8,dpright:h0.2,leftx:a0,lefty:a1,platform:Linux,"
    monkeypatch.delenv(mappings.ENV, raising=False)
    try:
        assert mappings.install([line]) == [line]
        assert mappings.install([line]) == []  # never added twice
        restart_joysticks()  # SDL reads the variable when its joystick subsystem starts
        pads = Gamepads(headless=True)
        st = InputState(default_profile(LABELS, "tiny"), pads)
        pad = plug(JOYSTICK, naxes=2, nbuttons=4, nhats=1)
        assert step(st) == NOOP
        (dev,) = pads.connected()
        assert dev["kind"] == "controller" and dev["name"] == "Test Pad"
        pad.button(1)  # raw button 1 is "a" in this mapping
        assert step(st) == JUMP
        pad.button(1, False)
        pad.hat("right")
        assert step(st) == RIGHT
        pad.unplug()
        pads.close()
    finally:
        os.environ.pop(mappings.ENV, None)
        restart_joysticks()


def test_bad_mappings_are_refused_clearly(tmp_path):
    with pytest.raises(mappings.MappingError, match="not 32 hex digits"):
        mappings.parse_mapping("xyz,Pad,a:b0")
    with pytest.raises(mappings.MappingError, match="unknown field 'jump'"):
        mappings.parse_mapping(f"{RAW_GUID},Pad,jump:b0")
    with pytest.raises(mappings.MappingError, match="should be bN"):
        mappings.parse_mapping(f"{RAW_GUID},Pad,a:q9")
    f = mappings.user_mappings_file()
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("# my pads\nnot a mapping\n")
    skipped = []
    assert mappings.install(skipped=skipped) == [] and "gamecontrollerdb.txt: line 2" in skipped[0]
    pads = Gamepads(headless=True)  # a bad user line never stops play: reported, skipped
    assert "gamecontrollerdb.txt" in pads.mapping_warning
    pads.close()
