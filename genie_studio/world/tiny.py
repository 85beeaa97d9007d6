"""Tiny random world models (a few thousand parameters, seconds on a CPU) for tests and benchmarks.

``tiny_world()`` builds the three components at 16x16 pixels with four actions (:data:`LABELS`);
``save_world()`` writes one as a model folder (``world/bundle.py``), loadable by every front end.
"""

import torch

from genie_studio.world.bundle import WorldModel, save_component
from genie_studio.world.config import DynamicsConfig, LAMConfig, TokenizerConfig
from genie_studio.world.dynamics import Dynamics
from genie_studio.world.lam import LatentActionModel
from genie_studio.world.tokenizer import Tokenizer

LABELS = ["noop", "left", "right", "jump"]


def tiny_world(seed: int = 0, temporal_tokenizer: bool = False, size=(16, 16), action_add: bool = False,
               draft: bool = False) -> WorldModel:
    torch.manual_seed(seed)
    tok = Tokenizer(TokenizerConfig(image_size=size, patch=4, dim=32, enc_depth=1, dec_depth=1, heads=2,
                                    codebook=32, latent=8, temporal=temporal_tokenizer))
    lam = LatentActionModel(LAMConfig(image_size=size, patch=8, dim=32, enc_depth=1, dec_depth=1, heads=2,
                                      num_actions=4, latent=8))
    dyn = Dynamics(DynamicsConfig(vocab=32, num_actions=4, tokens_hw=tok.cfg.tokens_hw, dim=32, depth=2,
                                  heads=2, context=4, action_add=action_add, draft=draft))
    for m in (tok, lam, dyn):
        m.eval()
    return WorldModel(meta={"name": "tiny-test", "actions": {"labels": LABELS}}, tokenizer=tok, lam=lam,
                      dynamics=dyn)


def save_world(wm: WorldModel, folder) -> None:
    for name in ("tokenizer", "lam", "dynamics"):
        save_component(folder, name, getattr(wm, name), meta_update={"name": wm.meta["name"],
                                                                     "actions": wm.meta["actions"]})
