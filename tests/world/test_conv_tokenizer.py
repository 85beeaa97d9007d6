"""The conv tokenizer: shift-equivariant tokens, bundle round trip, clear config errors; context noise."""

import pytest
import torch

from genie_studio.world.bundle import build_component, load_model, save_component
from genie_studio.world.config import ConfigError, DynamicsConfig, TokenizerConfig
from genie_studio.world.dynamics import Dynamics
from genie_studio.world.tokenizer import make_tokenizer


def _conv(size=(32, 128), **kw):
    torch.manual_seed(0)
    cfg = dict(image_size=size, patch=4, codebook=64, latent=8, temporal=False, arch="conv", conv_width=16)
    cfg.update(kw)
    return make_tokenizer(TokenizerConfig(**cfg)).eval()


def test_a_scroll_by_one_patch_shifts_the_tokens_by_one_column():
    tok = _conv()
    x = torch.rand(1, 1, 32, 132, 3)
    a = tok.encode(x[..., :128, :]).view(8, 32)
    b = tok.encode(x[..., 4:132, :]).view(8, 32)
    # away from the borders (zero padding), the tokens are exactly the same, one column over
    assert torch.equal(a[:, 8:24], b[:, 7:23])


def test_loss_decode_and_bundle_round_trip(tmp_path):
    tok = _conv((16, 16))
    frames = torch.rand(2, 1, 16, 16, 3)
    loss, metrics, z = tok.loss(frames)
    loss.backward()
    assert z.shape == (2, 1, 16, 8) and 0 < metrics["psnr"]
    assert tok.decode(tok.encode(frames)).shape == frames.shape
    save_component(tmp_path, "tokenizer", tok)
    back = load_model(tmp_path, components=("tokenizer",)).tokenizer
    assert type(back).__name__ == "ConvTokenizer"
    assert torch.equal(back.encode(frames), tok.encode(frames))


def test_bad_conv_configs_are_refused():
    with pytest.raises(ConfigError, match="single frames"):
        _conv(temporal=True)
    with pytest.raises(ConfigError, match="power of two"):
        _conv(patch=3)
    with pytest.raises(ConfigError, match="unknown arch"):
        build_component("tokenizer", {"arch": "diffusion"})


def test_context_noise_changes_inputs_not_targets():
    torch.manual_seed(0)
    cfg = dict(vocab=16, num_actions=3, tokens_hw=(2, 2), dim=16, depth=1, heads=2, context=3)
    quiet, noisy = Dynamics(DynamicsConfig(**cfg)), Dynamics(DynamicsConfig(**cfg, context_noise=0.5))
    noisy.load_state_dict(quiet.state_dict())
    tokens = torch.randint(0, 16, (4, 3, 4))
    actions = torch.randint(0, 3, (4, 2))
    la, _, _ = quiet.loss(tokens, actions, generator=torch.Generator().manual_seed(1))
    lb, mb, _ = noisy.loss(tokens, actions, generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(lb) and mb["masked"] > 0
    assert not torch.allclose(la, lb)
