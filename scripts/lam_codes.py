"""Which latent action codes a model's LAM gives each of the platformer's true actions (issue #25).

    python scripts/lam_codes.py MODEL_FOLDER DATASET [--episodes 200] [--window 16]

Every frame pair of the first EPISODES episodes of a labelled dataset (`genie-studio data generate`), read
in windows of WINDOW frames as the LAM sees them in training: the NMI of the codes against the six
commanded actions and against noop / left / right / any jump, the best one-to-one accuracy, the table of
codes per action, and two rows the commanded labels hide: *jump starts* (the player rises more than 2 px
from rest: what a jump code must catch; a held jump in the air changes nothing) and *rising* frames.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genie_studio.data.dataset import ClipDataset  # noqa: E402
from genie_studio.data.platformer import ACTIONS  # noqa: E402
from genie_studio.evaluate.metrics import mapping_accuracy, nmi  # noqa: E402
from genie_studio.world.bundle import load_model  # noqa: E402

ANY_JUMP = np.array([0, 1, 2, 3, 3, 3])  # noop, left, right, jump, left+jump, right+jump -> 4 classes


def vertical(y: np.ndarray, k: int) -> int:
    """0: no rise, 1: a jump start (rises > 2 px after a frame at rest), 2: rising otherwise."""
    rise = y[k] - y[k + 1]
    if rise > 2 and (k == 0 or abs(y[k] - y[k - 1]) < 0.5):
        return 1
    return 2 if rise > 0.5 else 0


@torch.no_grad()
def codes(model: str, data: str, episodes: int, window: int):
    lam = load_model(model, components=("lam",)).lam
    ds = ClipDataset(data)
    if not ds.has_labels:
        raise SystemExit(f"{data}: no action labels (generate it with `genie-studio data generate`)")
    pred, true, vert = [], [], []
    for e in range(min(episodes, len(ds))):
        x, a, y = np.asarray(ds.episode(e)), ds.actions(e), ds.positions(e)[:, 1]
        for s in range(0, len(x) - 1, window - 1):
            clip = x[s:s + window]
            with torch.autocast("cpu", dtype=torch.bfloat16):
                p = lam.infer_actions(torch.from_numpy(clip[None]).float().div(255))[0].numpy()
            pred.append(p)
            true.append(a[s:s + len(p)])
            vert.append([vertical(y, k) for k in range(s, s + len(p))])
    return np.concatenate(pred), np.concatenate(true), np.concatenate(vert), lam.cfg.num_actions


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--episodes", type=int, default=200, help="episodes to read (default: 200)")
    ap.add_argument("--window", type=int, default=16, help="frames the LAM sees at once (default: 16)")
    args = ap.parse_args(argv)
    p, t, v, k = codes(args.model, args.data, args.episodes, args.window)
    acc, _ = mapping_accuracy(p, t)
    print(f"NMI {nmi(p, t):.3f} (six actions), {nmi(p, ANY_JUMP[t]):.3f} (noop/left/right/jump); "
          f"best one-to-one accuracy {acc:.3f}; {len(p)} frame pairs")
    table = np.zeros((len(ACTIONS), k), int)
    np.add.at(table, (t, p), 1)
    rows = [(name, table[i]) for i, name in enumerate(ACTIONS)]
    rows += [("jump start", np.bincount(p[v == 1], minlength=k)), ("rising", np.bincount(p[v == 2], minlength=k))]
    print("code       " + " ".join(f"{c:>5}" for c in range(k)))
    for name, row in rows:
        print(f"{name:>10} " + " ".join(f"{n:>5}" for n in row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
