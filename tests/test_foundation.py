import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genie_studio import __version__, cli, config

ROOT = Path(__file__).resolve().parents[1]


def _entry_point() -> str:
    exe = Path(sys.executable).with_name("genie-studio")
    if not exe.exists():
        pytest.skip("genie-studio entry point not installed in this environment")
    return str(exe)


def test_entry_point_help_and_version():
    exe = _entry_point()
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for name in cli.SUBCOMMANDS:
        assert name in out.stdout
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
    assert __version__ in out.stdout


@pytest.mark.parametrize("name", sorted(cli.SUBCOMMANDS))
def test_every_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([name, "--help"])
    assert e.value.code == 0
    assert "usage: genie-studio " + name in capsys.readouterr().out


def test_settings_round_trip(tmp_path):
    s = config.load_settings()
    assert s == config.default_settings()
    s["maskgit_steps"] = 7
    s["recent_files"] = [str(tmp_path / "a.genie")]
    s["custom_key"] = {"kept": True}
    path = config.save_settings(s)
    assert path.exists()
    again = config.load_settings()
    assert again["maskgit_steps"] == 7
    assert again["recent_files"] == [str(tmp_path / "a.genie")]
    assert again["custom_key"] == {"kept": True}
    assert again["version"] == config.SCHEMA_VERSION
    # no temp files left behind by the atomic write
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


def test_settings_wrong_types_fall_back_to_defaults():
    p = config.paths()
    p.config.mkdir(parents=True)
    p.settings_file.write_text(json.dumps({"version": 1, "maskgit_steps": "many", "temperature": 2}))
    s = config.load_settings()
    assert s["maskgit_steps"] == config.default_settings()["maskgit_steps"]
    assert s["temperature"] == 2.0


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]", b'{"version": 99}'])
def test_corrupt_settings_are_backed_up(content, caplog):
    p = config.paths()
    p.config.mkdir(parents=True)
    p.settings_file.write_bytes(content)
    with caplog.at_level("WARNING"):
        s = config.load_settings()
    assert s == config.default_settings()
    backups = list(p.config.glob("settings.json.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == content
    assert str(backups[0]) in caplog.text
    assert not p.settings_file.exists()


def test_paths_follow_env(tmp_path, monkeypatch):
    monkeypatch.setenv("GENIE_STUDIO_HOME", str(tmp_path))
    p = config.paths()
    assert p.settings_file == tmp_path / "config" / "settings.json"
    assert p.recordings.is_relative_to(tmp_path / "data")


def test_import_contracts_hold():
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("import-linter not installed")
    out = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "broken" not in out.stdout.lower() or "0 broken" in out.stdout.lower()
