"""The play view's Autoplay toggle (issue #20): a policy trained on the designer's play drives the world.

On: the newest policy saved next to the loaded model (``<model>/policies/*``, made by
``genie-studio autoplay train``) and belonging to it is handed to the world worker, which asks it for
each next action; the world starts playing. Any game key (arrows, WASD, Space, bound keys) takes
control back at once: the driver is cleared before the key is handled, so the very next step uses
the player's keys. The toggle also goes off when another model loads.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from genie_studio.autoplay.policy import AutoplayDriver, PolicyError, find_policies, load_policy
from genie_studio.world.bundle import WorldModel

log = logging.getLogger(__name__)


class AutoplayControl(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.win = window
        self.policy_path = None
        self._filtering = False
        window.play_view.autoplayToggled.connect(self.set_enabled)
        window.controller.worker.modelLoaded.connect(lambda _info: self.stop("a new model was loaded"))

    @property
    def active(self) -> bool:
        return self.win.controller.worker.driver is not None

    def set_enabled(self, on: bool) -> None:
        if on:
            self.start()
        else:
            self.stop()

    def start(self, policy_folder=None) -> bool:
        model = (self.win.model_info or {}).get("model")  # as the worker announced it; never its session
        if not isinstance(model, WorldModel):
            return self._refuse("Autoplay needs a model loaded on this computer (a remote server's model "
                                "cannot be checked against the policy)")
        try:
            folders = [policy_folder] if policy_folder else find_policies(model)
            if not folders:
                return self._refuse(f"No autoplay policy for {model.name} yet. Record some play, then run "
                                    f"`genie-studio autoplay train RECORDING... --model {model.name}`")
            policy, meta = load_policy(folders[0], model)
        except PolicyError as e:
            return self._refuse(str(e))
        self.policy_path = folders[0]
        seed = self.win.knobs().seed
        self.win.controller.set_driver(AutoplayDriver(policy, meta, seed=seed))
        self._set_checked(True)
        if not self._filtering:  # installed last, so it sees key presses before the window's own filter
            QApplication.instance().installEventFilter(self)
            self._filtering = True
        self.win.statusBar().showMessage(f"Autoplay: {self.policy_path.name} plays; press any game key to take over",
                                         8000)
        if not self.win.playing:
            self.win.toggle_play()
        return True

    def stop(self, reason: str | None = None) -> None:
        was = self.active
        self.win.controller.set_driver(None)  # a plain attribute write: the next step uses the keys
        self._set_checked(False)
        if self._filtering:
            QApplication.instance().removeEventFilter(self)
            self._filtering = False
        if was and reason:
            self.win.statusBar().showMessage(f"Autoplay off: {reason}", 6000)

    def _refuse(self, message: str) -> bool:
        self._set_checked(False)
        self.win.show_error("Autoplay", message)
        return False

    def _set_checked(self, on: bool) -> None:
        btn = self.win.play_view.autoplay_btn
        btn.blockSignals(True)
        btn.setChecked(on)
        btn.blockSignals(False)

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        if ev.type() == QEvent.Type.KeyPress and self.active and not ev.isAutoRepeat() and self.win.game_key(ev.key()):
            self.stop("you have control")
        return False  # never swallow the key: it steers the world from this frame on
