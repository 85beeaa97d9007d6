"""A seeded scripted explorer: runs, jumps pits/spikes/enemies (mostly well), backtracks, idles, dies.

Actions are held for geometric durations (mean ~4 frames) so switches are not predictable; a mode
(explore right / backtrack / idle) biases which action is drawn, and a reflex jumps over danger ahead.
"""

from __future__ import annotations

import numpy as np

from genie_studio.data.level import TILE
from genie_studio.data.platformer import ACTIONS, Game

_MODE_PROBS = {
    # noop, left, right, jump, left+jump, right+jump
    "right": np.array([0.10, 0.08, 0.36, 0.14, 0.07, 0.25]),
    "left": np.array([0.10, 0.36, 0.08, 0.14, 0.25, 0.07]),
    "idle": np.array([0.40, 0.10, 0.10, 0.30, 0.05, 0.05]),
}
_MODES = ("right", "left", "idle")
# Left explorations are drawn a little more often so that left and right actions come out about equally
# often (the far walls and the danger reflex favour right). With a 2:1 bias (the first dataset) the dynamics model
# learned a rightward prior and ignored the latent action that meant "left" (models/sketchworld-tiny card).
_MODE_P = np.array([0.36, 0.48, 0.16])


class ExplorerAgent:
    def __init__(self, seed: int, mean_hold: float = 4.0):
        self.rng = np.random.default_rng([seed, 0xA6E7])
        self.p_switch = 1.0 / mean_hold
        self.mode = "right"
        self.mode_left = 0
        self.action = 2
        self.hold = 0
        self.skill = float(self.rng.uniform(0.75, 0.97))  # chance a reflex jump fires

    def _danger_ahead(self, game: Game, direction: int) -> bool:
        if direction == 0 or not game.alive:
            return False
        lvl = game.level
        x = game.x
        front = (x + (8 if direction > 0 else -1)) // TILE
        for k in range(0, 3):
            col = front + direction * k
            if col < 0 or col >= lvl.cols:
                return False
            if lvl.ground_top(col) is None:
                return True  # pit
            top = lvl.ground_top(col)
            if game.spikes[:, col].any():
                return True
            feet_row = (game.y // 16 + 8) // TILE
            if top is not None and top < feet_row and k <= 1:
                return True  # wall / step up
        for e in game.enemies:
            if e.alive and 0 < (e.x - game.x) * direction < 3 * TILE and abs(e.y - game.y // 16) < TILE:
                return True
        return False

    def act(self, game: Game) -> int:
        if self.mode_left <= 0:
            self.mode = _MODES[int(self.rng.choice(3, p=_MODE_P))]
            self.mode_left = int(self.rng.geometric(1 / 20))
        self.mode_left -= 1
        self.hold -= 1
        if self.hold <= 0 or self.rng.random() < 0.05:
            self.action = int(self.rng.choice(len(ACTIONS), p=_MODE_PROBS[self.mode]))
            self.hold = int(self.rng.geometric(self.p_switch))
        direction = (0, -1, 1, 0, -1, 1)[self.action]
        if (game.alive and game.on_ground() and self._danger_ahead(game, direction)
                and self.rng.random() < self.skill):
            self.action = 5 if direction > 0 else 4
            self.hold = int(self.rng.integers(2, 6))
        # the far wall of the level: turn around
        if game.x <= 0 and direction < 0:
            self.mode, self.mode_left = "right", 20
        if game.x >= game.level.width_units - 2 * TILE and direction > 0:
            self.mode, self.mode_left = "left", 20
        return self.action


