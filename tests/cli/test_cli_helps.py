"""The command line helps a new user (#27 item 4): suggestions, help lines, --json, early checks."""

import argparse
import json
import os
import subprocess
import sys

import pytest

from genie_studio import cli
from genie_studio.commands import edit
from genie_studio.fsutil import os_error_text

NO_JSON = {"edit": "opens a window", "serve": "its log is JSON lines already"}


def _leaves(parser, path=()):
    """(command words, parser) of every runnable sub-command."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for a in subs:
        for name, sp in a.choices.items():
            yield from _leaves(sp, (*path, name))


def _options(parser):
    return [a for a in parser._actions
            if not isinstance(a, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction))]


def test_unknown_command_gets_a_suggestion_not_a_file_error(capsys, monkeypatch):
    monkeypatch.setattr(edit, "run", lambda args: pytest.fail("a typo must not open the editor"))
    assert cli.main(["pley"]) == 2
    err = capsys.readouterr().err
    assert "did you mean `genie-studio play`?" in err and "no such file" not in err
    assert cli.main(["xyzzy"]) == 2
    assert "commands: edit, play" in capsys.readouterr().err


def test_a_mistyped_choice_gets_a_suggestion(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["data", "genrate"])
    assert e.value.code == 2
    assert "did you mean generate?" in capsys.readouterr().err


def test_an_example_name_or_a_path_still_opens_the_editor(monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr(edit, "run", lambda args: opened.append(args.project) or 0)
    image = tmp_path / "level.png"
    image.write_bytes(b"")
    assert cli.main(["sketch_01_256x256"]) == 0 and cli.main([str(image)]) == 0
    assert opened == ["sketch_01_256x256", str(image)]


def test_every_option_has_a_help_line_with_its_default():
    parser = cli.build_parser()
    for path, leaf in _leaves(parser):
        for a in _options(leaf):
            assert a.help, f"genie-studio {' '.join(path)} {a.option_strings or a.dest} has no help"
    play = dict(_leaves(parser))[("play",)].format_help()
    assert "the settings' value, 30 unless changed" in play and "the settings' value, 0 unless" in play  # --fps, --seed
    assert "(default: None)" not in play


@pytest.mark.parametrize("path", [p for p, _ in _leaves(cli.build_parser()) if p[0] not in NO_JSON],
                         ids=" ".join)
def test_every_subcommand_has_json(path):
    leaf = dict(_leaves(cli.build_parser()))[path]
    assert any("--json" in a.option_strings for a in _options(leaf))


def test_play_checks_the_output_before_any_model_loads(tmp_path, capsys, monkeypatch):
    from genie_studio.commands import play

    monkeypatch.setattr(play, "make_session", lambda args: pytest.fail("the model loaded before the check"))
    assert cli.main(["play", "sketch_01_256x256", "--out", str(tmp_path / "q.mkv")]) == 1
    err = capsys.readouterr().err
    assert "no exporter writes .mkv" in err and ".gif" in err and "pass a format" not in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["play", "sketch_01_256x256", "--out", str(blocker / "sub" / "q.gif")]) == 1
    assert "is a file and not a folder" in capsys.readouterr().err
    assert cli.main(["play", "nosuch_sketch", "--out", str(tmp_path / "q.gif")]) == 1
    assert "sketch_01_256x256" in capsys.readouterr().err  # the error lists the examples


def test_record_takes_an_example_name_and_checks_its_folder_first(tmp_path, model_dir, capsys):
    out = tmp_path / "rec"
    assert cli.main(["record", "sketch_01_256x256", "--model", str(model_dir), "--actions", "right*2",
                     "--out", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["frames"] == 3
    assert cli.main(["record", "sketch_01_256x256", "--model", "no-such-model", "--actions", "right",
                     "--out", str(out)]) == 1
    assert "not an empty folder" in capsys.readouterr().err  # the folder is checked before the model


def test_play_json(tmp_path, model_dir, capsys):
    assert cli.main(["play", "sketch_02_456x256", "--model", str(model_dir), "--actions", "right*2",
                     "--out", str(tmp_path / "c.gif"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "gif" and doc["steps"] == 2 and doc["files"] == [str(tmp_path / "c.gif")]


def test_a_failed_import_leaves_nothing_behind(tmp_path, capsys):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video" * 50)
    out = tmp_path / "ds"
    assert cli.main(["data", "import", str(tmp_path / "nosuch.mp4"), str(broken), "--out", str(out),
                     "--json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert not out.exists() and doc["path"] is None and doc["imported"] == []
    reasons = {d["path"]: d["reason"] for d in doc["skipped"]}
    assert reasons[str(broken)] == "cannot read: invalid data found when processing input"  # no [Errno ...]


def test_os_errors_read_as_sentences(tmp_path):
    av = pytest.importorskip("av")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\0" * 100)
    with pytest.raises(av.error.FFmpegError) as e:
        av.open(str(broken))
    assert os_error_text(e.value) == f"{broken}: invalid data found when processing input"
    with pytest.raises(OSError) as e:
        open(tmp_path / "none")
    assert os_error_text(e.value) == f"{tmp_path / 'none'}: no such file or directory"


def test_a_closed_pipe_ends_quietly():
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte: `... | head -0`
    try:
        proc = subprocess.run([sys.executable, "-m", "genie_studio", "export", "--format", "list", "--json"],
                              stdout=write, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert proc.returncode == 1 and proc.stderr == ""


def test_the_editor_without_a_display_says_how_to_run_headless():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    if sys.platform.startswith("linux"):
        proc = subprocess.run([sys.executable, "-m", "genie_studio", "edit"], env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 1
        assert "needs a display" in proc.stderr and "genie-studio play" in proc.stderr and "xvfb-run" in proc.stderr
    assert edit.missing_display({}, "linux") and not edit.missing_display({"DISPLAY": ":0"}, "linux")
    assert edit.missing_display({}, "win32") is None and edit.missing_display({}, "darwin") is None
    assert edit.missing_display({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None


def test_play_and_record_with_each_decoder(tmp_path, model_dir, capsys):
    level = str(cli_level(tmp_path))
    for dec in ("copy", "free"):
        assert cli.main(["play", level, "--model", str(model_dir), "--actions", "right*3", "--decoder", dec,
                         "--endless", "--out", str(tmp_path / f"{dec}.gif"), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["steps"] == 3
    assert cli.main(["record", level, "--model", str(model_dir), "--actions", "right*2", "--decoder", "copy",
                     "--out", str(tmp_path / "rec")]) == 0
    header = json.loads((tmp_path / "rec" / "recording.json").read_text())
    assert header["decoder"] == "copy" and header["endless"] is False
    with pytest.raises(SystemExit) as e:
        cli.main(["play", level, "--decoder", "magic", "--out", str(tmp_path / "x.gif")])
    assert e.value.code == 2 and "invalid choice: 'magic'" in capsys.readouterr().err


def cli_level(tmp_path):
    """A drawing three views wide, the player at the left end."""
    from PIL import Image, ImageDraw

    from genie_studio.data.palette import PALETTE

    img = Image.new("RGB", (768, 128), PALETTE["background"])
    d = ImageDraw.Draw(img)
    d.rectangle([0, 112, 768, 128], fill=PALETTE["ground"])
    d.rectangle([20, 92, 28, 111], fill=PALETTE["player"])
    img.save(tmp_path / "level.png")
    return tmp_path / "level.png"


def test_eval_compares_the_decoders_on_the_same_weights(model_dir, capsys):
    assert cli.main(["eval", "--model", str(model_dir), "--quick", "--compare", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert set(res["decoders"]) == {"copy", "free"}
    for r in res["decoders"].values():
        assert r["fidelity"]["trials"] == 2 and r["fidelity"]["seeds"] == [1]
        assert "overall" in r["revealed_level"]
