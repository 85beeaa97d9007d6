"""One frames/s default for every front end: ``config.DEFAULTS["fps"]`` (#28: 15 was hard-coded in five
places while the settings said 30)."""

import inspect

from genie_studio.config import DEFAULTS


def test_editor_player_and_cli_default_to_the_settings_fps(qtbot):
    from genie_studio.cli import build_parser
    from genie_studio.editor.play_view import PlayView
    from genie_studio.editor.worker import WorldWorker
    from genie_studio.player.window import run_player

    fps = DEFAULTS["fps"]
    view = PlayView()
    qtbot.addWidget(view)
    assert view.knobs()["fps"] == fps
    worker = WorldWorker()
    worker.setParent(view)  # goes with the view when qtbot closes it
    assert worker.fps_target == fps
    assert inspect.signature(run_player).parameters["fps"].default == fps
    assert build_parser().parse_args(["play", "p.png"]).fps == fps
