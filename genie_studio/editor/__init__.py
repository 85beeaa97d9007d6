"""editor layer (see docs/architecture.md, "Layers")."""
