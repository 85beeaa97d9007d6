"""One action vocabulary: the default profile (the one keymap) and the SPEC language agree."""

import pytest

from genie_studio.controls import default_profile, key_table, label_words, resolve
from genie_studio.controls.vocabulary import IDLE_WORDS, canonical_parts, idle_index, label_parts
from genie_studio.session.actions import ActionError, action_index


@pytest.mark.parametrize("idle", IDLE_WORDS + ("No Op", "NOTHING", "no_op"))
def test_every_front_end_finds_the_same_idle_action(idle):
    labels = ["left", idle, "right", "jump"]
    assert idle_index(labels) == 1
    assert default_profile(labels).idle == 1
    assert resolve(default_profile(labels), {}) == 1
    assert key_table(default_profile(labels))["(no key)"] == idle
    assert action_index("noop", labels) == 1 and action_index("nothing", labels) == 1


def test_nothing_is_idle_everywhere():
    """The old disagreement: only controls/defaults knew "nothing"."""
    labels = ["jump", "nothing", "right"]
    assert default_profile(labels).idle == resolve(default_profile(labels), {}) == action_index("noop", labels) == 1


def test_no_idle_label_falls_back_to_action_zero_but_the_spec_refuses_noop():
    labels = ["left", "right"]
    assert idle_index(labels) == default_profile(labels).idle == resolve(default_profile(labels), {}) == 0
    with pytest.raises(ActionError, match="unknown action"):
        action_index("noop", labels)


def test_synonyms_are_shared():
    labels = ["noop", "left", "hop", "crouch"]
    assert canonical_parts("Hop+Right") == ["jump", "right"]
    assert label_words("hop") == ["jump"] and label_words("Right_Leap") == ["right", "jump"]
    p = default_profile(labels)
    assert resolve(p, {"key:Space": 1}) == 2 and resolve(p, {"key:Down": 1}) == 3
    assert action_index("jump", labels) == 2 and action_index("down", labels) == 3 and action_index("leap", labels) == 2
    assert ("key:Space",) in [b.inputs for b in default_profile(labels).bindings_for(2)]


def test_words_split_the_same_way():
    assert label_parts("Walk_Left") == ["walk", "left"]
    assert label_parts("left+jump-2") == ["left", "jump", "2"]
    assert label_parts("jump right") == ["jump", "right"]
    labels = ["noop", "left+jump", "right+jump"]
    assert action_index("right", labels) == 2 == resolve(default_profile(labels), {"key:Right": 1, "key:Space": 2})
