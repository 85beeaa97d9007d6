import numpy as np
import pytest
import torch
import torch.nn.functional as F

from genie_studio.world.config import ConfigError, DynamicsConfig, LAMConfig, TokenizerConfig
from genie_studio.world.dynamics import Dynamics
from genie_studio.world.lam import LatentActionModel
from genie_studio.world.layers import KVCache, STTransformer
from genie_studio.world.quantize import VectorQuantizer
from genie_studio.world.tokenizer import Tokenizer

torch.set_num_threads(1)


def test_shapes():
    tok = Tokenizer(TokenizerConfig(image_size=(16, 32), patch=4, dim=32, enc_depth=1, dec_depth=1, heads=2,
                                    codebook=16, latent=8))
    x = torch.rand(2, 3, 16, 32, 3)
    idx = tok.encode(x)
    assert idx.shape == (2, 3, 4 * 8) and idx.dtype == torch.long and int(idx.max()) < 16
    assert tok.decode(idx).shape == x.shape
    lam = LatentActionModel(LAMConfig(image_size=(16, 32), patch=8, dim=32, enc_depth=1, dec_depth=1,
                                      heads=2, num_actions=8, latent=8))
    a = lam.infer_actions(x)
    assert a.shape == (2, 2) and int(a.max()) < 8
    assert lam.decode_action(x[:, 0], a[:, 0]).shape == (2, 16, 32, 3)
    dyn = Dynamics(DynamicsConfig(vocab=16, num_actions=8, tokens_hw=(4, 8), dim=32, depth=1, heads=2))
    logits = dyn(idx, torch.zeros(2, 3, dtype=torch.long))
    assert logits.shape == (2, 3, 32, 16)


def test_temporal_causality():
    torch.manual_seed(0)
    net = STTransformer(32, 2, 2, temporal=True).eval()
    x = torch.randn(1, 5, 6, 32)
    y = x.clone()
    y[:, 3] += torch.randn(6, 32)  # change frame 3 only
    with torch.no_grad():
        a, b = net(x), net(y)
    assert torch.allclose(a[:, :3], b[:, :3], atol=1e-6)
    assert not torch.allclose(a[:, 3], b[:, 3])


def test_kv_cache_matches_full_recompute():
    torch.manual_seed(1)
    net = STTransformer(32, 3, 2, temporal=True).eval()
    x = torch.randn(2, 6, 5, 32)
    with torch.no_grad():
        full = net(x)
        cache = KVCache.empty(3)
        outs = [net(x[:, t:t + 1], cache, commit=1) for t in range(6)]
    assert cache.frames == 6
    assert torch.allclose(torch.cat(outs, 1), full, atol=1e-5)


def test_transformer_lam_decoder_option():
    lam = LatentActionModel(LAMConfig(image_size=(16, 16), patch=8, dec_patch=4, dim=32, enc_depth=1, dec_depth=1,
                                      heads=2, num_actions=4, latent=8, decoder="transformer"))
    x = torch.rand(2, 3, 16, 16, 3)
    assert lam.decode_action(x[:, 0], lam.infer_actions(x)[:, 0]).shape == (2, 16, 16, 3)


@pytest.mark.parametrize("history", ["frame", "rows"])
def test_lam_history_shows_the_decoder_the_frame_before(history):
    """The decoder's prediction depends on x_{t-1} (velocity); without a frame before it sees x_t twice.
    "rows" shows only each row's mean: a frame before moved sideways changes nothing. A transformer
    decoder cannot take history."""
    cfg = dict(image_size=(16, 16), patch=8, dim=32, enc_depth=1, dec_depth=1, heads=2, num_actions=4, latent=8)
    lam = LatentActionModel(LAMConfig(**cfg, history=history))
    torch.nn.init.normal_(lam.conv_decoder.out.weight, std=0.1)
    x, z = torch.rand(2, 1, 16, 16, 3), lam.vq.lookup(torch.tensor([[1], [2]]))
    still = lam.predict(x, z)
    assert torch.equal(still, lam.predict(x, z, x))
    assert not torch.allclose(still, lam.predict(x, z, torch.rand_like(x)))
    sideways = torch.allclose(still, lam.predict(x, z, torch.roll(x, 3, dims=3)), atol=1e-5)
    assert sideways == (history == "rows")
    loss, stats, _ = lam.loss(torch.rand(2, 3, 16, 16, 3))
    loss.backward()
    assert lam.conv_decoder.inp.weight.shape[1] == 3 * (2 if history == "frame" else 3) + 8 and torch.isfinite(loss)
    with pytest.raises(ConfigError, match="history"):
        LatentActionModel(LAMConfig(**cfg, history=history, decoder="transformer"))


