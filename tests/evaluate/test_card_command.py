"""`genie-studio card`: the model card as a subcommand (the report -> card path on a tiny model)."""

import json
import subprocess
import sys

from genie_studio.cli import main


def test_card_help():
    r = subprocess.run([sys.executable, "-m", "genie_studio", "card", "--help"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "--eval STYLE=DIR" in r.stdout and "--skip-eval" in r.stdout


def test_card_rejects_a_bad_eval_pair(model_dir, capsys):
    assert main(["card", str(model_dir), "--eval", "no-equals-sign"]) == 1
    assert "STYLE=DIR" in capsys.readouterr().err


def test_card_writes_the_card_into_the_model_folder(model_dir, tmp_path, capsys):
    """--skip-eval reuses eval.json's dataset figures; labels, tests and GIFs run on the tiny model (--quick:
    the same stages on fewer drawings and frames)."""
    import shutil

    folder = tmp_path / "tiny"
    shutil.copytree(model_dir, folder)
    (folder / "eval.json").write_text(json.dumps({"eval": {}}))
    (tmp_path / "commands.txt").write_text("genie-studio card tiny --skip-eval\n")
    docs = tmp_path / "docs"
    assert main(["card", str(folder), "--skip-eval", "--docs", str(docs), "--commands",
                 str(tmp_path / "commands.txt"), "--quick", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["gifs"] and all(g.startswith("../docs/play-") for g in out["gifs"])
    assert all((folder / g).is_file() for g in out["gifs"])
    card = (folder / "README.md").read_text()
    assert "genie-studio card tiny --skip-eval" in card and "](../docs/play-" in card
    assert json.loads((folder / "eval.json").read_text())["gifs"] == out["gifs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["commands.txt", "docs", "tiny"]


def test_card_skip_eval_needs_eval_json(model_dir, capsys):
    assert main(["card", str(model_dir), "--skip-eval"]) == 1
    assert "eval.json" in capsys.readouterr().err
