"""world layer (see docs/architecture.md, "Layers")."""
