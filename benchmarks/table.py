"""Every benchmark's result table: Rich when it is installed (the ``cli`` extra), plain
aligned text otherwise, never squeezed below the width the table needs."""

from __future__ import annotations

from collections.abc import Sequence


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
        print(title)
        for row in (header, *rows):
            print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        return
    table = Table(*header, title=title)
    for row in rows:
        table.add_row(*row)
    Console(width=max(160, Console().width)).print(table)
