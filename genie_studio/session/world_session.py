"""WorldSession: prompt -> step(action) -> frame, the one interface that the editor, the pygame
player, the CLI and the server all drive.

State is a history of frames. Every frame but the newest has been *committed*: its temporal keys and
values, per layer, are kept (``_kv``), computed once when the frame became final. The newest frame
is *pending*: it is committed during the first MaskGIT iteration of the next step, in the same
forward pass as the new masked frame (two frames, one pass). A step therefore runs only the new
frame's tokens through the dynamics model at each iteration, attending to the cached keys.

The context window slides: the cache is built from the newest ``context - 2`` committed frames, so
play goes on forever at constant cost. Because per-frame keys are kept, ``rewind(n)`` restores the
exact state of n steps ago (n up to ``rewind_limit``: the ``max_history`` newest frames are kept), and
``fork()`` copies it; each session owns a ``torch.Generator``, so a
session's frames depend only on (model, prompt, seed, actions, knobs), stepped alone or batched.
"""

from __future__ import annotations

import copy
import os
from contextlib import nullcontext
from dataclasses import dataclass, replace

import numpy as np
import torch

from genie_studio.data.probe import player_position
from genie_studio.knobs import Knobs
from genie_studio.session import compiled
from genie_studio.session.actions import action_index
from genie_studio.session.devices import resolve_precision
from genie_studio.session.level import LevelMemory, build_memory, draft_plan, dynamic_tokens, plan_frame, prior_row
from genie_studio.session.open import load_world
from genie_studio.session.prompt import fit_prompt, fit_strip
from genie_studio.world.bundle import WorldModel
from genie_studio.world.maskgit import decode_edits, decode_frame, sample_tokens, uniforms
from genie_studio.world.scroll import shift_cols

MAX_HISTORY = 256  # frames kept for rewind
_KIND = {"maskgit_steps": int, "temperature": float, "seed": int, "endless": bool}  # numpy numbers welcome


@dataclass
class _Frame:
    tokens: torch.Tensor  # [S] long
    action: int  # the action that produced this frame (no_action for the prompt)
    image: np.ndarray  # [H, W, 3] uint8
    rng: torch.Tensor  # generator state after this frame was made
    kv: torch.Tensor | None = None  # [2 (k, v), layers, S+1, heads, head dim] once committed
    camera: int = 0  # the view's column in the level memory (decoder "copy")
    region: np.ndarray | None = None  # [h, w] bool: token cells of the dynamic things (decoder "copy")
    opened: torch.Tensor | None = None  # [S] bool: the tokens the model generated (decoder "copy")
    player_x: float | None = None  # the player's centre in pixels, where found (decoder "copy")


