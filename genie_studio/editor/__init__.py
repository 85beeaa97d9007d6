"""editor layer (see DESIGN.md s1)."""
