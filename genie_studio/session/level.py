"""The drawing is the level: a session's memory of the whole drawn level, and the copy-first plan of
each frame (docs/world-is-the-drawing.md).

A :class:`LevelMemory` holds the designer's whole drawing at the model's scale (``fit_strip``) and, for
every camera position (one token column apart, as the training camera moves), the tokens of the view
there. It keeps two versions: ``full``, the drawing without the player (what enters the view), and
``still``, without the player and the enemies (what stays put). The player and the enemies are the
*dynamic* things: the model draws them.

Each frame is planned from the model's first MaskGIT pass (its free guess of the whole frame):

1. **Camera.** The candidates are the previous camera and one column either way, inside the drawing
   (the camera stops at a level's ends, as in the game; ``endless`` lets it go on). The pass's sampled
   tokens vote, weighted by their confidence, for the candidate whose view they match, counted only
   where the candidates' views differ and away from the dynamic things. A move must beat staying by
   ``VOTE_MARGIN`` of those tokens; no clear vote (a uniform view, a noisy guess) keeps the camera.
2. **Draft.** The next frame starts as the level's view at the chosen camera: ``full`` for the columns
   that enter the view, ``still`` elsewhere (past the drawing's ends in endless mode: the previous
   frame's tokens moved by the shift, and the entering column open).
   When the guess does not scroll but the player stood more than a column off the view's centre, the
   camera follows the player by one column (the game's camera rule) and the guess moves with it.
3. **Open tokens.** Around the dynamic things of the previous frame (where its pixels show the player's
   or an enemy's colour), in screen and in level coordinates, one column and two rows wide: the model
   generates those and nothing else. When the player is not found in a frame, the previous region is
   kept, so that the model keeps drawing it.

A model trained on drafts (``Dynamics(draft=True)``) decides more itself (:func:`draft_plan`): its
camera head, read on the first, fully masked pass, picks the scroll (the most likely shift the drawing
allows); the draft is the drawing's view there (``full`` in the entering columns, ``still`` elsewhere;
the previous frame moved by the shift where nothing dynamic was found, a photo) with the cells around
the player and the enemies open; the model then edits the draft (``world/maskgit.decode_edits``): it
draws the open cells and changes what it is sure moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from genie_studio.data.palette import PALETTE, mask
from genie_studio.data.probe import PLAYER_TOLERANCE
from genie_studio.world.scroll import shift_cols

DYNAMIC = ("player", "enemy")  # palette entries the model moves; the rest of the drawing stays put
ENCODE_BATCH = 32
OPEN_ROWS, OPEN_COLS = 3, 2  # how far a dynamic thing may move in one frame, in tokens
EVIDENCE = 4.0  # with a camera prior: the log-odds a unanimous vote of the guess is worth
SUPPORT_HALF = 200  # frame pairs at which a row of the camera prior weighs half
VOTE_MARGIN = 0.1  # share of the deciding tokens by which a camera move must beat staying
CONFIDENT = 0.5  # with no dynamic thing in view, tokens the first pass predicts this surely are regenerated


@dataclass
class LevelMemory:
    strip: np.ndarray  # [H, Ws, 3] uint8: the drawing at the model's scale (player and enemies included)
    start: int  # camera column of the first view
    full: torch.Tensor  # [C, S] long: view tokens at each camera column, without the player
    still: torch.Tensor  # [C, S] long: the same without the player and the enemies
    patch: int
    tokens_hw: tuple[int, int]

    @property
    def cameras(self) -> int:
        return int(self.full.shape[0])

    def view(self, camera: int) -> np.ndarray:
        """The drawing as seen from camera column ``camera`` (clamped to the drawing)."""
        W = self.tokens_hw[1] * self.patch
        x = int(np.clip(camera, 0, self.cameras - 1)) * self.patch
        return self.strip[:, x:x + W]


def erase(strip: np.ndarray, names=DYNAMIC) -> np.ndarray:
    """The strip with the pixels of the named palette entries (and a 1 px fringe) painted as paper."""
    out = strip.copy()
    out[_grow(_inked(strip, names), 1, 1)] = PALETTE["background"]
    return out


def _inked(image: np.ndarray, names) -> np.ndarray:
    """[H, W] bool: pixels of any of the named palette entries."""
    m = np.zeros(image.shape[:2], bool)
    for n in names:
        m |= mask(image, n, PLAYER_TOLERANCE)
    return m


@torch.no_grad()
def build_memory(tokenizer, strip: np.ndarray, view_x: int, device, autocast) -> LevelMemory:
    """Tokenize the view at every camera column of ``strip`` (the model's frame-wise tokenizer)."""
    H, W = tokenizer.cfg.image_size
    p = int(tokenizer.cfg.patch)
    C = (strip.shape[1] - W) // p + 1

    def encode(a: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(a)).to(device).float().div(255)
        views = x.unfold(1, W, p).permute(1, 0, 3, 2)  # [C, H, W, 3]
        out = []
        with autocast():
            for i in range(0, C, ENCODE_BATCH):
                out.append(tokenizer.encode(views[i:i + ENCODE_BATCH, None])[:, 0])
        return torch.cat(out).long()

    no_player = erase(strip, ("player",))
    return LevelMemory(strip, view_x // p, encode(no_player), encode(erase(no_player, ("enemy",))), p,
                       tuple(tokenizer.cfg.tokens_hw))


def dynamic_tokens(image: np.ndarray, patch: int) -> np.ndarray:
    """[h, w] bool: the token cells where ``image`` shows the player's or an enemy's colour."""
    m = _inked(image, DYNAMIC)
    h, w = m.shape[0] // patch, m.shape[1] // patch
    return m[:h * patch, :w * patch].reshape(h, patch, w, patch).any((1, 3))


def _grow(m: np.ndarray, rows: int = 2, cols: int = 1) -> np.ndarray:
    out = m.copy()
    for d in range(1, rows + 1):
        out[d:] |= m[:-d]
        out[:-d] |= m[d:]
    grown = out.copy()
    for d in range(1, cols + 1):
        grown[:, d:] |= out[:, :-d]
        grown[:, :-d] |= out[:, d:]
    return grown


@dataclass
class Plan:
    camera: int
    draft: torch.Tensor  # [S] long (mask_id where open)
    open: torch.Tensor  # [S] bool
    guess_shift: int = 0  # columns to move the model's guess by before it fills the open tokens


def plan_frame(mem: LevelMemory | None, camera: int, prev_tokens: torch.Tensor, region: np.ndarray,
               sampled: torch.Tensor, conf: torch.Tensor | None, mask_id: int, endless: bool = False,
               max_shift: int = 1, player_col: float | None = None, prior: dict | None = None) -> Plan:
    """The next frame's camera, draft and open tokens (module docstring), from the previous frame's
    camera, tokens [S] and dynamic region [h, w], the model's guess of the frame (``sampled`` tokens,
    weighted by ``conf``; None: equally), where the player stood (``player_col``, in columns) and the
    model's learned camera prior for this step (``prior``: shift -> log-probability, train/camera.py)."""
    h, w = region.shape
    prev = prev_tokens.view(h, w)
    smp = sampled.view(h, w)
    cf = torch.ones(h, w) if conf is None else conf.float().view(h, w)
    lo, hi = _camera_range(mem, camera, endless)
    cands = [camera + d for d in range(-max_shift, max_shift + 1) if lo <= camera + d <= hi]
    views = {c: _view_tokens(mem, c, prev, camera, mask_id, (h, w)) for c in cands}
    away = torch.from_numpy(~_grow(region | shift_cols(region, 1, False) | shift_cols(region, -1, False)))
    stack = torch.stack([views[c] for c in cands])  # [K, h, w]
    known = (stack != mask_id).all(0)
    differ = (stack != stack[:1]).any(0) & known & away.to(stack.device)
    scores = {c: float((cf * ((smp == views[c]) & differ)).sum()) for c in cands}
    n = max(1.0, float(differ.sum()))
    if prior:  # the learned prior, and the guess's vote as evidence: a full vote weighs EVIDENCE nats
        best = max(cands, key=lambda c: (prior.get(c - camera, -99.0) + EVIDENCE * (scores[c] - scores[camera]) / n,
                                         -abs(c - camera)))
    else:  # a move must win clearly: noise keeps the camera
        margin = max(1.0, VOTE_MARGIN * n)
        best = max(cands, key=lambda c: (scores[c] - (0 if c == camera else margin), -abs(c - camera)))
    follow = 0
    if best == camera and player_col is not None:  # the guess does not scroll: the camera follows the player
        off = player_col - w / 2
        step = 1 if off >= 1 else (-1 if off <= -1 else 0)
        if step and camera + step in views:
            best, follow = camera + step, step
    s = best - camera
    draft = _level_draft(mem, best, s, prev, mask_id)
    opened = torch.from_numpy(_grow(region | shift_cols(region, s, False), OPEN_ROWS, OPEN_COLS)).to(draft.device)
    opened |= draft == mask_id
    if not region.any():  # nothing found that moves (a photo): open where the model confidently disagrees
        opened |= (smp != draft) & (cf > CONFIDENT)
    return Plan(best, draft.flatten(), opened.flatten(), follow)


def draft_plan(mem: LevelMemory | None, camera: int, prev_tokens: torch.Tensor, region: np.ndarray,
               camera_logits: torch.Tensor, mask_id: int, endless: bool = False) -> Plan:
    """The next frame's camera and draft for a model trained on drafts (module docstring): the shift its
    camera head finds most likely among those the drawing allows; ``open`` marks the tokens to draw."""
    h, w = region.shape
    prev = prev_tokens.view(h, w)
    m = (len(camera_logits) - 1) // 2
    lo, hi = _camera_range(mem, camera, endless)
    order = sorted(range(-m, m + 1), key=lambda s: (-float(camera_logits[s + m]), abs(s)))
    s = next((s for s in order if lo <= camera + s <= hi), 0)
    new = camera + s
    draft = _level_draft(mem, new, s, prev, mask_id)
    if not region.any():  # nothing found that moves (a photo): the previous frame moved, the drawing as it enters
        moved = shift_cols(prev, s, mask_id)
        draft = torch.where(moved == mask_id, draft, moved)
    else:  # around the player and the enemies, in screen and in level coordinates: the model draws
        moving = torch.from_numpy(_grow(region | shift_cols(region, s, False), OPEN_ROWS, OPEN_COLS))
        draft[moving.to(draft.device)] = mask_id
    return Plan(new, draft.flatten(), (draft == mask_id).flatten(), 0)


def prior_row(camera: dict, action: int, previous: int) -> dict | None:
    """shift -> log P(shift | action, previous shift) from a model's camera table (train/camera.py),
    flattened toward uniform where few frame pairs back the row (weight support / (support +
    SUPPORT_HALF)): a latent action the video rarely shows says little."""
    shifts = camera["shifts"]
    if not 0 <= action < len(camera["log_prob"]) or previous not in shifts:
        return None
    row = np.array(camera["log_prob"][action][shifts.index(previous)])
    support = camera.get("support")
    n = support[action][shifts.index(previous)] if support else SUPPORT_HALF
    w = n / (n + SUPPORT_HALF)
    return dict(zip(shifts, (w * row + (1 - w) * np.log(1 / len(shifts))).tolist()))


def _camera_range(mem: LevelMemory | None, camera: int, endless: bool) -> tuple[int, int]:
    """The cameras a frame may move to: the drawing's (its ends stop the view), anywhere when endless, and
    only where it is without a drawing."""
    if endless:
        return -10**9, 10**9
    return (0, mem.cameras - 1) if mem is not None else (camera, camera)


def _level_draft(mem: LevelMemory | None, new: int, s: int, prev: torch.Tensor, mask_id: int) -> torch.Tensor:
    """[h, w] the drawing seen from camera ``new`` after a shift of ``s``: its still view, the full one in the
    entering columns (drawn enemies enter the view); outside the drawing, ``prev`` moved by ``s``."""
    h, w = prev.shape
    draft = _view_tokens(mem, new, prev, new - s, mask_id, (h, w)).clone()
    if mem is not None and 0 <= new < mem.cameras:
        enter = shift_cols(torch.ones(h, w, dtype=torch.bool), s, False) == 0
        draft[enter] = mem.full[new].view(h, w).to(draft.device)[enter]
    return draft


def _view_tokens(mem, c: int, prev: torch.Tensor, camera: int, mask_id: int, hw) -> torch.Tensor:
    """The still level's tokens seen from camera ``c``; outside the drawing, the previous frame's tokens
    moved with the camera (and open where nothing was seen)."""
    if mem is not None and 0 <= c < mem.cameras:
        return mem.still[c].view(hw).to(prev.device)
    return shift_cols(prev, c - camera, mask_id)
