"""Open a world here or on a server: the one session builder every front end calls,
:class:`~genie_studio.session.open.SessionSettings` -> a ready-to-reset
:class:`~genie_studio.session.protocol.Session`, on a server when the settings name one
(``remote.remote_session.open_remote``), else on this computer (``session.open.open_local``)."""

from __future__ import annotations

from genie_studio.session.open import SessionError, SessionSettings, open_local
from genie_studio.session.protocol import Session

__all__ = ["SessionError", "SessionSettings", "open_session"]


def open_session(s: SessionSettings) -> Session:
    if s.server_url is None:
        return open_local(s)
    from genie_studio.remote.remote_session import open_remote  # the network stack only for a server (~0.2 s at start)

    return open_remote(s)
