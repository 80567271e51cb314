"""Token type and the fixed parts of the language."""

from dataclasses import dataclass
from typing import Any

KEYWORDS = frozenset({"true", "false", "null"})

# Longest first, so that "<=" wins over "<".
OPERATORS = ("<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "(", ")", ",", "!", "<", ">")

# What may follow a backslash inside a string, and what it means.
ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t"}


@dataclass(frozen=True)
class Token:
    kind: str  # NUMBER, NAME, KEYWORD, STRING, OP or EOF
    value: Any
    pos: int


class LexError(ValueError):
    def __init__(self, message, pos):
        super().__init__(f"{message} at position {pos}")
        self.message = message
        self.pos = pos
