"""recording layer (see DESIGN.md s1)."""
