"""The domain: aggregates, value objects and rules. Pure Python: no I/O, no clock."""
