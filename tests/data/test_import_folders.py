"""`data import FOLDER` walks the folder for videos and image sequences."""

import numpy as np
from PIL import Image

from genie_studio.data.dataset import ClipDataset
from tests.data.test_dataset import _write_mp4


def _footage(root):
    (root / "clips" / "level2").mkdir(parents=True)
    _write_mp4(root / "clips" / "a.mp4", n=10, fps=15)
    _write_mp4(root / "clips" / "level2" / "b.MOV", n=8, fps=15)
    frames = [Image.fromarray(np.full((20, 30, 3), i * 30, np.uint8)) for i in range(4)]
    frames[0].save(root / "clips" / "c.gif", save_all=True, append_images=frames[1:], duration=66)
    seq = root / "clips" / "shots"
    seq.mkdir()
    for i in range(3):
        frames[i].save(seq / f"{i:03d}.png")
    (root / "clips" / "notes.txt").write_text("not footage")
    (root / "clips" / "broken.webm").write_bytes(b"\x1a\x45\xdf\xa3 nope")
    (root / "clips" / ".DS_Store").write_bytes(b"\0")


def test_cli_import_walks_a_folder(tmp_path, capsys):
    from genie_studio.cli import main

    _footage(tmp_path)
    rc = main(["data", "import", str(tmp_path / "clips"), "--out", str(tmp_path / "ds")])
    out, err = capsys.readouterr()
    assert rc == 3  # one video could not be read
    skipped = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 2
    assert any("notes.txt" in s and "not a video" in s for s in skipped)
    assert any("broken.webm" in s and "cannot read" in s for s in skipped)
    assert "imported 4 videos and image sequences" in out and "skipped 2 files (1 unreadable)" in out
    ds = ClipDataset(tmp_path / "ds")
    assert len(ds) == 4
    inputs = ds.manifest["inputs"]
    assert [p.rsplit("/", 1)[-1] for p in inputs] == ["a.mp4", "c.gif", "b.MOV", "shots"]


def test_cli_import_a_clean_folder_exits_zero(tmp_path, capsys):
    from genie_studio.cli import main

    (tmp_path / "in").mkdir()
    _write_mp4(tmp_path / "in" / "x.mp4", n=6)
    assert main(["data", "import", str(tmp_path / "in"), "--out", str(tmp_path / "ds")]) == 0
    assert "imported 1 videos" in capsys.readouterr().out
