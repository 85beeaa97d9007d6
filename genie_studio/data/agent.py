"""A seeded scripted explorer that plays in clean, held *intents*: run, stand, jump, leap.

What the latent action model learns is what the agent does on screen. The first agent reflexively
held left/right+jump over every pit, spike, enemy and step up to three tiles ahead; on these dense
levels that made most runs hops, so the model's "right" and "left" came out as right+jump/left+jump
(models/sketchworld-tiny card, issue "The world keeps the drawing"). This agent:

- picks an intent and holds it for a geometric number of frames (run ~9, stand ~7, jump and leap
  ~3), so each intent is a clear share of the frames (``INTENT_P``; measured by
  ``tests/data/test_world.py::test_action_balance`` and ``genie-studio data info``);
- runs on plain left/right; a reflex presses dir+jump only when danger is right in front (one tile)
  and holds it for ``REFLEX_HOLD`` frames while the player rises (jump height is variable: the hold
  sets how high and far the leap goes), then goes back to plain running: a full jump clears ~9 tiles,
  so looking further ahead only adds hops;
- stands: noop, also in the air (a straight fall), so noop is never mixed with horizontal motion;
- explores: a mode (right / left) makes running and leaping that way more likely, and the far walls
  turn it around; left and right come out about equally often (a 2:1 bias taught the first model a
  rightward prior that ignored "left").
"""

from __future__ import annotations

import numpy as np

from genie_studio.data.level import TILE
from genie_studio.data.platformer import JUMP, LEFT, LEFT_JUMP, NOOP, PW, RIGHT, RIGHT_JUMP, Game

# intent -> (mean hold in frames); the action an intent sends depends on the exploring direction
INTENTS = ("run_fwd", "run_back", "stand", "jump", "leap_fwd", "leap_back")
LEFT_BIAS = 0.32  # chance that an exploration heads right; measured to balance left and right frames
INTENT_P = np.array([0.36, 0.18, 0.26, 0.07, 0.08, 0.05])
REFLEX_HOLD = (3, 9)  # frames a reflex leap holds dir+jump while rising (uniform, inclusive)
_MEAN_HOLD = {"run_fwd": 9.0, "run_back": 7.0, "stand": 7.0, "jump": 4.0, "leap_fwd": 3.0, "leap_back": 3.0}


def _intent_action(intent: str, direction: int) -> int:
    fwd_run, back_run = (RIGHT, LEFT) if direction > 0 else (LEFT, RIGHT)
    fwd_leap, back_leap = (RIGHT_JUMP, LEFT_JUMP) if direction > 0 else (LEFT_JUMP, RIGHT_JUMP)
    return {"run_fwd": fwd_run, "run_back": back_run, "stand": NOOP, "jump": JUMP,
            "leap_fwd": fwd_leap, "leap_back": back_leap}[intent]


class ExplorerAgent:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng([seed, 0xA6E8])
        # left a little more often: episodes that start at a level's left end must go right
        self.direction = 1 if self.rng.random() < LEFT_BIAS else -1
        self.mode_left = int(self.rng.geometric(1 / 40))
        self.intent = "run_fwd"
        self.hold = 0
        self.skill = float(self.rng.uniform(0.8, 0.98))  # chance a reflex jump fires
        self.reflex, self.reflex_action = 0, NOOP  # frames left of a reflex leap, and its action

    def _danger_ahead(self, game: Game, direction: int) -> bool:
        """A pit, spikes, a wall/step up or an enemy within about one tile in ``direction``."""
        if direction == 0 or not game.alive:
            return False
        lvl = game.level
        front = (game.x + (PW if direction > 0 else -1)) // TILE
        feet_row = (game.y // 16 + 8) // TILE
        for k in range(2):
            col = front + direction * k
            if col < 0 or col >= lvl.cols:
                return False
            top = lvl.ground_top(col)
            if top is None or game.spikes[:, col].any():
                return k == 0 or (game.x % TILE == 0)  # jump at the last tile edge
            if top < feet_row and k == 0:
                return True  # wall / step up
        for e in game.enemies:
            if e.alive and 0 < (e.x - game.x) * direction < 2 * TILE and abs(e.y - game.y // 16) < TILE:
                return True
        return False

    def _pick_intent(self, game: Game) -> None:
        intent = INTENTS[int(self.rng.choice(len(INTENTS), p=INTENT_P))]
        self.intent = intent
        self.hold = int(self.rng.geometric(1.0 / _MEAN_HOLD[intent]))

    def act(self, game: Game) -> int:
        self.mode_left -= 1
        if self.mode_left <= 0:
            self.direction = 1 if self.rng.random() < LEFT_BIAS else -1
            self.mode_left = int(self.rng.geometric(1 / 40))
        # the far walls of the level: turn around
        if game.x <= TILE:
            self.direction, self.mode_left = 1, 40
        if game.x >= game.level.width_units - 3 * TILE:
            self.direction, self.mode_left = -1, 40
        self.hold -= 1
        if self.hold <= 0:
            self._pick_intent(game)
        action = _intent_action(self.intent, self.direction)
        if self.reflex > 0:
            self.reflex -= 1
            if game.alive and game.vy < 0:
                return self.reflex_action  # still rising: keep holding the leap
            self.reflex = 0
        if action in (LEFT, RIGHT):
            step = -1 if action == LEFT else 1
            if game.on_ground() and self._danger_ahead(game, step) and self.rng.random() < self.skill:
                self.reflex_action = LEFT_JUMP if step < 0 else RIGHT_JUMP
                self.reflex = int(self.rng.integers(REFLEX_HOLD[0], REFLEX_HOLD[1] + 1)) - 1
                return self.reflex_action
        return action
