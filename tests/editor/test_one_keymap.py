"""One keymap: the editor (Qt, offscreen) and the player (pygame, SDL dummy drivers) send the same action
for the same held keys, because both resolve them through the model's controls profile, the one the
Controls panel shows; a rebinding there changes what both do. Each Qt and pygame key code reads as the
same neutral key name (editor/qt_keys.py, input/keys.py)."""

import numpy as np
import pygame
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from genie_studio.config import load_settings
from genie_studio.controls.inputs import KEY_NAMES
from genie_studio.editor.qt_keys import qt_key_name
from genie_studio.input.keys import key_name
from genie_studio.player.window import run_player
from genie_studio.session.world_session import WorldSession
from genie_studio.world.tiny import save_world, tiny_world

torch.set_num_threads(1)
# a trained model's shape: no plain left/right/jump action, the idle one not first, one action of no word
LABELS = ["right+jump", "left+jump", "noop", "other"]
NAME = "tiny-keys"
_ODD = {"Shift": ("Key_Shift", "K_LSHIFT"), "Ctrl": ("Key_Control", "K_LCTRL"), "Alt": ("Key_Alt", "K_LALT")}


def qt_code(name: str) -> int:
    return getattr(Qt.Key, _ODD.get(name, (f"Key_{name}",))[0])


def pygame_code(name: str) -> int:
    if name in _ODD:
        return getattr(pygame, _ODD[name][1])
    return getattr(pygame, f"K_{name.lower()}" if len(name) == 1 else f"K_{name.upper()}")


@pytest.mark.parametrize("name", sorted(KEY_NAMES))
def test_one_key_name_for_qt_and_pygame(name):
    assert qt_key_name(qt_code(name)) == name == key_name(pygame_code(name))


# held keys, as a sequence of presses (name) and releases (-name) -> the label both front ends send
CASES = [
    ([], "noop"),
    (["Left"], "left+jump"),  # no plain "left": Left sends the first combination with it
    (["A"], "left+jump"),
    (["Right"], "right+jump"),
    (["W"], "right+jump"),  # Up/W/Space are jump, whose first combination is right+jump
    (["Space"], "right+jump"),
    (["Left", "Space"], "left+jump"),  # the chord Left + Space beats Space alone
    (["Space", "Left"], "left+jump"),
    (["Left", "Right"], "right+jump"),  # the newest press wins
    (["Left", "Right", "-Right"], "left+jump"),  # ... and letting go gives the older one back
    (["4"], "other"),  # digit keys hold an action by its number: 4 is action 3
    (["3"], "noop"),
    (["Left", "4"], "other"),
    (["4", "Left"], "left+jump"),
    (["Left", "Space", "4"], "left+jump"),  # a chord beats a digit too
    (["Left", "Space", "4", "-Space"], "other"),  # Left and 4 left: the newer one
    (["Down"], "noop"),  # bound to nothing: the idle action
    (["Q"], "noop"),
]


def _case_id(case):
    keys, label = case
    return (" ".join(keys) or "nothing") + " -> " + label


@pytest.fixture(scope="module")
def world():
    wm = tiny_world()
    wm.meta = {"name": NAME, "actions": {"labels": list(LABELS)}}
    return wm


@pytest.fixture(scope="module")
def model_folder(world, tmp_path_factory):
    d = tmp_path_factory.mktemp("models") / NAME
    save_world(world, d)
    return d


def _open_editor(model_folder):
    from genie_studio.editor.main_window import MainWindow

    w = MainWindow(settings=load_settings(), model=str(model_folder))
    w._ask = lambda *a: QMessageBox.StandardButton.Discard
    w.show()
    for _ in range(3000):  # 30 s
        if w.last_error is not None or (w.model_info is not None and w.frames_shown >= 1):
            break
        QTest.qWait(10)
    assert w.model_info is not None and w.model_info["labels"] == LABELS, w.last_error
    w.toggle_play()  # keys steer while playing (paused, Space is Play); the player always plays
    for _ in range(1000):
        if w.playing:
            break
        QTest.qWait(10)
    assert w.playing
    return w


@pytest.fixture(scope="module")
def editor(qapp, model_folder, tmp_path_factory):
    """One editor window for the cases (its own settings home: never the user's)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENIE_STUDIO_HOME", str(tmp_path_factory.mktemp("editor-home")))
        w = _open_editor(model_folder)
        yield w
        w.shutdown()
        w.close()
        w.deleteLater()


def editor_action(w, qtbot, keys) -> int:
    """Press and release ``keys`` in the editor window as a user would; the action it sends then."""
    w.canvas.setFocus()
    held = []
    for k in keys:
        name = k.lstrip("-")
        if k.startswith("-"):
            qtbot.keyRelease(w.canvas, qt_code(name))
            held.remove(name)
        else:
            qtbot.keyPress(w.canvas, qt_code(name))
            held.append(name)
    action = w.controller.worker.action
    for name in reversed(held):
        qtbot.keyRelease(w.canvas, qt_code(name))
    assert w.controller.worker.action == LABELS.index("noop") and not w.pressed
    return action


def player_action(world, keys) -> int:
    """Post ``keys`` as pygame key events to the player's window before its first step; the action it steps."""
    session = WorldSession(world, steps=1)
    session.reset(np.random.default_rng(0).integers(0, 255, (16, 16, 3), dtype=np.uint8))

    def record(frame, action):
        if action is None:  # the prompt is shown: the user presses keys before the first step
            for k in keys:
                kind = pygame.KEYUP if k.startswith("-") else pygame.KEYDOWN
                pygame.event.post(pygame.event.Event(kind, key=pygame_code(k.lstrip("-"))))

    assert run_player(session, fps=60, max_frames=1, record=record) == 0
    if not pygame.display.get_init():  # an editor's Controls panel in this process reads pads through SDL video,
        pygame.display.init()  # which the player's window quits on closing (only a test shares one process)
    return session.actions[0]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_the_editor_and_the_player_send_the_same_action(editor, world, qtbot, case):
    keys, label = case
    sent = {"editor": editor_action(editor, qtbot, keys), "player": player_action(world, keys)}
    assert {k: LABELS[a] for k, a in sent.items()} == {"editor": label, "player": label}


def test_a_rebinding_in_the_controls_panel_changes_what_the_editor_and_the_player_do(qtbot, model_folder, world):
    w = _open_editor(model_folder)
    qtbot.addWidget(w)
    try:
        cards = lambda: [c.key.text() for c in w.palette.cards]  # noqa: E731
        assert cards()[3] == "keys 4" and cards()[1].startswith("keys Left, A, 2, ")  # what each card says
        w.bindings.clear_action(0)  # right+jump loses Right, D, Space, Up, W, 1 and its chords
        w.bindings.bind(3, "key:Right")
        assert cards()[0] == "no key (Controls panel)" and cards()[3] == "keys 4, Right"
        assert "Right" in w.bindings.bindings_text(3) and w.project.current_project().bindings["Right"] == "other"
        for keys, label in ((["Right"], "other"), (["1"], "noop"), (["Space"], "noop"),
                            (["Left", "Right"], "other")):
            assert LABELS[editor_action(w, qtbot, keys)] == label, keys  # at once in the editor
            assert LABELS[player_action(world, keys)] == label, keys  # and in the player, from the saved file
    finally:
        w.shutdown()
