"""evaluate layer (see docs/architecture.md, "Layers")."""
