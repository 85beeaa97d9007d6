"""A goal-seeking mode of the scripted agent: the expert of the autoplay experiment (issue #20).

The explorer (``data.agent.ExplorerAgent``) wanders in held intents so that a latent action model
sees every action; it is left unchanged. This agent plays a level the way a player who wants to
finish it does: it runs right toward the goal and jumps over what would stop or kill it.

Its default move is the explorer's reflex (run right; press right+jump when a pit, spikes, a step up or
an enemy is right in front, and hold it while rising: a full-height jump), so its frames look like the
footage the model was trained on. The reflex alone dies on about half of the levels (a long jump lands
on spikes, a floating platform over a pit), so the expert *looks ahead*: the platformer is
deterministic, so it simulates the reflex ``horizon`` frames on a copy of the game and, when that run
would die, tries a few short alternatives (hold an action for 1..10 frames, then the reflex) and plays
the first that survives and gets furthest. A plan that survives stays valid (nothing in the game is
random), so it replans only every ``replan`` frames or when the plan runs out.
"""

from __future__ import annotations

import copy

import numpy as np

from genie_studio.data.level import TILE
from genie_studio.data.platformer import ACTIONS, FP, JUMP, LEFT, LEFT_JUMP, NOOP, PH, PW, RIGHT, RIGHT_JUMP, Game

GOAL_SEEKING = "goal"
_ALTERNATIVES = (RIGHT, RIGHT_JUMP, NOOP, JUMP, LEFT, LEFT_JUMP)
_HOLDS = (1, 3, 6, 10, 16)


def clone_game(game: Game) -> Game:
    """A copy that can be stepped without touching ``game`` (level and static grids are shared)."""
    g = copy.copy(game)
    g.coins = game.coins.copy()
    g.enemies = [copy.copy(e) for e in game.enemies]
    g.collected = []
    return g


def reflex_action(game: Game, look: int = 2) -> int:
    """Run right; right+jump when a hazard, a step up or an enemy is right in front, held while rising
    (jump height is variable: letting go would cut the jump short)."""
    if not game.alive:
        return RIGHT
    if not game.on_ground():
        return RIGHT_JUMP if game.vy < 0 else RIGHT
    lvl = game.level
    front = (game.x + PW) // TILE
    feet_row = (game.y // FP + PH) // TILE
    for k in range(look):
        col = front + k
        if col >= lvl.cols:
            break
        top = lvl.ground_top(col)
        if top is None or game.spikes[:, col].any():
            if k == 0 or game.x % TILE == 0:  # take off at the last safe position
                return RIGHT_JUMP
            break
        if top < feet_row and k == 0:
            return RIGHT_JUMP  # a wall or a step up right in front
    py = game.y // FP
    for e in game.enemies:
        if e.alive and 0 < e.x - game.x < 2 * TILE + 4 and abs(e.y - py) < TILE:
            return RIGHT_JUMP
    return RIGHT


class GoalSeekingAgent:
    """The expert: ``act(game) -> action`` toward the goal, looking ``horizon`` frames ahead."""

    mode = GOAL_SEEKING

    def __init__(self, seed: int = 0, noise: float = 0.0, horizon: int = 28, replan: int = 4):
        self.rng = np.random.default_rng([int(seed), 0x60A1])
        self.noise = float(noise)
        self.horizon, self.replan = int(horizon), int(replan)
        self.plan: list[int] = []
        self.min_gain = 2 * TILE  # units the reflex must gain over the horizon, else search (a wall)

    def _rollout(self, game: Game, prefix: tuple[int, ...]) -> tuple[float, list[int]]:
        g = clone_game(game)
        deaths, wins = g.deaths, g.wins
        actions = []
        for t in range(self.horizon):
            a = prefix[t] if t < len(prefix) else reflex_action(g)
            actions.append(a)
            g.step(a)
            if g.wins > wins:
                return 1e6 - t, actions
            if g.deaths > deaths:
                return -1e6 + t, actions
        return float(g.x), actions

    def _search(self, game: Game) -> list[int]:
        score, best = self._rollout(game, ())
        if score > -1e5 and score - game.x >= self.min_gain:
            return best
        for a in _ALTERNATIVES:
            for m in _HOLDS:
                s, acts = self._rollout(game, (a,) * m)
                if s > score:
                    score, best = s, acts
        return best

    def act(self, game: Game) -> int:
        if self.noise and self.rng.random() < self.noise:
            self.plan = []
            return int(self.rng.integers(len(ACTIONS)))
        if not game.alive:
            self.plan = []
            return RIGHT
        if len(self.plan) <= self.horizon - self.replan:
            self.plan = self._search(game)
        return self.plan.pop(0)
