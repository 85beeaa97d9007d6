"""The camera's prior: how far the view scrolls, learned from unlabelled video.

The copy-first decoder (session/level.py) must decide each frame whether the view moves one token column
either way. The model's own guess votes, but a free guess carries a scroll only weakly. This module
learns what a scroll follows from, with no labels: for every pair of consecutive frames of a clip
dataset (generated or imported footage), the **shift** is the token-column offset that best aligns the
two frames' tokens (``world.scroll.column_shift``), and the **latent action** is what the model's LAM infers between
them. Counting (action, previous shift) -> shift gives ``P(shift | action, previous shift)``: a running
player keeps scrolling, a standing one does not, and at a level's end the view stops. The table is kept in
the model's config.json (``camera``) and read by ``session/level.prior_row`` for ``plan_frame``.
"""

from __future__ import annotations

import numpy as np
import torch

from genie_studio.progress import progress_bar
from genie_studio.world.scroll import MAX_SHIFT, column_shift

LAM_CLIP = 4  # frames per LAM window (its training clip length in the presets)


@torch.no_grad()
def fit_camera(wm, datasets, episodes: int = 200, progress: bool = False, max_shift: int = MAX_SHIFT) -> dict:
    """Count (latent action, previous shift) -> shift over up to ``episodes`` episodes of each dataset;
    returns the table for config.json: ``log_prob[action][previous shift][shift]`` (shifts -M..M,
    add-one smoothed) and what it was learned from."""
    A, K = wm.lam.cfg.num_actions, 2 * max_shift + 1
    hw = tuple(wm.tokenizer.cfg.tokens_hw)
    counts = np.ones((A, K, K))
    pairs = 0
    todo = [(ds, i) for ds in datasets for i in range(min(len(ds), episodes))]
    bar = progress_bar(len(todo), "camera prior", unit="episode", enabled=progress)
    for ds, i in todo:
        x = torch.from_numpy(np.array(ds.episode(i))).float().div(255)  # [T, H, W, 3] (a writable copy)
        T = len(x)
        if T < 3:
            continue
        tokens = torch.cat([wm.tokenizer.encode(x[k:k + 64, None])[:, 0] for k in range(0, T, 64)]).view(T, *hw)
        shifts = column_shift(tokens[:-1], tokens[1:], max_shift).tolist()
        acts = np.zeros(T - 1, np.int64)
        for t0 in range(0, T - 1, LAM_CLIP - 1):  # windows overlapping by one frame: every pair once
            clip = x[t0:t0 + LAM_CLIP]
            if len(clip) < 2:
                break
            acts[t0:t0 + len(clip) - 1] = wm.lam.infer_actions(clip[None])[0].numpy()
        for t in range(1, T - 1):
            counts[acts[t], shifts[t - 1] + max_shift, shifts[t] + max_shift] += 1
            pairs += 1
        bar.update(1)
    bar.close()
    prob = counts / counts.sum(-1, keepdims=True)
    return {"shifts": list(range(-max_shift, max_shift + 1)), "log_prob": np.round(np.log(prob), 4).tolist(),
            "support": (counts.sum(-1) - K).astype(int).tolist(), "pairs": pairs,
            "method": "token-column alignment of consecutive frames x the LAM's latent actions, counted, "
                      "add-one smoothed; support: frame pairs behind each row"}

