"""Schema definitions."""

from dataclasses import dataclass

from .errors import SchemaError

TYPES = ("str", "int", "float", "bool", "date")


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "str"
    required: bool = True
    default: object = None

    def __post_init__(self):
        if self.type not in TYPES:
            raise SchemaError(f"unknown field type {self.type!r} for field {self.name!r}")


class Schema:
    def __init__(self, fields):
        self.fields = list(fields)
        names = [field.name for field in self.fields]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise SchemaError(f"duplicate field names: {', '.join(duplicates)}")

    @classmethod
    def from_dict(cls, spec):
        """Build a schema from ``{name: type}``; a type ending in ``?`` is optional."""
        fields = []
        for name, type_name in spec.items():
            optional = type_name.endswith("?")
            fields.append(Field(name, type_name.rstrip("?"), required=not optional))
        return cls(fields)

    @property
    def names(self):
        return [field.name for field in self.fields]
