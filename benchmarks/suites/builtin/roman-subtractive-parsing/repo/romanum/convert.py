"""Integer <-> Roman numeral conversion."""

MAX_VALUE = 3999

# Largest first; includes the subtractive pairs so that formatting is greedy.
_NUMERALS = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)

_SYMBOL_VALUES = {symbol: value for value, symbol in _NUMERALS if len(symbol) == 1}


def to_roman(number, lowercase=False):
    """Return the Roman numeral for *number* (1..3999)."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError(f"expected an int, got {type(number).__name__}")
    if not 1 <= number <= MAX_VALUE:
        raise ValueError(f"{number} is out of range (1..{MAX_VALUE})")
    parts = []
    for value, symbol in _NUMERALS:
        count, number = divmod(number, value)
        parts.append(symbol * count)
    numeral = "".join(parts)
    return numeral.lower() if lowercase else numeral


def from_roman(numeral):
    """Return the integer value of the Roman *numeral* (case-insensitive)."""
    if not isinstance(numeral, str):
        raise TypeError(f"expected a str, got {type(numeral).__name__}")
    text = numeral.strip().upper()
    if not text:
        raise ValueError("empty Roman numeral")
    total = 0
    for char in text:
        try:
            total += _SYMBOL_VALUES[char]
        except KeyError:
            raise ValueError(f"invalid Roman numeral character {char!r} in {numeral!r}") from None
    return total
