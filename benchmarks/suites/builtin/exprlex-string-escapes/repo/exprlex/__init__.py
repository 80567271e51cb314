"""exprlex: tokenizer for a small expression language."""

from .lexer import tokenize
from .tokens import KEYWORDS, OPERATORS, LexError, Token

__all__ = ["KEYWORDS", "LexError", "OPERATORS", "Token", "tokenize"]
