"""The local WorldSession meets the Session protocol every front end drives."""

from genie_studio.session.protocol import Session
from genie_studio.session.world_session import WorldSession
from genie_studio.world.tiny import tiny_world


def test_a_local_session_is_a_session():
    s = WorldSession(tiny_world(), steps=1)
    assert isinstance(s, Session)
    assert s.last_rtt_ms is None and s.patch == s.model.tokenizer.cfg.patch
    s.close()
