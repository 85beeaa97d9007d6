"""Broken plugins are reported and skipped; good ones load from folders and entry points."""

import numpy as np
import pytest
from PIL import Image

from genie_studio.cli import main
from genie_studio.config import paths
from genie_studio.export import ExportError, ExportOptions, builtin_registry, reset_default_registry
from genie_studio.plugins import load_plugins, repo_plugins_dir

GOOD = '''
from genie_studio.export import BaseExporter

class Raw(BaseExporter):
    name = "raw"
    extensions = (".raw",)
    description = "raw RGB bytes"

    def write(self, clip, out, ctx):
        with open(out, "wb") as f:
            for i in range(len(clip)):
                ctx.step()
                f.write(clip.frame(i).tobytes())

def register(registry):
    registry.register(Raw)
'''
BROKEN = {
    "syntax.py": "def oops(:\n",
    "imports.py": "import no_such_module_for_genie\n",
    "raises.py": "def register(registry):\n    raise RuntimeError('plugin bug')\n",
    "exits.py": "import sys\nsys.exit(3)\n",
    "nothing.py": "X = 1\n",
    "notexporter.py": "EXPORTERS = [object()]\n",
    "clash.py": "from genie_studio.export.images import GifExporter\nEXPORTERS = [GifExporter]\n",
    "crashes.py": ("from genie_studio.export import BaseExporter\nclass C(BaseExporter):\n    name = 'crashy'\n"
                   "    extensions = ('.c',)\n    description = 'c'\n    def write(self, clip, out, ctx):\n"
                   "        out.write_text('half')\n        raise ZeroDivisionError('bug')\nEXPORTERS = [C]\n"),
}


@pytest.fixture
def plugin_dir(tmp_path):
    d = tmp_path / "plugins"
    (d / "goodpkg").mkdir(parents=True)
    (d / "goodpkg" / "__init__.py").write_text(GOOD)
    (d / "assets").mkdir()  # not Python: ignored
    for name, code in BROKEN.items():
        (d / name).write_text(code)
    return d


def test_broken_plugins_are_reported_and_skipped(plugin_dir, tmp_path):
    reg = builtin_registry()
    reports = {r.name: r for r in load_plugins(reg, folders=[plugin_dir], entry_points=False)}
    assert set(reports) == {"goodpkg", *[n[:-3] for n in BROKEN]}
    assert reports["goodpkg"].ok and reports["goodpkg"].exporters == ["raw"]
    assert reports["crashes"].ok
    errors = {n: r.error for n, r in reports.items() if not r.ok}
    assert set(errors) == {"syntax", "imports", "raises", "exits", "nothing", "notexporter", "clash"}
    assert "SyntaxError" in errors["syntax"] and "no_such_module_for_genie" in errors["imports"]
    assert "plugin bug" in errors["raises"] and "SystemExit" in errors["exits"]
    assert "already registered" in errors["clash"] and "not an exporter" in errors["notexporter"]
    # the app keeps working: built-ins and the good plugin export
    frames = [np.full((4, 4, 3), i, np.uint8) for i in range(3)]
    out = reg.get("raw").export(frames, tmp_path / "o.raw", ExportOptions(scale=1))[0]
    assert out.stat().st_size == 3 * 4 * 4 * 3 and reg.sources["raw"].endswith("goodpkg")
    assert reg.get("gif").export(frames, tmp_path / "o.gif")
    # an exporter that crashes mid-write is an ExportError and leaves nothing behind
    before = sorted(tmp_path.iterdir())
    with pytest.raises(ExportError, match="crashy exporter failed: ZeroDivisionError"):
        reg.get("crashy").export(frames, tmp_path / "x.c")
    assert sorted(tmp_path.iterdir()) == before


def test_entry_points(tmp_path, monkeypatch):
    site = tmp_path / "site"
    dist = site / "genie_fake_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: genie-fake-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[genie_studio.exporters]\nraw = genie_fake_mod:Raw\nbroken = genie_fake_mod:missing\n"
        "viafn = genie_fake_mod:register\n")
    (site / "genie_fake_mod.py").write_text(GOOD.replace('name = "raw"', 'name = "raw"') + (
        "\nclass Raw2(Raw):\n    name = 'raw2'\n\ndef register(registry):\n    registry.register(Raw2)\n"))
    monkeypatch.syspath_prepend(str(site))
    reg = builtin_registry()
    reports = {r.name: r for r in load_plugins(reg, folders=[])}
    assert reports["raw"].ok and reports["raw"].exporters == ["raw"]
    assert reports["viafn"].ok and reports["viafn"].exporters == ["raw2"]
    assert not reports["broken"].ok and "missing" in reports["broken"].error
    assert "genie-fake-plugin" in reg.sources["raw"]


def test_first_party_webp_plugin_roundtrips(tmp_path):
    reg = builtin_registry()
    reports = load_plugins(reg, folders=[repo_plugins_dir()], entry_points=False)
    assert [r.name for r in reports if r.ok] == ["webp"]
    frames = [np.full((8, 10, 3), i * 20, np.uint8) for i in range(6)]
    p = reg.get("webp").export(frames, tmp_path / "a.webp", ExportOptions(fps=20, scale=2))[0]
    im = Image.open(p)
    assert im.n_frames == 6 and im.size == (20, 16)
    im.seek(4)
    assert np.asarray(im.convert("RGB"))[0, 0, 0] == 80 and im.info["duration"] == 50


def test_cli_lists_formats_despite_a_broken_user_plugin(capsys, caplog):
    from genie_studio.config import save_settings

    save_settings({"user_plugins": True})  # the user consented to folder plugins (docs/security.md)
    paths().plugins.mkdir(parents=True)
    (paths().plugins / "bad.py").write_text("raise ImportError('user plugin is broken')\n")
    reset_default_registry()
    try:
        assert main(["export", "--format", "list"]) == 0
    finally:
        reset_default_registry()
    out = capsys.readouterr()
    assert "godot3" in out.out and "webp" in out.out
    assert "user plugin is broken" in caplog.text
