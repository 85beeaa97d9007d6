"""evaluate layer (see DESIGN.md s1)."""