def test_lam_agent_weight_marks_what_moved_in_the_level_not_the_camera():
    """A level scrolled 4 px with a player that rose 3 px: only the player's pixels (where it was and
    where it is) count as moved against the camera; the entering columns and the scrolled level do not.
    The weight reaches the loss."""
    from genie_studio.world.lam import moved_against_camera

    g = torch.Generator().manual_seed(0)
    level = torch.rand(1, 1, 32, 80, 3, generator=g)
    before, after = level[..., :, 8:72, :].clone(), level[..., :, 12:76, :].clone()  # the camera moved 4 px
    before[0, 0, 20:26, 30:34] = torch.tensor([1.0, 0.0, 0.0])  # the player, at screen x 30..33
    after[0, 0, 17:23, 30:34] = torch.tensor([1.0, 0.0, 0.0])  # 3 px higher, at the same screen x
    moved = moved_against_camera(before, after)[0, 0, ..., 0]
    assert moved.shape == (32, 64)
    ys, xs = moved.nonzero(as_tuple=True)
    assert set(ys.tolist()) <= set(range(17, 26)) and len(ys) > 0
    assert set(xs.tolist()) <= set(range(26, 34))  # the old player moved by the camera, and the new one
    assert moved[:, 60:].sum() == 0  # entering columns are not motion
    cfg = dict(image_size=(16, 16), patch=8, dim=32, enc_depth=1, dec_depth=1, heads=2, num_actions=4, latent=8)
    x = torch.rand(2, 3, 16, 16, 3, generator=g)
    torch.manual_seed(0)
    plain = LatentActionModel(LAMConfig(**cfg)).loss(x)[0]
    torch.manual_seed(0)
    weighted = LatentActionModel(LAMConfig(**cfg, agent_weight=30.0)).loss(x)[0]
    assert torch.isfinite(weighted) and not torch.allclose(plain, weighted)


def test_gradients_reach_encoder_through_quantizer():
    tok = Tokenizer(TokenizerConfig(image_size=(16, 16), patch=4, dim=32, enc_depth=1, dec_depth=1, heads=2,
                                    codebook=16, latent=8))
    loss, _, _ = tok.loss(torch.rand(2, 1, 16, 16, 3))
    loss.backward()
    assert tok.enc_in.weight.grad is not None and tok.enc_in.weight.grad.abs().sum() > 0
    lam = LatentActionModel(LAMConfig(image_size=(16, 16), patch=8, dim=32, enc_depth=1, dec_depth=1,
                                      heads=2, num_actions=4, latent=8))
    torch.nn.init.normal_(lam.conv_decoder.out.weight, std=0.02)
    loss, _, _ = lam.loss(torch.rand(2, 3, 16, 16, 3))
    loss.backward()
    assert lam.enc_in.weight.grad.abs().sum() > 0


def test_dead_codes_are_reset():
    torch.manual_seed(0)
    vq = VectorQuantizer(8, 4, usage_decay=0.5)
    z = torch.randn(64, 4) * 0.01 + torch.tensor([1.0, 0, 0, 0])  # everything near one direction
    for _ in range(20):
        vq(z)
    assert (vq.usage < vq.dead_threshold).sum() >= 6
    n = vq.reset_dead(z, torch.Generator().manual_seed(0))
    assert n >= 6
    _, idx, _, stats = vq(z)
    assert stats["codes_used"] > 1  # reset codes now compete for the data


@pytest.mark.parametrize("component", ["tokenizer", "lam", "dynamics"])
def test_tiny_model_overfits_one_batch(component):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    if component == "tokenizer":
        m = Tokenizer(TokenizerConfig(image_size=(16, 16), patch=4, dim=64, enc_depth=1, dec_depth=2, heads=2,
                                      codebook=64, latent=8))
        x = torch.rand(4, 1, 16, 16, 3)
        def f():
            return m.loss(x)[0]
    elif component == "lam":
        m = LatentActionModel(LAMConfig(image_size=(16, 16), patch=8, dim=64, enc_depth=1, dec_depth=2,
                                        heads=2, num_actions=4, latent=8))
        x = torch.rand(4, 3, 16, 16, 3)
        def f():
            return m.loss(x)[0]
    else:
        m = Dynamics(DynamicsConfig(vocab=16, num_actions=4, tokens_hw=(4, 4), dim=64, depth=2, heads=2))
        toks = torch.randint(0, 16, (4, 3, 16), generator=g)
        acts = torch.randint(0, 4, (4, 2), generator=g)
        def f():
            return m.loss(toks, acts, generator=torch.Generator().manual_seed(1))[0]
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    first = float(f())
    # steps to a tenth with a 2-8x margin (measured: tokenizer 0.03 at 60, LAM 0.05 at 120, dynamics 0.01 at 40)
    for _ in range({"tokenizer": 60, "lam": 120, "dynamics": 40}[component]):
        loss = f()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(f()) < first / 10


