"""interop layer (see DESIGN.md)."""
