"""The action vocabulary: the words action labels are made of, in one place for every front end.

A label is split into words at ``+``, ``_``, ``-`` and spaces, case ignored: ``"Right+Jump"`` ->
right, jump. :data:`WORDS` are the movement words the controls know; :data:`SYNONYMS` map other
spellings onto them (``hop`` -> jump). The idle action, sent when nothing is held, is the first label
that is one of :data:`IDLE_WORDS` (compared word by word, so ``"No Op"`` is ``"no-op"``), else action 0.
The default profile (``controls/defaults.py``, the one keymap of the editor and the player) and the
action SPEC language (``session/actions.py``) both read these.
"""

from __future__ import annotations

import re

WORDS = ("left", "right", "up", "down", "jump")
SYNONYMS = {"hop": "jump", "leap": "jump", "duck": "down", "crouch": "down"}
IDLE_WORDS = ("noop", "no-op", "idle", "none", "stay", "still", "nothing")


def label_parts(label: str) -> list[str]:
    """``"Walk_Left"`` -> ``["walk", "left"]``: the words of a label as written, lower case."""
    return [p for p in re.split(r"[+_\s-]+", (label or "").strip().lower()) if p]


def canonical_parts(label: str) -> list[str]:
    """The words of a label with synonyms replaced: ``"hop+right"`` -> ``["jump", "right"]``."""
    return [SYNONYMS.get(p, p) for p in label_parts(label)]


def is_idle_word(label: str) -> bool:
    return label_parts(label) in [label_parts(w) for w in IDLE_WORDS]


def find_idle(labels: list[str]) -> int | None:
    """The index of the idle label (earlier IDLE_WORDS win), or None when no label is one."""
    parts = [label_parts(label) for label in labels]
    for word in IDLE_WORDS:
        want = label_parts(word)
        if want in parts:
            return parts.index(want)
    return None


def idle_index(labels: list[str]) -> int:
    """The action sent when nothing is held: the idle label, else action 0."""
    i = find_idle(labels)
    return 0 if i is None else i


def first_with_word(labels: list[str], word: str) -> int | None:
    """The first label that contains ``word`` (or a synonym of it), or None."""
    word = SYNONYMS.get(word, word)
    for i, label in enumerate(labels):
        if word in canonical_parts(label):
            return i
    return None
