"""How a session is set up: :class:`SessionSettings` (model, device, precision, MaskGIT steps,
temperature, seed, context, server URL and token) and the local half of the one session builder.

:func:`open_local` resolves the model (a name, a folder or a loaded ``WorldModel``; None is the
settings' model) and the device and precision policy of :mod:`.devices`; the server's engine and
recording replay use it directly. Front ends call ``genie_studio.sessions.open_session``, which sends
settings with a ``server_url`` to ``remote.client.open_remote`` and the rest here. Failures are a
:class:`SessionError` whose ``part`` says what to fix: "device", "model" or "server".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genie_studio.config import DEFAULT_DECODER, DEFAULT_MASKGIT_STEPS, DEFAULT_TEMPERATURE

if TYPE_CHECKING:
    from genie_studio.session.world_session import WorldSession


class SessionError(RuntimeError):
    """The session could not be opened; the message says why, ``part`` what to fix."""

    def __init__(self, message: str, part: str):
        super().__init__(message)
        self.part = part


@dataclass
class SessionSettings:
    model: Any = None  # model name, folder or WorldModel; None or "default": the settings' default model
    device: str | None = "auto"
    precision: str | None = "auto"
    steps: int = DEFAULT_MASKGIT_STEPS
    temperature: float = DEFAULT_TEMPERATURE
    seed: int = 0
    context: int | None = None  # frames of context; None: the model's
    decoder: str = DEFAULT_DECODER  # "copy": the drawing is the level (session/level.py); "free": all generated
    endless: bool = False  # decoder "copy": the model invents past the drawing's ends
    components: tuple[str, ...] = ("tokenizer", "dynamics")  # model parts to load (a session never uses the LAM)
    server_url: str | None = None  # set: play on this server
    token: str | None = None
    token_file: str | os.PathLike | None = None  # read when no token is given
    compile: bool = True  # use (and on the first run build) compiled stepping: session/compiled.py
    compile_in_background: bool = False  # play eagerly at once while the graphs build on a thread
    on_compile: Callable[[str, int, int], None] | None = None  # progress: (text, done, total)

    @classmethod
    def from_settings(cls, settings: dict, model=None) -> SessionSettings:
        """The editor's settings dict (``config.DEFAULT_SETTINGS`` keys) with an optional model override."""
        remote = settings.get("backend", "local") == "remote"
        if not remote and settings.get("backend", "local") != "local":
            raise SessionError(f"unknown backend {settings['backend']!r}; choose a device (local) or a remote "
                               "server", "device")
        return cls(model=model if remote else (model or settings.get("model")), device=settings.get("device"),
                   steps=int(settings.get("maskgit_steps", DEFAULT_MASKGIT_STEPS)),
                   temperature=float(settings.get("temperature", DEFAULT_TEMPERATURE)),
                   seed=int(settings.get("seed", 0)), components=("tokenizer", "dynamics"),
                   decoder=str(settings.get("decoder", DEFAULT_DECODER)), endless=bool(settings.get("endless", False)),
                   server_url=(settings.get("server_url") or "") if remote else None,
                   token_file=settings.get("server_token_file") or None,
                   compile=bool(settings.get("compile", True)), compile_in_background=True)


def open_local(s: SessionSettings) -> WorldSession:
    """A local session set up as ``s`` says, ready for ``reset(prompt)`` (``s.server_url`` is not read)."""
    from genie_studio.registry import DEFAULT_MODEL, resolve_model  # torch is loaded only for a local world
    from genie_studio.session import devices
    from genie_studio.session.world_session import WorldSession
    from genie_studio.world.bundle import BundleError, WorldModel, load_model

    if s.token_file:
        raise SessionError("a token file needs a server", "device")
    try:
        device = devices.resolve_device(s.device)
        precision = devices.resolve_precision(s.precision, device)
    except ValueError as e:
        raise SessionError(str(e), "device") from None
    try:
        wm = s.model
        if not isinstance(wm, WorldModel):
            folder = resolve_model(DEFAULT_MODEL if wm == "default" else wm)
            wm = load_model(folder, components=s.components, device=device)
            wm.path = wm.path or folder
        session = WorldSession(wm, device=device, steps=s.steps, temperature=s.temperature, seed=s.seed,
                               context=s.context, precision=precision, decoder=s.decoder, endless=s.endless)
    except (BundleError, ValueError) as e:
        raise SessionError(str(e), "model") from None
    _compile(session, s)
    return session


def _compile(session: WorldSession, s: SessionSettings) -> None:
    """Load the session's compiled graphs; missing ones are built by a background process meanwhile
    (session/compile_job.py), so play starts at once, eagerly, and never waits for a compiler."""
    from genie_studio.session import compile_job, compiled

    if not compiled.enabled(s.compile):
        return
    compile_job.start(session.model, session.device, session.precision, context=session.context,
                      background=s.compile_in_background, progress=s.on_compile)
