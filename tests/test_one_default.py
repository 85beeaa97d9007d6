"""#28's promise: a newcomer changes the default temperature in one place (``Knobs.temperature`` in
genie_studio/knobs.py) and sees it in the editor, the CLI, the settings, a recording and the server.

The change is made the way an edit of that line acts: the default of ``Knobs``' constructor. Everything
below reads it when it runs, so nothing may have copied the old value at import time."""

import dataclasses

import numpy as np

from genie_studio.knobs import Knobs
from tests.remote.conftest import TOKEN, ask, prompt_png, raw_client

NEW = 0.25


def _change_the_default(monkeypatch, **changes):
    names = [f.name for f in dataclasses.fields(Knobs)]
    defaults = list(Knobs.__init__.__defaults__)
    for name, value in changes.items():
        defaults[names.index(name)] = value
    monkeypatch.setattr(Knobs.__init__, "__defaults__", tuple(defaults))


def test_one_default_temperature_reaches_every_front_end(monkeypatch, qtbot, tmp_path, model_dir):
    from genie_studio import config
    from genie_studio.cli import build_parser
    from genie_studio.commands._common import knobs_from_args
    from genie_studio.editor.play_view import PlayView
    from genie_studio.recording import Recorder
    from genie_studio.recording.reader import Recording
    from genie_studio.remote.engine import Engine
    from genie_studio.remote.limits import ServerConfig
    from genie_studio.remote.remote_session import RemoteSession
    from genie_studio.remote.thread import ServerThread
    from genie_studio.session.open import SessionSettings, open_local

    assert Knobs().temperature != NEW
    _change_the_default(monkeypatch, temperature=NEW)
    assert Knobs().temperature == NEW

    # the settings, and a session opened from them
    assert config.default_settings()["temperature"] == NEW and config.load_settings()["temperature"] == NEW
    assert SessionSettings().knobs.temperature == NEW
    assert SessionSettings.from_settings(config.load_settings()).knobs.temperature == NEW
    # the CLI: the flag's help line and what a command plays with
    parser = build_parser()
    play = dict(parser._subparsers._group_actions[0].choices)["play"]
    assert f"{NEW} unless changed" in play.format_help()
    assert knobs_from_args(parser.parse_args(["play", "p.png"])).temperature == NEW
    # the editor's knob panel
    view = PlayView()
    qtbot.addWidget(view)
    assert view.knobs()["temperature"] == NEW
    # a recording's header, from a local session at its defaults
    session = open_local(SessionSettings(Knobs(model=str(model_dir), device="cpu", compile=False)))
    assert session.temperature == NEW
    rec = Recorder.for_session(session, tmp_path / "take", np.zeros((16, 16, 3), np.uint8))
    rec.step(0)
    rec.close()
    assert Recording(tmp_path / "take").header["temperature"] == NEW
    assert Recording(tmp_path / "take").metas()[1]["temperature"] == NEW
    # the server: an open that names no temperature, and a RemoteSession at its defaults
    st = ServerThread(Engine.from_paths([model_dir], precision="fp32"), ServerConfig(port=0, token=TOKEN)).start()
    try:
        ws, _ = raw_client(st.url)
        opened, _ = ask(ws, {"type": "open", "id": 1}, payload=prompt_png())
        assert opened["type"] == "opened" and opened["temperature"] == NEW and opened["knobs"]["temperature"] == NEW
        with RemoteSession(st.url, token=TOKEN) as remote:
            remote.reset(prompt_png())
            assert remote.temperature == NEW
    finally:
        st.stop()