class WorldSession:
    """The local :class:`~genie_studio.session.protocol.Session`."""

    last_rtt_ms: float | None = None  # no server, no round trip
    max_history: int = MAX_HISTORY  # frames kept (never fewer than the context window); a server keeps fewer

    def __init__(self, model: WorldModel | str | os.PathLike, device: str | torch.device = "cpu",
                 steps: int | None = None, temperature: float | None = None, seed: int | None = None,
                 context: int | None = None, precision: str | None = None, cached: bool = True,
                 decoder: str | None = None, endless: bool | None = None):
        """A knob left None takes its default (knobs.Knobs)."""
        given = {"maskgit_steps": steps, "temperature": temperature, "seed": seed, "precision": precision,
                 "decoder": decoder, "endless": endless}
        knobs = Knobs().replace(**{k: (_KIND[k](v) if k in _KIND else v) for k, v in given.items() if v is not None})
        if not isinstance(model, WorldModel):  # a name or a folder, loaded as open_local loads it
            model = load_world(model, device=device)
        if model.tokenizer is None or model.dynamics is None:
            raise ValueError("a WorldSession needs a model with a tokenizer and a dynamics component")
        self.model = model
        self.device = torch.device(device)
        self.steps, self.temperature, self.seed = knobs.maskgit_steps, knobs.temperature, knobs.seed
        self.context = int(context or model.dynamics.cfg.context)
        if self.context < 2:
            raise ValueError("context must be at least 2 frames")
        self.precision = resolve_precision(knobs.precision, self.device.type)  # auto: bf16 only where it is native
        self.cached = cached
        self.decoder, self.endless = knobs.decoder, knobs.endless
        self.level: LevelMemory | None = None  # the whole drawing, with decoder "copy"
        self.generator = torch.Generator().manual_seed(self.seed)
        self.history: list[_Frame] = []

    # ---- public API -------------------------------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        return self.model.action_labels

    @property
    def resolution(self) -> tuple[int, int]:
        return tuple(self.model.tokenizer.cfg.image_size)

    @property
    def patch(self) -> int:
        return int(self.model.tokenizer.cfg.patch)

    @property
    def frame(self) -> np.ndarray | None:
        return self.history[-1].image if self.history else None

    def reset(self, prompt, seed: int | None = None) -> np.ndarray:
        """Start from any image (path, PIL image, array); returns the prompt as the model sees it."""
        if seed is not None:
            self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)
        camera, self.level = 0, None
        if self.decoder == "copy":
            strip, view_x = fit_strip(prompt, self.resolution, patch=self.patch)
            self.level = build_memory(self.model.tokenizer, strip, view_x, self.device, self._autocast)
            camera = self.level.start
            rgb = self.level.view(camera)
        else:
            rgb = fit_prompt(prompt, self.resolution)
        with torch.no_grad(), self._autocast():
            x = torch.from_numpy(np.array(rgb)).to(self.device).float().div(255)[None, None]
            tokens = self.model.tokenizer.encode(x)[0, 0]
        self.history = []
        self._push(tokens, self.model.dynamics.no_action)
        if self.level is not None:
            _mark(self.history[-1], self.patch, camera, None, rgb)
        return self.frame

    def action_index(self, action) -> int:
        return action_index(action, self.labels)

    def configure(self, knobs: Knobs) -> None:
        """Take the knobs a running world takes (knobs.LIVE): steps and temperature from the next step; the
        seed, the decoder and endless from the next reset. The others are fixed when the session opens."""
        self.steps, self.temperature, self.seed = knobs.maskgit_steps, knobs.temperature, knobs.seed
        self.decoder, self.endless = knobs.decoder, knobs.endless

    def step(self, action) -> np.ndarray:
        return step_many([self], [action])[0]

    @property
    def rewind_limit(self) -> int:
        """How many steps :meth:`rewind` can undo exactly: back to the prompt while the history still
        holds it, else back to the oldest kept frame that has its context window before it."""
        if not self.history or self.history[0].action == self.model.dynamics.no_action:  # the prompt is kept
            return max(0, len(self.history) - 1)
        return max(0, len(self.history) - (self.context - 1))

    def rewind(self, n: int = 1) -> np.ndarray:
        """Undo the last ``n`` steps, 0 <= n <= :attr:`rewind_limit` (the prompt frame always stays)."""
        self._require_reset()
        n, limit = int(n), self.rewind_limit
        if n < 0 or n > limit:
            raise ValueError(f"can rewind 0..{limit} steps, not {n}" + (
                "" if limit == len(self.history) - 1 else f" (this session keeps its last {self.max_history} frames)"))
        if n:
            del self.history[-n:]
            self.history[-1].kv = None  # the newest frame is pending again
            self.generator.set_state(self.history[-1].rng.clone())
        return self.frame

    def sibling(self) -> WorldSession:
        """A new session with this one's model and settings, not reset (its own history and generator)."""
        return WorldSession(self.model, device=self.device, steps=self.steps, temperature=self.temperature,
                            seed=self.seed, context=self.context, precision=self.precision, cached=self.cached,
                            decoder=self.decoder, endless=self.endless)

    def fork(self) -> WorldSession:
        """An independent copy that continues from the same state (same model weights, shared)."""
        other = copy.copy(self)
        other.history = [copy.copy(f) for f in self.history]
        other.generator = torch.Generator().manual_seed(0)
        other.generator.set_state(self.generator.get_state())
        return other

    @property
    def frames(self) -> list[np.ndarray]:
        return [f.image for f in self.history]

    @property
    def actions(self) -> list[int]:
        return [f.action for f in self.history[1:]]

    def close(self) -> None:
        """Nothing to release: the model's weights are shared and freed with the last reference."""

    # ---- internals --------------------------------------------------------------------------------
    def _require_reset(self):
        if not self.history:
            raise RuntimeError("call reset(prompt) before stepping the world")

    def _autocast(self):
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def _push(self, tokens: torch.Tensor, action: int, image: np.ndarray | None = None) -> None:
        img = self._decode(tokens) if image is None else image
        self.history.append(_Frame(tokens, action, img, self.generator.get_state()))
        if len(self.history) > max(self.max_history, self.context):  # never less than the window
            del self.history[0]

    def _decode(self, tokens: torch.Tensor) -> np.ndarray:
        tok = self.model.tokenizer
        if not tok.cfg.temporal:
            return _decode_batch(self, tokens[None])[0]
        with torch.no_grad(), self._autocast():
            window = [f.tokens for f in self.history[-(self.context - 1):]] + [tokens]
            x = tok.decode(torch.stack(window)[None])[0, -1]
        return _to_uint8(x)

    def _committed(self) -> list[_Frame]:
        """Committed frames inside the window (the pending frame and the new one take 2 places)."""
        return self.history[:-1][-(self.context - 2):] if self.context > 2 else []



