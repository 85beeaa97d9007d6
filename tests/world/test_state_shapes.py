"""Each component's shape formula (``cfg.state_shapes()``, world/config.py) is its module's ``state_dict``:
the same tensor names and shapes for many configs, so that the check of a model folder's headers before
anything is built (world/bundle.py) cannot drift from the modules."""

from __future__ import annotations

import pytest

from genie_studio.world.bundle import COMPONENTS
from genie_studio.world.config import ConfigError

SMALL = dict(image_size=(16, 32), dim=16, heads=2, enc_depth=1, dec_depth=2, latent=8)
CASES = {
    "tokenizer": [
        dict(SMALL, patch=4, codebook=16),
        dict(SMALL, patch=8, codebook=16, temporal=False, enc_depth=0, dec_depth=3),
        dict(image_size=(64, 64), patch=4, dim=128, enc_depth=2, dec_depth=4, heads=4, codebook=512, latent=32,
             temporal=False),  # the bundled model's
        dict(image_size=(16, 16), patch=2, codebook=16, latent=4, temporal=False, arch="conv", conv_width=8),
        dict(image_size=(32, 64), patch=8, codebook=16, latent=8, temporal=False, arch="conv", conv_width=4),
        dict(image_size=(32, 32), patch=16, codebook=16, latent=8, temporal=False, arch="conv", conv_width=2),
    ],
    "lam": [
        dict(SMALL, patch=8, num_actions=4),
        dict(SMALL, patch=8, num_actions=4, center=True),
        dict(SMALL, patch=8, num_actions=4, history="frame", conv_width=8),
        dict(SMALL, patch=8, num_actions=6, history="rows", center=True, dec_depth=0),
        dict(SMALL, patch=4, dec_patch=8, num_actions=4, decoder="transformer", center=True),
        dict(SMALL, patch=16, dec_patch=2, num_actions=3, decoder="transformer", enc_depth=3),
    ],
    "dynamics": [
        dict(vocab=16, num_actions=4, tokens_hw=(4, 8), dim=16, depth=1, heads=2),
        dict(vocab=16, num_actions=4, tokens_hw=(4, 4), dim=16, depth=2, heads=4, draft=True),
        dict(vocab=33, num_actions=7, tokens_hw=(3, 5), dim=24, depth=3, heads=3, action_add=True, draft=True,
             context_noise=0.1, context=3),
        dict(vocab=512, num_actions=8, tokens_hw=(16, 16), dim=192, depth=4, heads=6, action_add=True),
    ],
}


@pytest.mark.parametrize("name,arch", [(n, a) for n, archs in CASES.items() for a in archs],
                         ids=[f"{n}-{i}" for n, archs in CASES.items() for i in range(len(archs))])
def test_the_formula_is_the_modules_state_dict(name, arch):
    cfg_cls, make = COMPONENTS[name]
    cfg = cfg_cls.from_dict(arch)
    module = make(cfg)
    assert cfg.state_shapes() == {k: tuple(v.shape) for k, v in module.state_dict().items()}
    assert all(v.is_floating_point() for v in module.state_dict().values())


def test_the_tiny_worlds_match_too():
    from genie_studio.world.tiny import tiny_world

    for draft in (False, True):
        wm = tiny_world(draft=draft, temporal_tokenizer=draft)
        for m in (wm.tokenizer, wm.lam, wm.dynamics):
            assert m.cfg.state_shapes() == {k: tuple(v.shape) for k, v in m.state_dict().items()}


@pytest.mark.parametrize("name,arch,match", [
    ("tokenizer", dict(arch="conv", temporal=True), "single frames"),
    ("tokenizer", dict(arch="conv", temporal=False, patch=6, image_size=(12, 12)), "power of two"),
    ("lam", dict(decoder="transformer", history="rows"), "needs the conv decoder"),
])
def test_the_formula_refuses_what_the_module_refuses(name, arch, match):
    cfg_cls, make = COMPONENTS[name]
    cfg = cfg_cls.from_dict(arch)
    with pytest.raises(ConfigError, match=match):
        cfg.state_shapes()
    with pytest.raises(ConfigError, match=match):
        make(cfg)
