"""scoring layer (see DESIGN.md)."""
