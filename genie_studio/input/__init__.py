"""input layer (see DESIGN.md s1)."""
