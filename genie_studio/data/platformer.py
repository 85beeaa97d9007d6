"""Deterministic integer platformer physics (world units: a tile is 8 units, the view 64 units tall).

Horizontal speed is exactly 0 or +-4 units/frame (no acceleration), so the player's x and the camera
x stay multiples of 4 units. Vertical motion uses fixed point (``FP`` sub-units per unit); vertical
moves are swept against the tile grid, so nothing tunnels at any fall speed.

Jump height is variable, as in most platformers: a press on the ground launches the player, holding
jump keeps it rising under normal gravity, and letting go while rising cuts the climb (the upward speed
drops to ``JUMP_CUT``). Held through the rise, a jump is as high as ever (~2.8 tiles); a tap is a
hop of under a tile. Every frame of a held jump therefore shows on screen, which is what lets a
latent action model tell "jump" from "noop" while the player rises (issue #25): with a one-frame press,
the other frames of a held jump looked exactly like noop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genie_studio.data.level import COIN, GOAL, ROWS, SPIKE, TILE, Level

ACTIONS = ("noop", "left", "right", "jump", "left+jump", "right+jump")
NOOP, LEFT, RIGHT, JUMP, LEFT_JUMP, RIGHT_JUMP = range(6)
_DX = (0, -1, 1, 0, -1, 1)
_JUMP = (False, False, False, True, True, True)

FP = 16  # fixed-point sub-units per world unit
SPEED = 4  # units/frame, the only non-zero horizontal speed
GRAVITY = 8  # sub-units/frame^2 (0.5 units/frame^2)
JUMP_V = 72  # sub-units/frame: apex 8*(9+...+1)=360 sub-units = 22.5 units (~2.8 tiles) held through
JUMP_CUT = 16  # sub-units/frame: the upward speed left when jump is let go while rising
MAX_FALL = 8 * FP  # 8 units/frame (one tile per frame)
PW, PH = 8, 8  # player hit box (units)
EW, EH = 8, 8  # enemy hit box
ENEMY_SPEED = 1
RESPAWN_FRAMES = 6
VIEW_H = ROWS * TILE  # 64 units


@dataclass
class Enemy:
    x: int  # units (left)
    y: int  # units (top)
    dir: int
    alive: bool = True


class Game:
    """One platformer run. ``step(action)`` advances one frame."""

    def __init__(self, level: Level, view_w: int = 64, start_col: int | None = None):
        self.level = level
        self.view_w = int(view_w)
        self.solid = level.solid()
        self.coins = level.tiles == COIN
        self.spikes = level.tiles == SPIKE
        self.goal = level.tiles == GOAL
        self.enemies = [Enemy(c * TILE, r * TILE, -1) for c, r in level.enemies]
        self.checkpoint = level.checkpoints[0] if start_col is None else int(start_col)
        self.collected: list[tuple[int, int]] = []  # coins taken this frame (row, col)
        self.deaths = 0
        self.wins = 0
        self.dead_timer = 0
        self.facing = 1
        self.frame = 0
        self._spawn()

    # -- state -------------------------------------------------------------------------------
    def _spawn(self) -> None:
        col = self.checkpoint
        top = self.level.ground_top(col)
        self.x = col * TILE
        self.y = ((top if top is not None else ROWS) * TILE - PH) * FP
        self.vy = 0
        self.grounded = True
        self.alive = True

    @property
    def y_units(self) -> float:
        return self.y / FP

    def camera_x(self) -> int:
        """Camera left edge in units: follows the player, clamped to the level.

        Always a multiple of 4 units: the model's tokenizer uses 4x4 px patches (at 64 px, 1 unit =
        1 px), so a 4-unit scroll shifts the whole frame by exactly one token column and scrolling
        never produces sub-patch phase changes the model would have to learn.
        """
        cx = self.x + PW // 2 - self.view_w // 2
        cx = min(max(cx, 0), max(self.level.width_units - self.view_w, 0))
        return cx - cx % 4

    # -- collision helpers -------------------------------------------------------------------
    def _solid_at(self, col: int, row: int) -> bool:
        if col < 0 or col >= self.level.cols:
            return True  # level walls
        if row < 0 or row >= ROWS:
            return False
        return bool(self.solid[row, col])

    def _cols(self, x: int) -> range:
        return range(x // TILE, (x + PW - 1) // TILE + 1)

    def _box_hits(self, x: int, y_units0: int, y_units1: int) -> bool:
        for row in range(y_units0 // TILE, (y_units1 - 1) // TILE + 1):
            for col in self._cols(x):
                if self._solid_at(col, row):
                    return True
        return False

    def _move_x(self, dx: int) -> None:
        if not dx:
            return
        nx = self.x + dx
        top = self.y // FP
        bot = -(-self.y // FP) + PH  # ceil
        if self._box_hits(nx, top, bot):
            if dx > 0:
                nx = ((nx + PW - 1) // TILE) * TILE - PW
            else:
                nx = (nx // TILE + 1) * TILE
            if self._box_hits(nx, top, bot):
                nx = self.x
        self.x = nx

    def _move_y(self) -> None:
        """Swept vertical move: find the first tile boundary crossed in the direction of motion."""
        vy = self.vy
        ny = self.y + vy
        self.grounded = False
        if vy > 0:
            bot0, bot1 = self.y + PH * FP, ny + PH * FP
            row0 = -(-bot0 // (TILE * FP))  # first row whose top is at or below the feet
            row1 = bot1 // (TILE * FP)
            for row in range(row0, min(row1, ROWS - 1) + 1):
                if any(self._solid_at(c, row) for c in self._cols(self.x)):
                    self.y = (row * TILE - PH) * FP
                    self.vy = 0
                    self.grounded = True
                    return
        elif vy < 0:
            top0, top1 = self.y, ny
            row0 = top0 // (TILE * FP) - (1 if top0 % (TILE * FP) == 0 else 0)
            row1 = top1 // (TILE * FP)
            for row in range(row0, row1 - 1, -1):
                if row < 0:
                    break
                if any(self._solid_at(c, row) for c in self._cols(self.x)):
                    self.y = (row + 1) * TILE * FP
                    self.vy = 0
                    return
        self.y = ny

    def on_ground(self) -> bool:
        if self.y % (TILE * FP) != 0:
            return False
        row = (self.y // FP + PH) // TILE
        return 0 <= row < ROWS and any(self._solid_at(c, row) for c in self._cols(self.x))

    def _overlap_tiles(self, grid: np.ndarray) -> list[tuple[int, int]]:
        top, bot = self.y // FP, -(-self.y // FP) + PH
        out = []
        for row in range(max(top // TILE, 0), min((bot - 1) // TILE, ROWS - 1) + 1):
            for col in self._cols(self.x):
                if 0 <= col < self.level.cols and grid[row, col]:
                    out.append((row, col))
        return out

    # -- step --------------------------------------------------------------------------------
    def step(self, action: int) -> None:
        self.frame += 1
        self.collected = []
        if not self.alive:
            self.dead_timer -= 1
            if self.dead_timer <= 0:
                self._spawn()
            self._step_enemies()
            return
        dx = _DX[action] * SPEED
        if dx:
            self.facing = 1 if dx > 0 else -1
        grounded = self.on_ground()
        if _JUMP[action] and grounded:
            self.vy = -JUMP_V
        elif not grounded:
            self.vy = min(self.vy + GRAVITY, MAX_FALL)
            if not _JUMP[action] and self.vy < -JUMP_CUT:
                self.vy = -JUMP_CUT  # let go while rising: the climb ends
        else:
            self.vy = 0
        prev_bottom = self.y // FP + PH
        self._move_x(dx)
        self._move_y()
        self._step_enemies()
        if self.y // FP >= VIEW_H:
            return self._die()
        for row, col in self._overlap_tiles(self.coins):
            self.coins[row, col] = False
            self.collected.append((row, col))
        if self._spike_hit() :
            return self._die()
        if self._overlap_tiles(self.goal):
            self.wins += 1
            self.checkpoint = self.level.checkpoints[0]
            self.alive = False
            self.dead_timer = RESPAWN_FRAMES
            return
        py = self.y // FP
        for e in self.enemies:
            if not e.alive or abs(e.x - self.x) >= PW or not (py < e.y + EH and e.y < py + PH):
                continue
            if self.vy > 0 and prev_bottom <= e.y + 3:
                e.alive = False  # stomped
                self.vy = -JUMP_V // 2
            else:
                return self._die()
        if self.on_ground():
            col = (self.x + PW // 2) // TILE
            if col in self._checkpoint_set and col > self.checkpoint:
                self.checkpoint = col

    @property
    def _checkpoint_set(self) -> set[int]:
        s = getattr(self, "_cps", None)
        if s is None:
            s = self._cps = set(self.level.checkpoints)
        return s

    def _spike_hit(self) -> bool:
        # spikes occupy the lower half of their tile
        for row, col in self._overlap_tiles(self.spikes):
            if self.y // FP + PH > row * TILE + TILE // 2 and col * TILE < self.x + PW - 1 \
                    and self.x < col * TILE + TILE - 1:
                return True
        return False

    def _die(self) -> None:
        self.alive = False
        self.deaths += 1
        self.dead_timer = RESPAWN_FRAMES

    def _step_enemies(self) -> None:
        lo, hi = self.x - 2 * self.view_w, self.x + 2 * self.view_w
        for e in self.enemies:
            if not e.alive or not (lo <= e.x <= hi):
                continue
            nx = e.x + e.dir * ENEMY_SPEED
            lead = nx if e.dir < 0 else nx + EW - 1
            col, row = lead // TILE, e.y // TILE
            if (self._solid_at(col, row) or not self._solid_at(col, row + 1)
                    or (0 <= col < self.level.cols and self.spikes[row, col])):
                e.dir = -e.dir
            else:
                e.x = nx
