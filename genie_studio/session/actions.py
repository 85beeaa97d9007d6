"""Action names and the action SPEC language: ``right*8,jump,noop*2``."""

from __future__ import annotations

from genie_studio.controls.vocabulary import SYNONYMS, WORDS, find_idle, first_with_word, is_idle_word


class ActionError(ValueError):
    pass


def action_index(action, labels: list[str]) -> int:
    """An action given by index or label -> its index; unknown ones are refused with the valid list.

    A word of the shared vocabulary (``controls/vocabulary.py``) that no label equals ("right" for a model
    whose labels say "right+jump") names the first label containing it, the action the default controls
    send for that key; an idle word ("noop", "nothing"...) names the model's idle label."""
    n = len(labels)
    if isinstance(action, bool):
        raise ActionError(f"not an action: {action!r}")
    if isinstance(action, int):
        if 0 <= action < n:
            return action
        raise ActionError(f"action index {action} out of range; valid: 0..{n - 1} ({', '.join(labels)})")
    if isinstance(action, str):
        s = action.strip().lower()
        low = [l.lower() for l in labels]
        if s in low:
            return low.index(s)
        if s.isdigit():
            return action_index(int(s), labels)
        if s.startswith("a") and s[1:].isdigit():
            return action_index(int(s[1:]), labels)
        i = first_with_word(labels, s) if SYNONYMS.get(s, s) in WORDS else None
        if i is None and is_idle_word(s):
            i = find_idle(labels)
        if i is not None:
            return i
        raise ActionError(f"unknown action {action!r}; valid actions: {', '.join(labels)} (or 0..{n - 1})")
    raise ActionError(f"not an action: {action!r}")


def parse_spec(spec: str, labels: list[str], max_len: int = 100_000) -> list[int]:
    """``right*8,jump,noop*2`` -> indices. Labels or indices, each with an optional ``*count``."""
    out: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, star, count = part.partition("*")
        n = 1
        if star:
            if not count.strip().isdigit():
                raise ActionError(f"bad repeat in {part!r}: use NAME*COUNT, e.g. right*8")
            n = int(count)
        out.extend([action_index(name, labels)] * n)
        if len(out) > max_len:
            raise ActionError(f"action spec is longer than {max_len} steps")
    if not out:
        raise ActionError("empty action spec; e.g. right*8,jump,noop*2")
    return out
