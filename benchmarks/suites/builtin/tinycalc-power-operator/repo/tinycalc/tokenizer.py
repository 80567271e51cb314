"""Split an expression into tokens."""

import re
from typing import NamedTuple

from .errors import CalcSyntaxError


class Token(NamedTuple):
    kind: str  # NUMBER, NAME, OP, LPAREN, RPAREN, COMMA or END
    text: str
    pos: int


_TOKEN_RE = re.compile(
    r"""
      (?P<SPACE>\s+)
    | (?P<NUMBER>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<NAME>[A-Za-z_][A-Za-z_0-9]*)
    | (?P<OP>[-+*/%])
    | (?P<LPAREN>\()
    | (?P<RPAREN>\))
    | (?P<COMMA>,)
    """,
    re.VERBOSE,
)


def tokenize(source):
    """Return the list of tokens in *source*, ending with an END token."""
    tokens = []
    pos = 0
    while pos < len(source):
        match = _TOKEN_RE.match(source, pos)
        if match is None:
            raise CalcSyntaxError(f"unexpected character {source[pos]!r}", pos)
        if match.lastgroup != "SPACE":
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token("END", "", len(source)))
    return tokens
