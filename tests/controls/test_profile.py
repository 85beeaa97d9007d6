"""controls/: input names, analog dead zones, the resolution rule, defaults, remapping."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genie_studio.controls import (
    HeldInputs,
    InputError,
    Profile,
    ProfileError,
    active_binding,
    analog_inputs,
    conflicts,
    default_profile,
    describe,
    key,
    key_table,
    remap,
    resolve,
)

LABELS = ["noop", "left", "right", "jump"]


def test_key_names_are_toolkit_neutral_and_checked():
    assert key("left") == "key:Left" and key("a") == "key:A" and key("SPACE") == "key:Space"
    assert key("f5") == "key:F5" and key("7") == "key:7"
    with pytest.raises(InputError, match="unknown key"):
        key("Hyper")
    assert describe("pad:lstick-up") == "Pad Left stick Up" and describe("key:Space") == "Space"


def test_radial_dead_zone_and_diagonals():
    assert analog_inputs({"leftx": 0.19}) == set()
    # radial, not per-axis: each axis is under 0.2 but the push (0.21) is past the dead zone
    assert analog_inputs({"leftx": 0.15, "lefty": 0.15}) == {"pad:lstick-right", "pad:lstick-down"}
    assert analog_inputs({"leftx": 0.14, "lefty": 0.14}) == set()  # 0.198
    v = 0.3 / math.sqrt(2)
    assert analog_inputs({"leftx": v, "lefty": -v}) == {"pad:lstick-right", "pad:lstick-up"}
    assert analog_inputs({"leftx": -0.9, "lefty": 0.1}) == {"pad:lstick-left"}
    assert analog_inputs({"rightx": 0.0, "righty": 0.5}) == {"pad:rstick-down"}
    assert analog_inputs({"leftx": 0.5}, deadzone=0.6) == set()


def test_trigger_threshold():
    assert analog_inputs({"righttrigger": 0.49}) == set()
    assert analog_inputs({"righttrigger": 0.5}) == {"pad:rtrigger"}
    assert analog_inputs({"lefttrigger": 0.3}, trigger_threshold=0.25) == {"pad:ltrigger"}


def test_resolution_chords_first_then_most_recent_then_idle():
    p = default_profile(["noop", "left", "right", "jump", "right+jump"])
    h = HeldInputs()
    assert resolve(p, h.order) == 0
    h.press("key:Left")
    h.press("key:Right")
    assert resolve(p, h.order) == 2  # most recent press
    h.release("key:Right")
    assert resolve(p, h.order) == 1  # back to the one still held
    h.press("key:Right")
    h.press("key:Space")
    assert resolve(p, h.order) == 4  # chord beats both single keys
    assert active_binding(p, h.order).inputs == ("key:Right", "key:Space")
    h.press("key:Left")  # key repeat / re-press of a held key does not reorder
    h.release("key:Right")
    assert resolve(p, h.order) == 3  # Left (older) vs Space (newer) -> jump
    h.clear()
    assert resolve(p, h.order) == 0


def test_sources_merge_and_polled_sets_are_diffed():
    h = HeldInputs()
    h.set_source("gamepad", {"pad:dpright"})
    first = h.order["pad:dpright"]
    h.set_source("gamepad", {"pad:dpright", "pad:a"})
    assert h.order["pad:dpright"] == first and h.order["pad:a"] > first
    h.press("key:Left")
    h.clear("gamepad")
    assert h.held == {"key:Left"}


_INPUTS = ["key:Left", "key:Right", "key:Space", "pad:a", "pad:dpleft", "pad:rtrigger"]


@st.composite
def _profiles_and_presses(draw):
    p = Profile(labels=[f"a{i}" for i in range(5)], idle=0)
    for _ in range(draw(st.integers(0, 8))):
        chord = draw(st.lists(st.sampled_from(_INPUTS), min_size=1, max_size=3, unique=True))
        p.bind(draw(st.integers(0, 4)), chord)
    presses = draw(st.lists(st.sampled_from(_INPUTS), unique=True, max_size=len(_INPUTS)))
    return p, presses


@settings(max_examples=200, deadline=None)
@given(_profiles_and_presses())
def test_resolution_rule_properties(case):
    p, presses = case
    h = HeldInputs()
    for i in presses:
        h.press(i)
    order = h.order
    held_bindings = [b for b in p.bindings if all(i in order for i in b.inputs)]
    b = active_binding(p, order)
    if not held_bindings:
        assert b is None and resolve(p, order) == p.idle
        return
    assert b in held_bindings and resolve(p, order) == b.action
    biggest = max(len(x.inputs) for x in held_bindings)
    assert len(b.inputs) == biggest  # chords first
    newest = max(max(order[i] for i in x.inputs) for x in held_bindings if len(x.inputs) == biggest)
    assert max(order[i] for i in b.inputs) == newest  # then the most recent press


def test_default_profile_from_labels():
    p = default_profile(["noop", "left", "right", "jump", "right+jump", "a5", "other", "Left+Jump"], "m")
    chords = {b.inputs: b.action for b in p.bindings}
    assert chords[("key:Left",)] == 1 and chords[("key:A",)] == 1 and chords[("pad:dpleft",)] == 1
    assert chords[("pad:lstick-left",)] == 1
    for k in ("key:Space", "key:Up", "key:W", "pad:a"):
        assert chords[(k,)] == 3
    assert chords[("key:Right", "key:Space")] == 4 and chords[("pad:dpright", "pad:a")] == 4
    assert chords[("key:Left", "key:Space")] == 7
    for a in (0, 5, 6):  # the idle action and labels of other words: only their digit key
        assert [b.inputs for b in p.bindings_for(a)] == [(f"key:{a + 1}",)]
    assert chords[("key:4",)] == 3 and ("key:9",) not in chords  # eight actions: digits 1..8
    assert p.idle == 0 and conflicts(p) == []


def test_a_word_without_its_own_label_falls_back_to_a_combination():
    # a trained model whose leftward action came out as "left+jump" and that has no plain "jump"
    p = default_profile(["left+jump", "other", "right", "noop", "right+jump"])
    chords = {b.inputs: b.action for b in p.bindings}
    assert chords[("key:Left",)] == 0 and chords[("key:A",)] == 0 and chords[("pad:lstick-left",)] == 0
    assert chords[("key:Left", "key:Space")] == 0
    assert chords[("key:Right",)] == 2  # owned by "right": no fallback
    assert chords[("key:Space",)] == 0 and chords[("pad:a",)] == 0  # jump: the first combo with it
    assert p.idle == 3 and conflicts(p) == []
    held = {"key:Left": 1}
    assert resolve(p, held) == 0


def test_default_with_an_up_action_keeps_up_for_up():
    p = default_profile(["stay", "up", "jump"])
    assert p.idle == 0
    assert {b.inputs for b in p.bindings_for(1)} >= {("key:Up",), ("key:W",), ("pad:dpup",)}
    assert {b.inputs for b in p.bindings_for(2)} == {("key:Space",), ("pad:a",), ("key:3",)}


def test_latent_only_labels_get_their_digit_keys_and_idle_zero():
    p = default_profile([f"a{i}" for i in range(12)])
    assert [(b.action, b.inputs) for b in p.bindings] == [(i, (f"key:{i + 1}",)) for i in range(9)]
    assert p.idle == 0 and resolve(p, {}) == 0 and resolve(p, {"key:3": 1}) == 2


def test_a_digit_is_one_input_like_any_other():
    p = default_profile(["noop", "left", "right", "jump", "right+jump"])
    assert resolve(p, {"key:Right": 1, "key:1": 2}) == 0  # the newer press wins
    assert resolve(p, {"key:1": 1, "key:Right": 2}) == 2
    assert resolve(p, {"key:Right": 1, "key:Space": 2, "key:2": 3}) == 4  # a chord beats it


def test_key_table_lists_the_keyboard_bindings_for_people():
    p = default_profile(["noop", "left", "right", "jump", "right+jump"])
    t = key_table(p)
    assert t["(no key)"] == "noop" and t["Left"] == "left" and t["Right+Space"] == "right+jump"
    assert t["1"] == "noop" and t["5"] == "right+jump" and not any("pad" in k for k in t)
    renamed = key_table(p, ["idle", "west", "east", "hop", "leap east"])
    assert renamed["Left"] == "west" and renamed["(no key)"] == "idle"


def test_conflicts_are_reported():
    p = default_profile(LABELS)
    p.bind(1, "key:Space")
    (msg,) = conflicts(p)
    assert "Space" in msg and "'jump'" in msg and "'left'" in msg


def test_remap_by_label_and_flag_problems():
    p = default_profile(["noop", "left", "right", "jump", "dash"])
    p.bind(4, "key:Shift")
    new, problems = remap(p, ["jump", "right", "left", "noop", "crouch"])
    assert new.idle == 3
    assert {b.inputs for b in new.bindings_for(0)} >= {("key:Space",), ("pad:a",)}
    assert ("key:Right",) in {b.inputs for b in new.bindings_for(1)}
    assert all(b.label == new.labels[b.action] for b in new.bindings)
    assert any("'dash'" in m and "Shift" in m for m in problems)
    assert any("'crouch'" in m and "no binding" in m for m in problems)
    same, none = remap(p, p.labels)
    assert none == [] and same.to_dict() == p.to_dict()


def test_dict_round_trip_and_validation():
    p = default_profile(LABELS, "tiny")
    p.deadzone = 0.3
    q = Profile.from_dict(p.to_dict())
    assert q.to_dict() == p.to_dict()
    bad = p.to_dict()
    bad["bindings"][0]["inputs"] = ["pad:warp"]
    with pytest.raises(ProfileError, match="binding #1: unknown input 'pad:warp'"):
        Profile.from_dict(bad)
    newer = dict(p.to_dict(), version=99)
    with pytest.raises(ProfileError, match="newer"):
        Profile.from_dict(newer)
    with pytest.raises(ProfileError, match="deadzone"):
        Profile.from_dict(dict(p.to_dict(), deadzone=2))
    with pytest.raises(ProfileError, match="out of range"):
        p.bind(9, "key:Q")
