"""A RemoteSession meets the same Session protocol as the local WorldSession."""

import numpy as np

from genie_studio.knobs import Knobs
from genie_studio.remote.remote_session import RemoteSession
from genie_studio.session.protocol import Session
from tests.remote.conftest import TOKEN


def test_a_remote_session_is_a_session(make_server):
    st = make_server()
    with RemoteSession(st.url, token=TOKEN, knobs=Knobs(maskgit_steps=1)) as s:
        assert isinstance(s, Session)
        assert s.patch == 4 and s.model.name and s.model.path is None
        s.reset(np.zeros((16, 16, 3), np.uint8))
        s.step(s.labels[0])
        assert s.last_rtt_ms is not None and len(s.frames) == 2


def test_the_builder_opens_a_remote_session_when_settings_name_a_server(make_server, tmp_path):
    from genie_studio.local_or_remote import SessionError, SessionSettings, open_session

    st = make_server()
    with open_session(SessionSettings(Knobs(model="/a/local/folder", seed=5), server_url=st.url, token=TOKEN)) as s:
        assert isinstance(s, RemoteSession) and s.seed == 5 and s.model_name == "tiny-test"
    try:
        open_session(SessionSettings(server_url=st.url))
    except SessionError as e:
        assert e.part == "server" and "auth_failed" in str(e)
    else:
        raise AssertionError("no token: refused")


def test_a_remote_session_can_be_recorded(make_server, tmp_path):
    from genie_studio.recording import Recorder
    from genie_studio.recording.reader import Recording

    st = make_server()
    with RemoteSession(st.url, token=TOKEN, knobs=Knobs(maskgit_steps=1)) as s:
        assert s.context == 4 and s.precision in ("fp32", "bf16")  # what the server's model runs with
        kw = Recorder.session_kwargs(s, None)
        assert kw["context"] == 4 and kw["precision"] == s.precision and kw["model"]["name"] == "tiny-test"
        rec = Recorder.for_session(s, tmp_path / "take", np.zeros((16, 16, 3), np.uint8), fps=15)
        rec.step(s.labels[1])
        rec.step(s.labels[2])
        rec.close()
    r = Recording(tmp_path / "take")
    assert r.header["context"] == 4 and len(r) == 3 and r.actions[1:] == [1, 2]
