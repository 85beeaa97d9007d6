"""Folder plugins run only with the user's consent (issue #15, defect 9)."""

import subprocess
import sys

from genie_studio.config import load_settings, paths, save_settings
from genie_studio.export.registry import builtin_registry
from genie_studio.plugins import load_plugins

PLANTED = '''from pathlib import Path
Path(__file__).with_name("RAN").write_text("a dropped-in file ran")
EXPORTERS = []
'''


def _plant():
    folder = paths().plugins
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dropped.py").write_text(PLANTED)
    return folder


def test_a_dropped_in_plugin_does_not_run_without_consent():
    folder = _plant()
    reports = {r.name: r for r in load_plugins(builtin_registry(), entry_points=False)}
    assert not (folder / "RAN").exists()
    assert not reports["dropped"].ok and str(folder) in reports["dropped"].error
    save_settings({**load_settings(), "user_plugins": True})
    load_plugins(builtin_registry(), entry_points=False)
    assert (folder / "RAN").exists()


def test_export_list_shows_the_plugin_it_did_not_run():
    folder = _plant()
    out = subprocess.run([sys.executable, "-m", "genie_studio", "export", "--format", "list"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert not (folder / "RAN").exists()
    assert "dropped" in out.stdout and str(folder) in out.stdout
