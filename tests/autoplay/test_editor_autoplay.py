"""The editor's Autoplay toggle: the policy drives the world, and a key press takes control back at once."""

import shutil

import pytest
import torch
from PySide6.QtCore import Qt

from genie_studio.autoplay.policy import Policy, PolicyConfig, save_policy
from genie_studio.config import load_settings
from genie_studio.world.bundle import load_model
from genie_studio.world.tiny import LABELS
from tests.editor.windows import open_window

torch.set_num_threads(1)


class _Fixed(Policy):
    """A policy that always chooses one latent action, so the test can tell who is in control."""

    def forward(self, frames):
        logits = torch.full((len(frames), self.cfg.num_actions), -1e4)
        logits[:, LABELS.index("jump")] = 0.0
        return logits


@pytest.fixture
def win(qtbot, tmp_path, model_dir):

    d = tmp_path / "model"
    shutil.copytree(model_dir, d)
    wm = load_model(d)
    save_policy(d / "policies" / "mine", Policy(PolicyConfig(num_actions=4, image_size=(16, 16))),
                action_space="latent", labels=wm.action_labels, model=wm)
    w = open_window(qtbot, str(d))
    yield w
    w.shutdown()


def test_autoplay_plays_and_a_key_press_takes_control_back(win, qtbot):
    btn = win.play_view.autoplay_btn
    assert btn.isEnabled() and not btn.isChecked()
    btn.click()
    qtbot.waitUntil(lambda: win.playing, timeout=5000)
    assert btn.isChecked() and win.autoplay.active and win.autoplay.policy_path.name == "mine"
    # swap in a policy whose choice is known: every autoplayed frame is made by "jump"
    drv = win.controller.worker.driver
    drv.policy = _Fixed(drv.policy.cfg)
    n = win.frames_shown
    qtbot.waitUntil(lambda: win.frames_shown >= n + 3, timeout=15000)
    assert win.last_frame[1] == LABELS.index("jump")

    qtbot.keyPress(win, Qt.Key.Key_Right)  # the player takes over
    assert win.controller.worker.driver is None and not btn.isChecked() and not win.autoplay.active
    n = win.frames_shown
    qtbot.waitUntil(lambda: win.frames_shown >= n + 3, timeout=15000)
    assert win.last_frame[1] == LABELS.index("right")  # the keys steer again, at once
    assert "you have control" in win.statusBar().currentMessage()
    qtbot.keyRelease(win, Qt.Key.Key_Right)
    win.pause()
    qtbot.waitUntil(lambda: not win.playing, timeout=5000)


def test_autoplay_without_a_policy_says_how_to_make_one(qtbot, model_dir):
    from genie_studio.editor.main_window import MainWindow

    w = MainWindow(settings=load_settings(), model=str(model_dir))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=15000)
    qtbot.waitUntil(lambda: w.previews_shown >= 1, timeout=15000)
    w.play_view.autoplay_btn.click()
    assert not w.play_view.autoplay_btn.isChecked() and not w.autoplay.active
    assert "genie-studio autoplay train" in w.last_error
    w.shutdown()
