"""The editor's default keyboard keymap (controls/keymap.py): no Qt needed."""

import pytest

from genie_studio.controls.keymap import action_for_directions, action_for_keys, default_bindings

LABELS = ["noop", "left", "right", "jump", "right+jump", "left+jump"]


@pytest.mark.parametrize("keys,label", [
    (set(), "noop"), ({"Left"}, "left"), ({"A"}, "left"), ({"Right"}, "right"), ({"D"}, "right"),
    ({"Up"}, "jump"), ({"W"}, "jump"), ({"Space"}, "jump"), ({"Up", "Right"}, "right+jump"),
    ({"Space", "A"}, "left+jump"), ({"Left", "Right"}, "noop"), ({"3"}, "right"), ({"Down"}, "noop"),
])
def test_default_keys(keys, label):
    assert LABELS[action_for_keys(keys, LABELS)] == label


def test_keys_fall_back_gracefully():
    four = ["noop", "left", "right", "jump"]
    assert four[action_for_directions({"right", "jump"}, four)] == "jump"  # no combo label: jump wins
    auto = ["a0", "a1", "a2"]
    assert action_for_keys({"Left"}, auto) == 0 and action_for_keys({"2"}, auto) == 1
    assert action_for_keys({"9"}, auto) == 0  # a digit beyond the actions is ignored
    assert action_for_directions({"left"}, ["idle", "Walk_Left"]) == 1  # spelling variants
    b = default_bindings(LABELS)
    assert b["Up+Right"] == "right+jump" and b["(no key)"] == "noop" and b["1"] == "noop"