def _group_key(s: WorldSession):
    """Sessions step together when they share a model and settings (the cached step pads each
    session's window, so only the uncached one needs windows of one length)."""
    return (id(s.model), s.device, s.steps, s.temperature, s.cached, s.precision, s.context, s.level is not None,
            0 if s.cached else len(s._committed()))


def step_many(sessions: list[WorldSession], actions: list) -> list[np.ndarray]:
    """Step several sessions; those that share a model and settings run in one batched forward."""
    if len(sessions) != len(actions):
        raise ValueError("one action per session")
    idx = []
    for s, a in zip(sessions, actions):
        s._require_reset()
        idx.append(s.action_index(a))
    groups: dict = {}
    for i, s in enumerate(sessions):
        groups.setdefault(_group_key(s), []).append(i)
    out: list = [None] * len(sessions)
    for members in groups.values():
        frames = _step_group([sessions[i] for i in members], [idx[i] for i in members])
        for i, f in zip(members, frames):
            out[i] = f
    return out


@torch.no_grad()
def _step_group(group: list[WorldSession], acts: list[int]) -> list[np.ndarray]:
    s0 = group[0]
    dyn = s0.model.dynamics
    B, S = len(group), dyn.S
    gens = [s.generator for s in group]
    with s0._autocast():
        predict = _cached_predict(group, acts) if s0.cached else _uncached_predict(group, acts)
        copy_first = s0.level is not None  # the decoder a session was reset with (a new one applies on reset)
        if copy_first and dyn.cfg.draft:  # a model trained on drafts: its camera head, then it edits the draft
            blank = torch.full((B, S), dyn.mask_id, dtype=torch.long, device=s0.device)
            camera = predict(blank, 0, uniforms((S,), gens, s0.device))[2]
            plans = [_draft_plan(s, camera[b]) for b, s in enumerate(group)]
            drafts = torch.stack([p.draft for p in plans])
            new = decode_edits(predict, drafts, dyn.mask_id, max(1, s0.steps - 1), gens, first=1)
            plans = [replace(p, open=new[b] != drafts[b]) for b, p in enumerate(plans)]
        else:
            new = decode_frame(predict, B, S, dyn.mask_id, s0.steps, gens, s0.device)
        if copy_first and not dyn.cfg.draft:
            plans = [_plan(s, new[b], acts[b]) for b, s in enumerate(group)]
            new = torch.stack([_compose(p, new[b], tuple(dyn.cfg.tokens_hw)) for b, p in enumerate(plans)])
    images = _decode_batch(s0, new) if not s0.model.tokenizer.cfg.temporal else [None] * B
    frames = []
    for b, s in enumerate(group):
        prev = s.history[-1]
        s._push(new[b], acts[b], images[b])
        if copy_first:
            _mark(s.history[-1], s.patch, plans[b].camera, prev.region)
            s.history[-1].opened = plans[b].open
        frames.append(s.frame)
    return frames


def _mark(frame: _Frame, patch: int, camera: int, prev_region, image: np.ndarray | None = None) -> None:
    """Note where a copy-first frame stands: its camera, its dynamic things (kept from the frame before
    where none is found, so that the model keeps drawing there) and the player's x (read from ``image``,
    default the frame's own)."""
    image = frame.image if image is None else image
    region = dynamic_tokens(image, patch)
    pos = player_position(image)
    frame.camera = camera
    frame.region = region if region.any() or prev_region is None else prev_region
    frame.player_x = None if pos is None else pos[0]


def _compose(plan, guess: torch.Tensor, hw) -> torch.Tensor:
    """The draft, with the model's guess (moved by the plan's guess_shift) in the open tokens."""
    if plan.guess_shift:
        moved = shift_cols(guess.view(hw), plan.guess_shift, -1).flatten()
        guess = torch.where(moved < 0, plan.draft, moved)
    return torch.where(plan.open, guess, plan.draft)


def _camera_prior(s: WorldSession, action: int) -> dict | None:
    """shift -> log P(shift | this action, the previous shift), from the model's learned table (None without)."""
    cam = s.model.meta.get("camera")
    if not cam:
        return None
    prev = s.history[-1].camera - s.history[-2].camera if len(s.history) > 1 else 0
    return prior_row(cam, action, prev)


