"""data layer (see DESIGN.md s1)."""
