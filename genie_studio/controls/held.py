"""The set of held inputs, with the order they were pressed in (what the resolution rule needs).

Inputs come from several *sources* (the keyboard of a window, each gamepad poll). Keyboards report
presses and releases (:meth:`press`, :meth:`release`); polled devices report their whole current set
(:meth:`set_source`), which is diffed so a newly held input gets a fresh press number.
"""

from __future__ import annotations

import itertools


class HeldInputs:
    def __init__(self):
        self._seq = itertools.count(1)
        self._sources: dict[str, dict[str, int]] = {}

    def press(self, input_id: str, source: str = "keyboard") -> None:
        src = self._sources.setdefault(source, {})
        if input_id not in src:  # key repeat does not count as a new press
            src[input_id] = next(self._seq)

    def release(self, input_id: str, source: str = "keyboard") -> None:
        self._sources.get(source, {}).pop(input_id, None)

    def set_source(self, source: str, inputs) -> None:
        """Replace everything ``source`` holds with ``inputs`` (new ones count as pressed now)."""
        old = self._sources.get(source, {})
        new = {i: old[i] for i in inputs if i in old}
        for i in sorted(set(inputs) - set(old)):  # sorted: deterministic order for a simultaneous set
            new[i] = next(self._seq)
        self._sources[source] = new

    def clear(self, source: str | None = None) -> None:
        """Release everything (of one source), e.g. when a window loses focus."""
        if source is None:
            self._sources.clear()
        else:
            self._sources.pop(source, None)

    @property
    def order(self) -> dict[str, int]:
        """input id -> press number (larger = more recent); an input held by two sources keeps the newer."""
        out: dict[str, int] = {}
        for src in self._sources.values():
            for i, n in src.items():
                out[i] = max(n, out.get(i, 0))
        return out

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self.order)
