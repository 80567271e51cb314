"""Formatting quantities for display."""


def format_quantity(value):
    """Format *value* for an ingredient line: at most two decimals, no trailing zeros."""
    rounded = round(value, 2)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:g}"
