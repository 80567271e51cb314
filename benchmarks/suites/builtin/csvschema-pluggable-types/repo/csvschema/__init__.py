"""csvschema: validate CSV rows against a schema."""

from .errors import RowError, SchemaError
from .schema import Field, Schema
from .validate import Result, convert_value, validate_csv, validate_rows

__all__ = [
    "Field",
    "Result",
    "RowError",
    "Schema",
    "SchemaError",
    "convert_value",
    "validate_csv",
    "validate_rows",
]
