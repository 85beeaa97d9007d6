import json

import pytest

pytest.importorskip("pytestqt")

from genie_studio.editor.export_dialog import ExportDialog  # noqa: E402
from genie_studio.export import builtin_registry  # noqa: E402


def test_dialog_exports_with_preview_and_reports_errors(qtbot, recording, tmp_path):
    d = ExportDialog(recording, registry=builtin_registry())
    qtbot.addWidget(d)
    assert d.preview.pixmap() is not None and "12 frames" in d.size_label.text()
    assert "12 frames, 520×416 px" in d.size_label.text()  # auto: 16x20 frames upscaled 26x to >= 512 px
    assert d.scale.text().startswith("auto")
    d.set_format("aseprite")
    assert list(d.extra) == ["columns"]  # the format's own options, as `-o columns=N` on the command line
    d.extra["columns"].setText("5")
    d.out.setText(str(tmp_path / "out" / "walk.json"))
    d.scale.setValue(2)
    d.start.setValue(2)
    assert "10 frames, 40×32" in d.size_label.text()
    with qtbot.waitSignal(d.exported, timeout=20000):
        d.start_export()
    assert d.result_paths[0] == tmp_path / "out" / "walk.json" and (tmp_path / "out" / "walk.png").exists()
    meta = json.loads((tmp_path / "out" / "walk.json").read_text())["meta"]
    assert meta["size"] == {"w": 5 * 40, "h": 2 * 32}  # 10 frames in 5 columns
    d.set_format("mp4")
    assert list(d.extra) == ["crf"]
    d.out.setText(str(tmp_path / "out" / "walk.json" / "x.gif"))  # under a file: not writable
    d.set_format("gif")
    d.start_export()
    qtbot.waitUntil(lambda: d.error is not None, timeout=20000)
    assert "writable folder" in d.message.text()


def test_dialog_exports_into_a_godot_project(qtbot, recording, tmp_path):
    d = ExportDialog(recording, registry=builtin_registry())
    qtbot.addWidget(d)
    d.godot.setText(str(tmp_path / "nothing"))
    d.start_export()
    assert "no such folder" in d.message.text() and not d.format.isEnabled()
    game = tmp_path / "game"
    game.mkdir()
    (game / "project.godot").write_text("config_version=5\n")
    d.godot.setText(str(game))
    d.name.setText("walk")
    with qtbot.waitSignal(d.exported, timeout=20000):
        d.start_export()
    assert d.result_paths == [game / "genie_clips" / "rec" / "walk.tres", game / "genie_clips" / "rec" / "walk.png"]
    assert "AtlasTexture" in d.result_paths[0].read_text()  # Godot 4 SpriteFrames
