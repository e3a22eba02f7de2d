"""Research commands (R-R1 … R-R3)."""
