"""A RemoteSession meets the same Session protocol as the local WorldSession."""

import numpy as np

from genie_studio.remote.client import RemoteSession
from genie_studio.session.protocol import Session
from tests.remote.conftest import TOKEN


def test_a_remote_session_is_a_session(make_server):
    st = make_server()
    with RemoteSession(st.url, token=TOKEN, steps=1) as s:
        assert isinstance(s, Session)
        assert s.patch == 4 and s.model.name and s.model.path is None
        s.reset(np.zeros((16, 16, 3), np.uint8))
        s.step(s.labels[0])
        assert s.last_rtt_ms is not None and len(s.frames) == 2
