"""player layer (see DESIGN.md s1)."""
