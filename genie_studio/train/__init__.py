"""Training: Genie's staged recipe (tokenizer, then latent action model and dynamics)."""

COMPONENT_ORDER = ("tokenizer", "lam", "dynamics")
