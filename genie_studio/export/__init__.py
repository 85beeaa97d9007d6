"""export layer (see DESIGN.md s1)."""