def test_maskgit_decodes_every_token():
    from genie_studio.world.maskgit import decode_frame, sample_tokens

    V, S = 10, 12
    target = torch.arange(S) % V
    def predict(cur, i, u):
        lg = torch.full((1, S, V), -5.0)
        lg[0, torch.arange(S), target] = 5.0
        return sample_tokens(lg, u, torch.tensor(0.5))
    for steps in (1, 3, 8):
        out = decode_frame(predict, 1, S, V, steps, [torch.Generator().manual_seed(0)])
        assert np.array_equal(out[0].numpy(), target.numpy())


def test_inverse_cdf_sampling_follows_the_distribution():
    from genie_studio.world.maskgit import sample_tokens

    logits = torch.log(torch.tensor([0.1, 0.6, 0.3]))[None, None].expand(1, 20000, 3)
    u = torch.rand(1, 20000, generator=torch.Generator().manual_seed(1))
    tokens, conf = sample_tokens(logits, u, torch.tensor(1.0))
    freq = torch.bincount(tokens[0], minlength=3).float() / 20000
    assert torch.allclose(freq, torch.tensor([0.1, 0.6, 0.3]), atol=0.015)
    assert torch.allclose(conf[0, tokens[0] == 1], torch.tensor(0.6))
    cold, _ = sample_tokens(logits, u, torch.tensor(0.0))  # temperature 0: the most likely token
    assert bool((cold == 1).all())
    sharp, _ = sample_tokens(logits, u, torch.tensor(0.25))  # low temperature: sharper than the model
    assert float((sharp == 1).float().mean()) > 0.9


def test_the_diversity_term_spreads_a_collapsed_quantizer():
    """Latents that all sit on one code pay; a batch spread clearly over all codes pays ~nothing; a few
    steps of the term alone move collapsed latents onto several codes."""
    torch.manual_seed(0)
    codes = F.normalize(torch.tensor([[1.0, -0.3], [1, -0.1], [1, 0.1], [1, 0.3]]), dim=-1)
    vq, base = VectorQuantizer(4, 2, diversity=1.0), VectorQuantizer(4, 2)
    for q in (vq, base):
        q.codebook.data.copy_(codes)
    extra = lambda z: float(vq(z)[2] - base(z)[2])  # noqa: E731
    assert extra(torch.tensor([[1.0, 0.1]]).repeat(8, 1)) > 0.9 * np.log(4)
    assert extra(torch.tensor([[1.0, 0.0], [0, 1], [-1, 0], [0, -1]]).repeat(2, 1)) < 1.0  # clearly apart: little
    z = (torch.tensor([[1.0, 0.1]]) + 0.01 * torch.randn(16, 2)).requires_grad_()
    assert vq(z.detach())[3]["codes_used"] == 1
    opt = torch.optim.SGD([z], lr=0.2)
    for _ in range(100):
        opt.zero_grad()
        (vq(z)[2] - base(z)[2]).backward()
        opt.step()
    assert vq(z.detach())[3]["codes_used"] >= 3


def test_centred_lam_latents_differ_between_frame_pairs_from_the_start():
    """center=True: latents are batch-normalised before the quantizer, so a fresh LAM's latents already
    point different ways (without it they share one direction); eval uses the running statistics."""
    cfg = dict(image_size=(16, 16), patch=8, dim=32, enc_depth=1, dec_depth=1, heads=2, num_actions=8, latent=8)
    x = torch.rand(8, 3, 16, 16, 3)
    cos = {}
    for center in (False, True):
        torch.manual_seed(0)
        lam = LatentActionModel(LAMConfig(**cfg, center=center))
        z = F.normalize(lam._latents(x).flatten(0, 1), dim=-1)
        cos[center] = float((z @ z.t()).mean())
    assert cos[True] < 0.5 < cos[False], cos
    lam.eval()
    assert lam.infer_actions(x[:1]).shape == (1, 2)  # one clip alone: running statistics


def test_running_norm_is_batch_norm_without_affine_and_saves_floats_only():
    from genie_studio.world.lam import RunningNorm

    torch.manual_seed(0)
    mine, ref = RunningNorm(4), torch.nn.BatchNorm1d(4, affine=False)
    for _ in range(3):
        x = torch.randn(16, 4) * 3 + 1
        assert torch.allclose(mine(x), ref(x), atol=1e-5)
    mine.eval(), ref.eval()
    x = torch.randn(5, 4)
    assert torch.allclose(mine(x), ref(x), atol=1e-5)
    assert all(t.is_floating_point() for t in mine.state_dict().values())
