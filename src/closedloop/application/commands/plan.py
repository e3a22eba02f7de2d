"""Plan commands (R-P1 … R-P6)."""
