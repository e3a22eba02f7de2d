"""Plain-data views of aggregates (dicts of Decimal, date, str): what queries return."""
