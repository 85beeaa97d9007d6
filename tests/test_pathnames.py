from pathlib import Path

from genie_studio.pathnames import portable_path


def test_paths_as_given_relative_where_possible(tmp_path):
    here = tmp_path / "project"
    assert portable_path("data/sketch-train", here) == "data/sketch-train"
    assert portable_path(here / "runs" / "ds", here) == "runs/ds"
    assert portable_path(tmp_path / "datasets" / "ds", here) == "../datasets/ds"
    far = Path(tmp_path.anchor, "elsewhere", "deep", "store", "ds")
    assert portable_path(far, here) == "store/ds"  # never this machine's absolute path
