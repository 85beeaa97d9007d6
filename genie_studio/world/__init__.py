"""world layer (see DESIGN.md s1)."""
