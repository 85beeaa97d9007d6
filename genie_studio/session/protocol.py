"""The one interface every front end drives: :class:`Session`, met by the local ``WorldSession`` and
by ``remote.remote_session.RemoteSession`` alike, so the editor, the player and the CLI never ask which one
they hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


class SessionModel(Protocol):
    """What a front end reads of a session's model (``WorldModel`` locally, ``RemoteModel`` remotely)."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> Path | None: ...

    @property
    def action_labels(self) -> list[str]: ...

    @property
    def meta(self) -> dict: ...


@runtime_checkable
class Session(Protocol):
    """prompt -> step(action) -> frame. ``last_rtt_ms`` is the last server round trip (None locally);
    ``patch`` is the tokenizer's patch size in pixels; ``close`` releases what the session holds. ``seed``,
    ``steps`` and ``temperature`` are read here; they change through ``configure``."""

    model: Any
    device: Any
    seed: int
    steps: int
    temperature: float
    last_rtt_ms: float | None

    @property
    def precision(self) -> str: ...

    @property
    def context(self) -> int | None: ...

    @property
    def labels(self) -> list[str]: ...

    @property
    def resolution(self) -> tuple[int, int]: ...

    @property
    def patch(self) -> int: ...

    @property
    def frame(self) -> np.ndarray | None: ...

    @property
    def frames(self) -> list[np.ndarray]: ...

    @property
    def actions(self) -> list[int]: ...

    def action_index(self, action) -> int: ...

    def configure(self, knobs) -> None:
        """Take new knobs (a ``knobs.Knobs``) in one call: its ``knobs.LIVE`` ones apply to this world."""
        ...

    def reset(self, prompt, seed: int | None = None) -> np.ndarray: ...

    def step(self, action) -> np.ndarray: ...

    def rewind(self, n: int = 1) -> np.ndarray: ...

    def sibling(self) -> Session:
        """A new session of the same model and settings (where previews play)."""
        ...

    def close(self) -> None: ...