def _plan(s: WorldSession, guess: torch.Tensor, action: int):
    """The copy-first plan of a session's next frame (session/level.py) from the model's own guess."""
    last = s.history[-1]
    return plan_frame(s.level, last.camera, last.tokens, last.region, guess, None, s.model.dynamics.mask_id,
                      endless=s.endless, player_col=None if last.player_x is None else last.player_x / s.patch,
                      prior=_camera_prior(s, action))


def _draft_plan(s: WorldSession, camera_logits: torch.Tensor):
    """The camera and draft of a session's next frame from a draft-trained model's camera head."""
    last = s.history[-1]
    return draft_plan(s.level, last.camera, last.tokens, last.region, camera_logits.float().cpu(),
                      s.model.dynamics.mask_id, endless=s.endless)


def _cached_predict(group: list[WorldSession], acts: list[int]):
    """Commit each session's pending frame (its keys and values join the cache), then return the
    MaskGIT predict function of the new frame, which attends to the cache: one frame per pass."""
    s0 = group[0]
    dyn, dev = s0.model.dynamics, s0.device
    B, rows = len(group), dyn.S + 1
    step, Bp = compiled.frame_step(s0.model, dev, s0.precision, B, s0.context)
    kv = torch.zeros((2,) + step.cache_shape(Bp), dtype=compiled.kv_dtype(s0.precision), device=dev)
    filled = torch.zeros(Bp, dtype=torch.long, device=dev)
    for b, s in enumerate(group):
        window = s._committed()
        if window:
            kv[:, :, b * rows:(b + 1) * rows, :, :len(window)] = torch.stack([f.kv for f in window], -2)
        filled[b] = len(window)

    def pad(x: torch.Tensor, fill: int) -> torch.Tensor:
        return x if Bp == B else torch.cat([x, x.new_full((Bp - B,) + x.shape[1:], fill)])

    pending_tok = pad(torch.stack([s.history[-1].tokens for s in group]), 0)
    pending_act = pad(torch.tensor([s.history[-1].action for s in group], device=dev), dyn.no_action)
    temperature = torch.tensor(s0.temperature, device=dev)
    _, _, k_new, v_new, _ = step(pending_tok, pending_act, kv[0], kv[1], filled, torch.zeros(Bp, dyn.S, device=dev),
                              temperature)
    for b, s in enumerate(group):
        r = slice(b * rows, (b + 1) * rows)
        s.history[-1].kv = torch.stack([k_new[:, r], v_new[:, r]]).clone()
        kv[0, :, r, :, int(filled[b])] = k_new[:, r]
        kv[1, :, r, :, int(filled[b])] = v_new[:, r]
    filled[:B] += 1
    action = pad(torch.tensor(acts, device=dev), dyn.no_action)

    def predict(cur, i, u):
        """-> sampled tokens, their confidence, and the camera head's logits of the scroll"""
        sampled, conf, _, _, camera = step(pad(cur, dyn.mask_id), action, kv[0], kv[1], filled, pad(u, 0), temperature)
        return sampled[:B], conf[:B], camera[:B]
    return predict


def _uncached_predict(group: list[WorldSession], acts: list[int]):
    """Every MaskGIT iteration recomputes the whole context window (what public Genie samplers do)."""
    s0 = group[0]
    dyn, dev = s0.model.dynamics, s0.device
    action = torch.tensor(acts, device=dev)
    ctx_tok = torch.stack([torch.stack([f.tokens for f in s.history[-(s.context - 1):]]) for s in group])
    ctx_act = torch.tensor([[f.action for f in s.history[-(s.context - 1):]] for s in group], device=dev)

    temperature = torch.tensor(s0.temperature, device=dev)

    def predict(cur, i, u):
        toks = torch.cat([ctx_tok, cur[:, None]], 1)
        a = torch.cat([ctx_act, action[:, None]], 1)
        h = dyn.hidden(toks, a)[:, -1]
        camera = dyn.camera(h[:, 0]) if dyn.cfg.draft else None
        return (*sample_tokens(dyn.head(h[:, 1:]), u, temperature), camera)
    return predict


def _decode_batch(s0: WorldSession, tokens: torch.Tensor) -> list[np.ndarray]:
    """Frame-wise tokenizer: decode a whole group's new frames in one forward pass."""
    B = len(tokens)
    decode, Bp = compiled.frame_decoder(s0.model, s0.device, s0.precision, B)
    if Bp > B:
        tokens = torch.cat([tokens, tokens.new_zeros((Bp - B,) + tokens.shape[1:])])
    with torch.no_grad():
        return list(decode(tokens)[:B].cpu().numpy())


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    """Decoded frames in [0, 1] -> RGB uint8."""
    return (x.float().clamp(0, 1) * 255 + 0.5).to(torch.uint8).cpu().numpy()
