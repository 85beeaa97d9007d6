"""Training presets: architecture and optimisation settings per component.

``tiny`` is sized for a 2-core CPU (bf16 autocast), all three components in about two hours; its
tokenizer is the shift-equivariant conv VQ-VAE (world/conv_tokenizer.py);
``small`` and ``base`` are for a GPU. Image size comes from the dataset's manifest.
"""

from __future__ import annotations

import copy

PRESETS: dict[str, dict[str, dict]] = {
    "tiny": {
        "tokenizer": {
            "arch": {"arch": "conv", "conv_width": 32, "patch": 4, "codebook": 512, "latent": 32,
                     "temporal": False},
            "batch": 32, "clip_len": 1, "steps": 1800, "lr": 1e-3, "warmup": 100, "reset_every": 100,
        },
        "lam": {
            "arch": {"patch": 8, "dim": 128, "enc_depth": 3, "dec_depth": 4, "heads": 4, "num_actions": 8,
                     "latent": 16, "decoder": "conv", "conv_width": 32},
            "batch": 16, "clip_len": 4, "steps": 1500, "lr": 6e-4, "warmup": 100, "reset_every": 50,
        },
        "dynamics": {
            "arch": {"dim": 192, "depth": 4, "heads": 6, "context": 8, "action_add": True, "context_noise": 0.1},
            "batch": 4, "clip_len": 8, "steps": 3000, "lr": 6e-4, "warmup": 150,
        },
    },
    "small": {
        "tokenizer": {
            "arch": {"patch": 4, "dim": 256, "enc_depth": 4, "dec_depth": 6, "heads": 8, "codebook": 1024,
                     "latent": 32, "temporal": True},
            "batch": 32, "clip_len": 4, "steps": 20000, "lr": 6e-4, "warmup": 500, "reset_every": 200,
        },
        "lam": {
            "arch": {"patch": 8, "dim": 256, "enc_depth": 4, "dec_depth": 4, "heads": 8, "num_actions": 8,
                     "latent": 32},
            "batch": 64, "clip_len": 8, "steps": 15000, "lr": 3e-4, "warmup": 500, "reset_every": 100,
        },
        "dynamics": {
            "arch": {"dim": 384, "depth": 8, "heads": 12, "context": 16},
            "batch": 32, "clip_len": 16, "steps": 30000, "lr": 3e-4, "warmup": 1000,
        },
    },
    "base": {
        "tokenizer": {
            "arch": {"patch": 4, "dim": 512, "enc_depth": 8, "dec_depth": 8, "heads": 8, "codebook": 1024,
                     "latent": 32, "temporal": True},
            "batch": 64, "clip_len": 4, "steps": 100000, "lr": 3e-4, "warmup": 2000, "reset_every": 500,
        },
        "lam": {
            "arch": {"patch": 8, "dim": 512, "enc_depth": 8, "dec_depth": 8, "heads": 8, "num_actions": 8,
                     "latent": 32},
            "batch": 64, "clip_len": 16, "steps": 60000, "lr": 3e-4, "warmup": 2000, "reset_every": 200,
        },
        "dynamics": {
            "arch": {"dim": 768, "depth": 12, "heads": 12, "context": 16},
            "batch": 64, "clip_len": 16, "steps": 120000, "lr": 2e-4, "warmup": 2000,
        },
    },
}


def get_preset(name: str, component: str) -> dict:
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return copy.deepcopy(PRESETS[name][component])
