"""The scroll read from tokens and the copy-first draft training of the dynamics model (#24)."""

import torch

from genie_studio.world.config import DynamicsConfig
from genie_studio.world.dynamics import Dynamics
from genie_studio.world.scroll import column_shift, scrolled

torch.set_num_threads(1)


def _scrolling_clip(batch=2, frames=5, h=4, w=8, vocab=50, seed=0):
    """Views of a random level strip, the camera moving right one column a frame in row 0 and standing
    still in row 1 -> tokens [B, T, h*w] and the true shifts [B, T-1]."""
    g = torch.Generator().manual_seed(seed)
    strip = torch.randint(0, vocab, (batch, h, w + frames), generator=g)
    moves = torch.tensor([1, 0])[:batch]
    views = torch.stack([torch.stack([strip[b, :, m * t: m * t + w] for t in range(frames)])
                         for b, m in enumerate(moves.tolist())])
    return views.flatten(2), moves[:, None].expand(batch, frames - 1)


def test_column_shift_is_batched_and_scrolled_builds_the_draft():
    tokens, shifts = _scrolling_clip()
    grid = tokens.view(2, 5, 4, 8)
    assert torch.equal(column_shift(grid[:, :-1], grid[:, 1:]), shifts)
    prev, nxt = grid[:, 0], grid[:, 1]
    draft = scrolled(prev, shifts[:, 0], nxt)
    assert torch.equal(draft, nxt)  # a pure scroll: the draft is the next frame exactly
    assert torch.equal(scrolled(prev, torch.tensor([1, 0]), torch.zeros_like(prev))[0, :, -1], torch.zeros(4).long())


def test_draft_loss_trains_the_tokens_and_the_camera_head():
    tokens, _ = _scrolling_clip(frames=6)
    tokens[:, 3, 5] = 7  # something moved: the draft of frame 3 is wrong there
    dyn = Dynamics(DynamicsConfig(vocab=50, num_actions=4, tokens_hw=(4, 8), dim=32, depth=1, heads=2, context=6,
                                  draft=True))
    actions = torch.randint(0, 4, (2, 5))
    seen = set()
    for seed in range(6):
        loss, stats, _ = dyn.loss(tokens, actions, generator=torch.Generator().manual_seed(seed))
        assert torch.isfinite(loss)
        seen.update(stats)
    dyn.zero_grad()
    loss.backward()
    assert dyn.camera.weight.grad.abs().sum() > 0 and dyn.head.weight.grad.abs().sum() > 0
    assert {"acc", "masked", "camera_acc", "fix_acc"} <= seen


def test_draft_training_learns_the_scroll():
    """A few hundred steps on scrolling clips: the camera head reads the scroll from the context."""
    torch.manual_seed(0)
    dyn = Dynamics(DynamicsConfig(vocab=50, num_actions=4, tokens_hw=(4, 8), dim=32, depth=2, heads=2, context=6,
                                  draft=True))
    opt = torch.optim.AdamW(dyn.parameters(), lr=3e-3)
    accs = []
    for step in range(150):
        tokens, shifts = _scrolling_clip(frames=6, seed=step)
        loss, stats, _ = dyn.loss(tokens, shifts.clone(), generator=torch.Generator().manual_seed(step))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if "camera_acc" in stats and step >= 100:
            accs.append(stats["camera_acc"])
    assert sum(accs) / len(accs) > 0.9, accs
