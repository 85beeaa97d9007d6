"""A project file names its model, and the editor loads it on open (issue #26 D): a project may load a
bundled or installed model by itself; one naming a folder elsewhere (``../../../../elsewhere/model``)
asks first, and keeps the current model unless the user says yes."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from genie_studio.model_catalog import is_known_model
from genie_studio.project import document as prj
from tests.editor.windows import open_window


def test_only_bundled_or_installed_models_are_known(tmp_path, monkeypatch, model_dir):
    installed = tmp_path / "bundled"
    shutil.copytree(model_dir, installed / "tiny")
    monkeypatch.setenv("GENIE_STUDIO_MODELS", str(installed))
    assert is_known_model("tiny") and is_known_model(str(installed / "tiny")) and is_known_model("default")
    assert not is_known_model("../../../../elsewhere/model")
    assert not is_known_model(str(model_dir))  # a folder elsewhere, even a real model
    assert not is_known_model(str(installed / "tiny" / ".." / ".." / "bundled" / "nope"))
    assert not is_known_model("")


@pytest.mark.parametrize("answer", [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
def test_a_project_naming_a_model_elsewhere_asks_first(qtbot, tmp_path, model_dir, monkeypatch, answer):
    shutil.copytree(model_dir, tmp_path / "elsewhere" / "model")
    cwd = tmp_path / "a" / "b" / "c" / "d"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    hostile = "../../../../elsewhere/model"  # the reported project file: resolved as given before
    project = tmp_path / "level.genie"
    prj.save_project(project, prj.Project(sketch=np.full((64, 64, 3), 255, np.uint8), model=hostile))
    w = open_window(qtbot, str(model_dir), wait_previews=False)
    try:
        asked, loads = [], []
        w._ask = lambda title, text, buttons: asked.append(text) or answer
        w.load_model = lambda spec, explicit=True: loads.append(spec)
        assert w.project.open_path(project, ask=False)
        assert len(asked) == 1 and hostile in asked[0]
        assert loads == ([hostile] if answer == QMessageBox.StandardButton.Yes else [])
        assert w.model_name == str(model_dir)
    finally:
        w.shutdown()
