"""The camera prior: shifts read from video tokens, counted against the LAM's latent actions."""

import numpy as np
import torch

from genie_studio.data.generate import generate_dataset
from genie_studio.session.level import LevelMemory, plan_frame
from genie_studio.train.camera import fit_camera
from genie_studio.world.scroll import column_shift
from genie_studio.world.tiny import tiny_world

torch.set_num_threads(1)


def test_column_shift_reads_the_scroll():
    a = torch.arange(64).view(4, 16)
    assert column_shift(a, torch.roll(a, -1, 1)) == 1  # the view moved one column right
    assert column_shift(a, torch.roll(a, 1, 1)) == -1
    assert column_shift(a, a) == 0
    assert column_shift(a, torch.full_like(a, 99)) == 0  # no evidence: no move


def test_fit_camera_counts_a_table_per_action_and_previous_shift(tmp_path):
    ds = generate_dataset(tmp_path / "ds", episodes=2, styles=("sketch",), seed=3, resolution=(16, 16),
                          episode_len=10, progress=False)
    from genie_studio.data.dataset import ClipDataset

    wm = tiny_world()
    cam = fit_camera(wm, [ClipDataset(ds)])
    lp = np.array(cam["log_prob"])
    assert cam["shifts"] == [-1, 0, 1] and lp.shape == (wm.lam.cfg.num_actions, 3, 3)
    assert np.allclose(np.exp(lp).sum(-1), 1.0, atol=1e-3) and cam["pairs"] == 2 * 8


def test_the_prior_decides_when_the_guess_does_not():
    full = torch.randint(0, 30, (6, 64), generator=torch.Generator().manual_seed(0))
    mem = LevelMemory(np.zeros((32, 60, 3), np.uint8), 1, full, full.clone(), 4, (8, 8))
    region = np.zeros((8, 8), bool)
    noise = torch.full((64,), 31)  # a guess that matches no view
    run = {-1: np.log(0.05), 0: np.log(0.15), 1: np.log(0.8)}
    assert plan_frame(mem, 2, mem.still[2], region, noise, None, 32, prior=run).camera == 3
    stand = {-1: np.log(0.1), 0: np.log(0.8), 1: np.log(0.1)}
    assert plan_frame(mem, 2, mem.still[2], region, noise, None, 32, prior=stand).camera == 2
    # a unanimous guess outweighs a prior that is not too sure
    assert plan_frame(mem, 2, mem.still[2], region, mem.still[1], None, 32, prior=stand).camera == 1


def test_a_rarely_seen_action_says_little():
    from genie_studio.session.level import SUPPORT_HALF, prior_row

    lp = np.log([[[0.8, 0.1, 0.1]] * 3, [[0.1, 0.1, 0.8]] * 3]).tolist()
    cam = {"shifts": [-1, 0, 1], "log_prob": lp, "support": [[10] * 3, [10 * SUPPORT_HALF] * 3]}
    rare, common = prior_row(cam, 0, 0), prior_row(cam, 1, 1)
    assert rare[-1] - rare[0] < 0.2 * (np.log(0.8) - np.log(0.1))  # flattened toward uniform
    assert common[1] - common[0] > 0.9 * (np.log(0.8) - np.log(0.1))  # kept
    assert prior_row(cam, 5, 0) is None and prior_row(cam, 0, 2) is None
