"""The fixed-shape inference step (world/frame_step.py) against the training-time forward pass."""

import torch

from genie_studio.world.frame_step import FrameStep
from genie_studio.world.tiny import tiny_world

torch.set_num_threads(1)


def _clip(dyn, T, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, dyn.cfg.vocab, (2, T, dyn.S), generator=g)
    actions = torch.randint(0, dyn.cfg.num_actions, (2, T), generator=g)
    actions[:, 0] = dyn.no_action
    return tokens, actions


def _commit_all(fs, tokens, actions, slots_used):
    """Run frames 0..slots_used-1 through the frame step one at a time, keeping their keys/values."""
    B = tokens.shape[0]
    kv = torch.zeros((2,) + fs.cache_shape(B))
    filled = torch.zeros(B, dtype=torch.long)
    for t in range(slots_used):
        _, k, v = fs.logits(tokens[:, t], actions[:, t], kv[0], kv[1], filled)
        kv[0, :, :, :, t], kv[1, :, :, :, t] = k, v
        filled += 1
    return kv, filled


def test_frame_step_equals_the_full_forward_pass():
    for action_add in (False, True):
        dyn = tiny_world(action_add=action_add).dynamics
        fs = FrameStep(dyn)
        T = dyn.cfg.context
        tokens, actions = _clip(dyn, T)
        with torch.no_grad():
            full = dyn(tokens, actions)  # causal: frame t sees frames 0..t
            kv, filled = _commit_all(fs, tokens, actions, T - 1)
            logits, _, _ = fs.logits(tokens[:, -1], actions[:, -1], kv[0], kv[1], filled)
            first, _, _ = fs.logits(tokens[:, 0], actions[:, 0], torch.zeros_like(kv[0]), torch.zeros_like(kv[1]),
                             torch.zeros(2, dtype=torch.long))
        assert torch.allclose(logits, full[:, -1], atol=1e-4), (logits - full[:, -1]).abs().max()
        assert torch.allclose(first, full[:, 0], atol=1e-4)
        assert not torch.allclose(logits, first, atol=1e-2)  # the past matters


def test_padding_rows_and_slots_change_nothing():
    dyn = tiny_world().dynamics
    fs = FrameStep(dyn)
    tokens, actions = _clip(dyn, dyn.cfg.context, seed=1)
    with torch.no_grad():
        kv, filled = _commit_all(fs, tokens, actions, 2)
        filled[1] = 1  # row 1 has one past frame: its second slot must be ignored
        kv[:, :, fs.dyn.S + 1:, :, 1] = 1e3
        both, _, _ = fs.logits(tokens[:, 2], actions[:, 2], kv[0], kv[1], filled)
        rows = fs.dyn.S + 1
        alone, _, _ = fs.logits(tokens[1:, 2], actions[1:, 2], kv[0][:, rows:], kv[1][:, rows:], filled[1:])
        kv1, f1 = _commit_all(fs, tokens[1:], actions[1:], 1)
        fresh, _, _ = fs.logits(tokens[1:, 2], actions[1:, 2], kv1[0], kv1[1], f1)
    assert torch.allclose(both[1:], alone, atol=1e-5)
    assert torch.allclose(alone, fresh, atol=1e-5)


def test_the_camera_head_reads_the_same_in_the_frame_step():
    """A model trained on drafts: the step's camera logits are the full pass's, for the last frame."""
    dyn = tiny_world(draft=True).dynamics
    fs = FrameStep(dyn)
    T = dyn.cfg.context
    tokens, actions = _clip(dyn, T, seed=2)
    with torch.no_grad():
        full = dyn.camera(dyn.hidden(tokens, actions)[:, -1, 0])
        kv, filled = _commit_all(fs, tokens, actions, T - 1)
        u = torch.rand(2, dyn.S)
        *_, camera = fs(tokens[:, -1], actions[:, -1], kv[0], kv[1], filled, u, torch.tensor(1.0))
        *_, none = FrameStep(tiny_world().dynamics)(tokens[:, -1], actions[:, -1], kv[0], kv[1], filled, u,
                                                    torch.tensor(1.0))
    assert torch.allclose(camera, full, atol=1e-4) and camera.shape == (2, 3)
    assert torch.equal(none, torch.zeros(2, 3))
