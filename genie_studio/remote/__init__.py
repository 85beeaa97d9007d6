"""remote layer (see DESIGN.md s1)."""
