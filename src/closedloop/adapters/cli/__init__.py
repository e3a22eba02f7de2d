"""The ``closedloop`` command line (needs the ``cli`` extra: Typer and Rich)."""
