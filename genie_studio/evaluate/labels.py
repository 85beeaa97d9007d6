"""Name a model's latent actions by what they do, and test that a sketch can be controlled.

Labelling (``label_actions``): every latent action is held for ``hold`` frames from each of several
sketch-style probe prompts (levels the model never trained on). The player's motion relative to the
level is measured with the palette (``data.probe.player_motion``: the player-coloured blob's screen
motion plus the level's scroll). Per prompt the effect is classified as left/right/none horizontally
(net displacement beyond ``min_dx`` pixels) and jump/none vertically (the player rises more than
``min_rise`` pixels above its start at some point); the label is the majority over prompts
("left+jump", "right", "noop", ...), "other" when no class reaches half the prompts, and the
confidence is the share of prompts that agree. When no action comes out "noop", the one that moves
least (smallest |dx| + rise) is named "noop": the controls send it when nothing is held. Duplicates
get a suffix ("right-2") ordered by confidence (then by the size of the effect), so the plain label
names the most reliable action.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from genie_studio.data.probe import player_motion, player_position
from genie_studio.data.render import render_level_image
from genie_studio.session.actions import ActionError, action_index
from genie_studio.session.world_session import WorldSession, step_many
from genie_studio.world.bundle import WorldModel

PROBE_SEEDS = tuple(range(20_000_000, 20_000_008))  # never used for training data (seeds < 10^7)


def probe_prompts(resolution, n: int = 8) -> list[np.ndarray]:
    return [render_level_image(s, "sketch", resolution=tuple(resolution)) for s in PROBE_SEEDS[:n]]


def _rollouts(wm: WorldModel, prompts, action: int, hold: int, seed: int, **kw) -> list[np.ndarray]:
    sessions = [WorldSession(wm, seed=seed + i, **kw) for i in range(len(prompts))]
    first = [s.reset(p) for s, p in zip(sessions, prompts)]
    frames = [[f] for f in first]
    for _ in range(hold):
        for lst, f in zip(frames, step_many(sessions, [action] * len(sessions))):
            lst.append(f)
    return [np.stack(f) for f in frames]


def measure(frames: np.ndarray) -> tuple[float, float, float]:
    """(net dx, max rise, net dy) of the player relative to the level over a rollout, in pixels."""
    m = player_motion(frames)
    m = np.nan_to_num(m, nan=0.0)
    path = np.cumsum(m, axis=0)
    dx = float(path[-1, 0]) if len(path) else 0.0
    rise = float(max(0.0, -path[:, 1].min())) if len(path) else 0.0
    return dx, rise, float(path[-1, 1]) if len(path) else 0.0


def classify(dx: float, rise: float, min_dx: float, min_rise: float) -> str:
    h = "right" if dx > min_dx else ("left" if dx < -min_dx else "")
    v = rise > min_rise
    if h and v:
        return f"{h}+jump"
    return h or ("jump" if v else "noop")


def label_actions(wm: WorldModel, prompts=None, hold: int = 8, seed: int = 0, repeats: int = 2,
                  **session_kw) -> dict:
    """Name each latent action by the effect of holding it ``hold`` frames from every prompt (``repeats``
    sampling seeds each); the label is the majority vote, "other" below half of the votes."""
    H = wm.tokenizer.cfg.image_size[0]
    prompts = prompts if prompts is not None else probe_prompts(wm.tokenizer.cfg.image_size)
    n_prompts = len(prompts)
    prompts = list(prompts) * max(1, int(repeats))
    min_dx, min_rise = H / 16 * hold / 8, H / 10
    raw = []
    for a in range(wm.dynamics.cfg.num_actions):
        effects = [measure(r) for r in _rollouts(wm, prompts, a, hold, seed, **session_kw)]
        votes = Counter(classify(dx, rise, min_dx, min_rise) for dx, rise, _ in effects)
        label, n = votes.most_common(1)[0]
        conf = n / len(effects)
        if conf < 0.5:
            label = "other"
        raw.append({"label": label, "confidence": round(conf, 3),
                    "mean_dx": round(float(np.mean([e[0] for e in effects])), 2),
                    "mean_rise": round(float(np.mean([e[1] for e in effects])), 2),
                    "votes": dict(votes)})
    if not any(r["label"] == "noop" for r in raw):
        # the controls send the idle action when nothing is held: make it the one that moves least
        still = min(range(len(raw)), key=lambda i: abs(raw[i]["mean_dx"]) + raw[i]["mean_rise"])
        raw[still]["label"] = "noop"
        raw[still]["confidence"] = round(raw[still]["votes"].get("noop", 0) / len(prompts), 3)
    order = sorted(range(len(raw)),
                   key=lambda i: (-raw[i]["confidence"], -abs(raw[i]["mean_dx"]) - raw[i]["mean_rise"]))
    seen: Counter = Counter()
    labels = [""] * len(raw)
    for i in order:
        base = raw[i]["label"]
        seen[base] += 1
        labels[i] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return {"labels": labels, "confidence": [r["confidence"] for r in raw], "effects": raw,
            "method": f"hold each action {hold} frames from {n_prompts} sketch probe prompts x {repeats} seeds; "
                      f"min_dx={min_dx:.1f}px, min_rise={min_rise:.1f}px"}


def control_action(labels: list[str], name: str) -> int | None:
    """The action the default controls bind to the plain input for ``name``: the label ``name``, else
    the first combination that contains it ("left+jump" for left when there is no "left")."""
    try:
        return action_index(name, labels)
    except ActionError:
        return None


def control_test(wm: WorldModel, labels: list[str], prompts=None, hold: int = 12, seed: int = 100,
                 real_speed: float | None = None, repeats: int = 1, **session_kw) -> dict:
    """Hold "right", "left" and "jump" for ``hold`` frames from each prompt (``repeats`` sampling seeds
    each): how often does the player move the right way relative to the level, and how far compared
    with the real game?"""
    H = wm.tokenizer.cfg.image_size[0]
    prompts = prompts if prompts is not None else probe_prompts(wm.tokenizer.cfg.image_size)
    prompts = list(prompts) * max(1, int(repeats))
    real_speed = real_speed if real_speed is not None else 4.0 * H / 64  # px/frame in the generator
    out = {}
    for name in ("right", "left", "jump"):
        index = control_action(labels, name)
        if index is None:
            out[name] = {"available": False}
            continue
        rolls = _rollouts(wm, prompts, index, hold, seed, **session_kw)
        eff = [measure(r) for r in rolls]
        if name == "jump":
            ok = [rise > H / 10 for _, rise, _ in eff]
            ratio = float(np.mean([rise for _, rise, _ in eff]) / (22.5 * H / 64))
        else:
            sign = 1 if name == "right" else -1
            ok = [sign * dx > H / 16 for dx, _, _ in eff]
            ratio = float(np.mean([sign * dx for dx, _, _ in eff]) / (real_speed * hold))
        found = float(np.mean([player_position(r[-1]) is not None for r in rolls]))
        out[name] = {"available": True, "label": labels[index], "success_rate": float(np.mean(ok)),
                     "displacement_ratio": round(ratio, 3), "player_visible_at_end": found, "trials": len(prompts)}
    return out
