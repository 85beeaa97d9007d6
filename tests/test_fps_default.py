"""One frames/s default for every front end: ``Knobs().fps`` (#28: 15 was hard-coded in five places while
the settings said 30)."""

from types import SimpleNamespace

import numpy as np

from genie_studio.knobs import Knobs


def test_editor_player_and_cli_default_to_the_knobs_fps(qtbot, monkeypatch):
    from genie_studio.cli import build_parser
    from genie_studio.commands._common import knobs_from_args
    from genie_studio.editor.play_view import PlayView
    from genie_studio.editor.worker import WorldWorker
    from genie_studio.player import window

    fps = Knobs().fps
    view = PlayView()
    qtbot.addWidget(view)
    assert view.knobs()["fps"] == fps
    worker = WorldWorker()
    worker.setParent(view)  # goes with the view when qtbot closes it
    assert worker.fps_target == fps
    played = []
    monkeypatch.setattr(window, "_profile_for", lambda session, profile: None)
    monkeypatch.setattr(window, "_play", lambda session, fps, *rest: played.append(fps) or 0)
    window.run_player(SimpleNamespace(frame=np.zeros((8, 8, 3), np.uint8), resolution=(8, 8)))
    assert played == [fps]
    assert knobs_from_args(build_parser().parse_args(["play", "p.png"])).fps == fps
