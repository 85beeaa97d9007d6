"""controls layer (see DESIGN.md s1)."""
