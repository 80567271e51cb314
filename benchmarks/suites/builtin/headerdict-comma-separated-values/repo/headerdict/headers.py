"""The Headers container."""

_MISSING = object()


class Headers:
    """An ordered, case-insensitive multi-dict of header fields."""

    def __init__(self, fields=None):
        self._fields = []  # (name as given, value)
        if fields is None:
            return
        if hasattr(fields, "items"):
            fields = fields.items()
        for name, value in fields:
            self.add(name, value)

    @staticmethod
    def _key(name):
        if not isinstance(name, str) or not name:
            raise TypeError("header names must be non-empty strings")
        return name.lower()

    def add(self, name, value):
        """Append a field, keeping any existing fields of the same name."""
        self._key(name)
        self._fields.append((name, str(value)))

    def get_all(self, name):
        """Every value of *name*, in order (an empty list if there is none)."""
        key = self._key(name)
        return [value for field, value in self._fields if field.lower() == key]

    def get(self, name, default=None):
        """The first value of *name*, or *default*."""
        values = self.get_all(name)
        return values[0] if values else default

    def __getitem__(self, name):
        value = self.get(name, _MISSING)
        if value is _MISSING:
            raise KeyError(name)
        return value

    def __setitem__(self, name, value):
        """Replace every field called *name* by one field, at the first one's place."""
        key = self._key(name)
        fields = []
        placed = False
        for field, old in self._fields:
            if field.lower() != key:
                fields.append((field, old))
            elif not placed:
                fields.append((name, str(value)))
                placed = True
        if not placed:
            fields.append((name, str(value)))
        self._fields = fields

    def __delitem__(self, name):
        key = self._key(name)
        remaining = [(f, v) for f, v in self._fields if f.lower() != key]
        if len(remaining) == len(self._fields):
            raise KeyError(name)
        self._fields = remaining

    def __contains__(self, name):
        return isinstance(name, str) and any(f.lower() == name.lower() for f, _ in self._fields)

    def __len__(self):
        return len(self._fields)

    def __iter__(self):
        seen = set()
        for field, _ in self._fields:
            if field.lower() not in seen:
                seen.add(field.lower())
                yield field

    def keys(self):
        """The distinct names, first spelling of each, in order."""
        return list(self)

    def items(self):
        """Every ``(name, value)`` field, in order."""
        return list(self._fields)

    def __eq__(self, other):
        if not isinstance(other, Headers):
            return NotImplemented
        mine = [(f.lower(), v) for f, v in self._fields]
        theirs = [(f.lower(), v) for f, v in other._fields]
        return mine == theirs

    def __repr__(self):
        return f"Headers({self._fields!r})"

    def serialize(self):
        """The fields as ``Name: value`` lines, each ending with a newline."""
        return "".join(f"{name}: {value}\n" for name, value in self._fields)
