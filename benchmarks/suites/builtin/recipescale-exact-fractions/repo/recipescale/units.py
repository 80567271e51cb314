"""Units of measure."""

_ALIASES = {
    "cup": ["cup", "cups", "c"],
    "tbsp": ["tbsp", "tablespoon", "tablespoons", "tbs", "T"],
    "tsp": ["tsp", "teaspoon", "teaspoons", "t"],
    "g": ["g", "gram", "grams"],
    "kg": ["kg", "kilogram", "kilograms"],
    "ml": ["ml", "millilitre", "millilitres", "milliliter", "milliliters"],
    "l": ["l", "litre", "litres", "liter", "liters"],
}

# "T" and "t" are the classic tablespoon / teaspoon abbreviations, so those two
# are matched case-sensitively; everything else ignores case.
_LOOKUP = {}
for _unit, _names in _ALIASES.items():
    for _name in _names:
        _LOOKUP[_name if _name in ("T", "t") else _name.lower()] = _unit

METRIC = frozenset({"g", "kg", "ml", "l"})
KITCHEN = frozenset({"cup", "tbsp", "tsp"})


def canonical_unit(word):
    """The canonical unit for *word* ("Tablespoons" -> "tbsp"), or None."""
    word = word.rstrip(".")
    if word in ("T", "t"):
        return _LOOKUP[word]
    return _LOOKUP.get(word.lower())


def unit_label(unit, quantity):
    """How *unit* is written after *quantity*: only "cup" has a plural."""
    if unit == "cup" and quantity > 1:
        return "cups"
    return unit
