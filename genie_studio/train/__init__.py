"""train layer (see DESIGN.md s1)."""
