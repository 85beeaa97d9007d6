"""Creating the world session the editor plays (no Qt): the one place that picks a backend.

``make_session(settings, model=None)`` returns a WorldSession-like object (``reset``, ``step``,
``labels``, ``resolution``, knobs ``steps``/``temperature``/``seed``). Today the backend is the local
model; a remote backend plugs in here by looking at ``settings["backend"]``.
"""

from __future__ import annotations

import torch

from genie_studio.registry import DEFAULT_MODEL, resolve_model
from genie_studio.session import devices
from genie_studio.session.world_session import DEFAULT_STEPS, WorldSession
from genie_studio.world.bundle import BundleError, load_model


class SessionError(RuntimeError):
    """The session could not be created; the message says what to do."""


def available_devices() -> list[str]:
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def resolve_device(name: str | None) -> str:
    try:
        return devices.resolve_device(name)
    except ValueError as e:
        raise SessionError(str(e)) from None


def model_spec(settings: dict, model: str | None = None) -> str:
    spec = model or settings.get("model") or DEFAULT_MODEL
    return DEFAULT_MODEL if spec == "default" else str(spec)


def make_session(settings: dict, model: str | None = None) -> WorldSession:
    """A ready-to-reset session for ``model`` (or the settings' model) with the settings' knobs."""
    backend = settings.get("backend", "local")
    if backend == "remote":
        return _remote_session(settings, model)
    if backend != "local":
        raise SessionError(f"unknown backend {backend!r}; choose a device (local) or a remote server")
    spec = model_spec(settings, model)
    device = resolve_device(settings.get("device"))
    try:
        folder = resolve_model(spec)
        wm = load_model(folder, components=("tokenizer", "dynamics"), device=device)
    except BundleError as e:
        raise SessionError(f"{e}. Pick another model in Model > Open Model Folder, or install one with "
                           "`genie-studio train`") from None
    wm.path = wm.path or folder
    precision = devices.resolve_precision("auto", device)
    return WorldSession(wm, device=device, steps=int(settings.get("maskgit_steps", DEFAULT_STEPS)),
                        temperature=float(settings.get("temperature", 1.0)), seed=int(settings.get("seed", 0)),
                        precision=precision)


def _remote_session(settings: dict, model: str | None):
    """A RemoteSession on ``settings["server_url"]`` (token from ``settings["server_token_file"]``)."""
    from genie_studio.remote.auth import AuthError, read_token
    from genie_studio.remote.client import RemoteSession
    from genie_studio.remote.protocol import RemoteError

    url = settings.get("server_url") or ""
    try:
        token = read_token(settings["server_token_file"]) if settings.get("server_token_file") else None
        local_path = model and ("/" in str(model) or "\\" in str(model))  # a local folder: use the server's
        name = model if model and model not in ("default", DEFAULT_MODEL) and not local_path else None
        return RemoteSession(url, token=token, model=name, steps=int(settings.get("maskgit_steps", DEFAULT_STEPS)),
                             temperature=float(settings.get("temperature", 1.0)), seed=int(settings.get("seed", 0)))
    except (AuthError, RemoteError, ValueError) as e:
        raise SessionError(f"remote server {url or '(no URL)'}: {e}. Check the URL and the token file, or pick a "
                           "local device") from None
