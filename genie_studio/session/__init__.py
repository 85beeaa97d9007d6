"""session layer (see DESIGN.md s1)."""
