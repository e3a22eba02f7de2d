"""The application layer: authority (R-G2), units of work, the command catalogue, queries."""
