"""How a session is set up: :class:`SessionSettings` (the world's :class:`~genie_studio.knobs.Knobs`, plus
the server URL and token, a loaded model, compile progress) and the local half of the one session builder.

:func:`open_local` resolves the model (``knobs.model``: a name or a folder, "default" the bundled one; or a
loaded ``WorldModel`` given as ``loaded``) and the device and precision policy of :mod:`.devices`; the
server's engine and recording replay use it directly. Front ends call
``genie_studio.local_or_remote.open_session``, which sends settings with a ``server_url`` to
``remote.remote_session.open_remote`` and the rest here. Failures are a :class:`SessionError` whose
``part`` says what to fix: "device", "model", "server" or "knobs".
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from genie_studio.knobs import KnobError, Knobs

if TYPE_CHECKING:
    from genie_studio.session.world_session import WorldSession
    from genie_studio.world.bundle import WorldModel

SESSION_COMPONENTS = ("tokenizer", "dynamics")  # what a session plays with (never the LAM)


class SessionError(RuntimeError):
    """The session could not be opened; the message says why, ``part`` what to fix."""

    def __init__(self, message: str, part: str):
        super().__init__(message)
        self.part = part


@dataclass
class SessionSettings:
    knobs: Knobs = field(default_factory=Knobs)  # the world: model, device, precision, steps, temperature, seed...
    loaded: Any = None  # a loaded WorldModel to play instead of knobs.model (the server's engine, tests)
    components: tuple[str, ...] = SESSION_COMPONENTS  # model parts to load
    server_url: str | None = None  # set: play on this server
    token: str | None = None
    token_file: str | os.PathLike | None = None  # read when no token is given
    compile_in_background: bool = False  # play eagerly at once while the graphs build on a thread
    on_compile: Callable[[str, int, int], None] | None = None  # progress: (text, done, total)

    @classmethod
    def from_settings(cls, settings: dict, model=None) -> SessionSettings:
        """The editor's settings dict (``config.default_settings`` keys) with an optional model override."""
        remote = settings.get("backend", "local") == "remote"
        if not remote and settings.get("backend", "local") != "local":
            raise SessionError(f"unknown backend {settings['backend']!r}; choose a device (local) or a remote "
                               "server", "device")
        try:
            chosen = model if remote else (model or settings.get("model") or None)
            knobs = Knobs.from_dict({**settings, "model": chosen})
        except KnobError as e:
            raise SessionError(str(e), "knobs") from None
        return cls(knobs=knobs, server_url=(settings.get("server_url") or "") if remote else None,
                   token_file=settings.get("server_token_file") or None, compile_in_background=True)


def load_world(model: str | os.PathLike | None, components: tuple[str, ...] = SESSION_COMPONENTS,
               device="cpu") -> WorldModel:
    """The one way a model is loaded: a name (``"default"``: the bundled one; None: the settings' model) or a
    folder -> its ``WorldModel`` with ``components`` built, checked and on ``device`` (``world/bundle.py:
    load_model`` reads each file once); ``ModelError`` (``BundleError``) says why not."""
    from genie_studio.model_catalog import DEFAULT_MODEL, resolve_model  # torch is loaded only for a local world
    from genie_studio.world.bundle import load_model

    wm = load_model(resolve_model(DEFAULT_MODEL if model == "default" else model), components, device)
    _freeze_once()
    return wm


_FROZEN: list[bool] = []


def _freeze_once() -> None:
    """After the first model of a process is loaded, what is alive (torch's and our modules, the model: ~200k
    objects that live as long as the process) leaves the cyclic garbage collector's view, once: a full
    collection over them cost 0.16 s here, and one comes within the first reset or steps."""
    if not _FROZEN:
        _FROZEN.append(True)
        gc.freeze()


def open_local(s: SessionSettings) -> WorldSession:
    """A local session set up as ``s`` says, ready for ``reset(prompt)`` (``s.server_url`` is not read)."""
    from genie_studio.session import devices
    from genie_studio.session.world_session import WorldSession
    from genie_studio.world.bundle import BundleError, WorldModel

    if s.token_file:
        raise SessionError("a token file needs a server", "device")
    try:
        device = devices.resolve_device(s.knobs.device)
        precision = devices.resolve_precision(s.knobs.precision, device)
    except ValueError as e:
        raise SessionError(str(e), "device") from None
    k = s.knobs
    try:
        wm = s.loaded if isinstance(s.loaded, WorldModel) else load_world(k.model, s.components, device)
        session = WorldSession(wm, device=device, steps=k.maskgit_steps, temperature=k.temperature, seed=k.seed,
                               context=k.context, precision=precision, decoder=k.decoder, endless=k.endless)
    except (BundleError, ValueError) as e:
        raise SessionError(str(e), "model") from None
    _compile(session, s)
    return session


def _compile(session: WorldSession, s: SessionSettings) -> None:
    """Load the session's compiled graphs; missing ones are built by a background process meanwhile
    (session/compile_job.py), so play starts at once, eagerly, and never waits for a compiler."""
    from genie_studio.session import compile_job, compiled

    if not compiled.enabled(s.knobs.compile):
        return
    compile_job.start(session.model, session.device, session.precision, context=session.context,
                      background=s.compile_in_background, progress=s.on_compile)
