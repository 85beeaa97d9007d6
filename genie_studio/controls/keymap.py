"""Default keyboard bindings derived from a model's action labels (no Qt).

Keys are named by plain strings ("Left", "A", "Space", "1"...). Direction keys feed a set of
directions: Left/A -> left, Right/D -> right, Up/W/Space -> jump, Down/S -> down. The held set is
mapped to the best-matching label: ``{right, jump}`` tries "right+jump", "jump+right", "jump right",
"right jump", then "jump", then "right"; nothing held -> the idle action of the shared vocabulary
(``controls/vocabulary.py``: "noop", "idle", "nothing"..., else the first action). Label words are
read through the same vocabulary ("hop" is jump); this keymap has no "up": Up and "up" labels mean
jump. Digit keys 1..9 hold action index 0..8 directly, so a model whose labels are just "a0".."a7"
stays playable. Labels not present are never invented: the fallback is always a real action.
"""

from __future__ import annotations

from genie_studio.controls.vocabulary import canonical_parts, idle_index, label_parts

DIRECTION_KEYS: dict[str, str] = {
    "Left": "left", "A": "left",
    "Right": "right", "D": "right",
    "Up": "jump", "W": "jump", "Space": "jump",
    "Down": "down", "S": "down",
}
_ORDER = ("left", "right", "down", "jump")  # the directions this keymap holds
KEYS = frozenset(DIRECTION_KEYS) | frozenset("123456789")  # every key name this keymap reads


def _dirs_of(label: str) -> frozenset[str]:
    """The directions a label names, ignoring other words: "Walk_Left" -> {left}, "jump+right" -> {jump, right}."""
    parts = ("jump" if p == "up" else p for p in canonical_parts(label))
    return frozenset(p for p in parts if p in _ORDER)


def _find_combo(labels: list[str], dirs: frozenset[str]) -> int | None:
    for i, l in enumerate(labels):  # exact words first ("right+jump"), then labels with extra words
        parts = label_parts(l)
        if parts and frozenset(parts) == dirs:
            return i
    for i, l in enumerate(labels):
        if _dirs_of(l) == dirs:
            return i
    return None


def action_for_directions(dirs, labels: list[str]) -> int:
    """A set of held directions -> the index of the best-matching action label."""
    dirs = frozenset(d for d in dirs if d in _ORDER)
    if "left" in dirs and "right" in dirs:  # opposite keys cancel
        dirs = dirs - {"left", "right"}
    if not dirs:
        return idle_index(labels)
    i = _find_combo(labels, dirs)
    if i is not None:
        return i
    # drop directions one at a time: jump matters most in a platformer, then the horizontal move
    for keep in ("jump", "right", "left", "down"):
        if keep in dirs:
            i = _find_combo(labels, frozenset({keep}))
            if i is not None:
                return i
    return idle_index(labels)


def action_for_keys(keys, labels: list[str]) -> int:
    """Held key names -> action index. A held digit key wins (most recently listed digit)."""
    digits = [k for k in keys if len(k) == 1 and k.isdigit() and k != "0"]
    for d in digits:
        if int(d) - 1 < len(labels):
            return int(d) - 1
    return action_for_directions({DIRECTION_KEYS[k] for k in keys if k in DIRECTION_KEYS}, labels)


def default_bindings(labels: list[str]) -> dict[str, str]:
    """The bindings in use as ``{"Left": "left", "Up+Right": "right+jump", ...}``, saved with a project."""
    out = {"(no key)": labels[idle_index(labels)] if labels else ""}
    combos = {"Left": {"left"}, "Right": {"right"}, "Up": {"jump"}, "Down": {"down"},
              "Up+Left": {"left", "jump"}, "Up+Right": {"right", "jump"}}
    for name, dirs in combos.items():
        if labels:
            out[name] = labels[action_for_directions(dirs, labels)]
    for i, l in enumerate(labels[:9]):
        out[str(i + 1)] = l
    out["aliases"] = "A=Left, D=Right, W/Space=Up, S=Down"
    return out
