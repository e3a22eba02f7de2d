"""Projections: evaluation views, loop health and the hash-chained audit trail."""
