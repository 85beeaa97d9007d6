"""audio layer (see DESIGN.md s1)."""
