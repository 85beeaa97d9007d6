"""The default profile for a model, built from its action labels.

Words the labels are made of decide the inputs (the vocabulary of :mod:`.vocabulary`: labels are
split at ``+``, ``_``, ``-`` and spaces, case ignored, synonyms such as "hop" read as their word):

==========  ==================  =================  ====================================
word        arrows              WASD               gamepad
==========  ==================  =================  ====================================
left        Left                A                  d-pad left, left stick left
right       Right               D                  d-pad right, left stick right
up          Up                  W                  d-pad up, left stick up
down        Down                S                  d-pad down, left stick down
jump        Space (+ Up)        Space (+ W)        A (+ d-pad up, left stick up)
==========  ==================  =================  ====================================

Up/W/d-pad up/stick up also mean *jump* when the model has no "up" action. A label made of several
words ("left+jump", "right+jump") gets chords: one input per word from the same scheme (Left + Space,
A + W, d-pad right + A, ...). The idle action (sent when nothing is held) is the label noop, no-op,
idle, none, stay, still or nothing, else action 0 (``vocabulary.IDLE_WORDS``). A word that no
single-word label owns (a model whose leftward action came out as "left+jump") also gets its plain
input on the first combination that contains it, so holding Left still moves left.

Every model also gets the digit keys: 1..9 hold actions 0..8, whatever their labels, so each latent
action can be tried directly ("a3", "other", "right+jump-2" get no other binding; bind them in the
editor's Controls panel). A digit binding is one input, so a chord still beats it, and among single
keys the newest press wins, as for any binding.
"""

from __future__ import annotations

import itertools

from genie_studio.controls.profile import Profile
from genie_studio.controls.vocabulary import WORDS, canonical_parts, idle_index

_SCHEMES = {
    "arrows": {"left": ["key:Left"], "right": ["key:Right"], "up": ["key:Up"], "down": ["key:Down"],
               "jump": ["key:Space"]},
    "wasd": {"left": ["key:A"], "right": ["key:D"], "up": ["key:W"], "down": ["key:S"], "jump": ["key:Space"]},
    "dpad": {"left": ["pad:dpleft"], "right": ["pad:dpright"], "up": ["pad:dpup"], "down": ["pad:dpdown"],
             "jump": ["pad:a"]},
    "stick": {"left": ["pad:lstick-left"], "right": ["pad:lstick-right"], "up": ["pad:lstick-up"],
              "down": ["pad:lstick-down"], "jump": ["pad:a"]},
}

DIGIT_KEYS = tuple(f"key:{d}" for d in "123456789")  # digit key n holds action n - 1


def label_words(label: str) -> list[str] | None:
    """``"Right+Jump"`` -> ``["right", "jump"]``; None when a part is not a known word."""
    parts = canonical_parts(label)
    if not parts or any(p not in WORDS for p in parts) or len(set(parts)) != len(parts):
        return None
    return parts


def default_profile(labels: list[str], model: str = "") -> Profile:
    if not labels:
        raise ValueError("a model needs at least one action label")
    p = Profile(labels=list(labels), model=model, idle=idle_index(labels))
    words = {i: label_words(label) for i, label in enumerate(labels)}
    has_up = any(w == ["up"] for w in words.values())
    schemes = {name: {k: list(v) for k, v in s.items()} for name, s in _SCHEMES.items()}
    if not has_up:  # up doubles as jump, as in most platformers
        for s in schemes.values():
            s["jump"] = s["jump"] + s["up"]
    used: set[frozenset] = set()
    # single words first, then combos, so a chord never shadows the plain action's inputs
    for i in sorted(words, key=lambda i: (len(words[i] or ()), i)):
        ws = words[i]
        if not ws or i == p.idle:
            continue
        for s in schemes.values():
            for chord in itertools.product(*(s[w] for w in ws)):
                chord = tuple(dict.fromkeys(chord))
                if len(chord) != len(ws) or frozenset(chord) in used:
                    continue
                used.add(frozenset(chord))
                p.bind(i, chord)
    owned = {ws[0] for ws in words.values() if ws and len(ws) == 1}
    for w in WORDS:
        combos = [i for i in sorted(words) if words[i] and len(words[i]) > 1 and w in words[i] and i != p.idle]
        if w in owned or not combos:
            continue
        for s in schemes.values():
            for inp in s[w]:
                if frozenset([inp]) not in used:
                    used.add(frozenset([inp]))
                    p.bind(combos[0], (inp,))
    for i in range(min(len(DIGIT_KEYS), len(labels))):
        p.bind(i, (DIGIT_KEYS[i],))
    return p
