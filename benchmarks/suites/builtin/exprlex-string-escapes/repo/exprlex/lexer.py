"""Turning source text into tokens."""

import re

from .tokens import ESCAPES, KEYWORDS, OPERATORS, LexError, Token

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _string_end(text, start):
    """Index of the quote that closes the string opened at *start*."""
    quote = text[start]
    end = start + 1
    while True:
        end = text.find(quote, end)
        if end == -1:
            raise LexError("unterminated string", start)
        if text[end - 1] != "\\":
            return end
        end += 1


def _decode(raw, offset):
    """Decode the escapes in the body *raw* of a string that starts at *offset*."""
    for match in _ESCAPE.finditer(raw):
        if match.group(1) not in ESCAPES:
            raise LexError(f"unknown escape \\{match.group(1)}", offset + match.start())
    return (
        raw.replace("\\\\", "\\")
        .replace('\\"', '"')
        .replace("\\'", "'")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
    )


def tokenize(text):
    """Return the list of tokens in *text*, ending with an EOF token."""
    tokens = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        if ch == "#":
            newline = text.find("\n", pos)
            pos = len(text) if newline == -1 else newline + 1
            continue
        if ch.isdigit() or (ch == "." and text[pos + 1:pos + 2].isdigit()):
            match = _NUMBER.match(text, pos)
            literal = match.group(0)
            value = float(literal) if ("." in literal or match.group(2)) else int(literal)
            end = match.end()
            if end < len(text) and (text[end].isalpha() or text[end] in "_."):
                raise LexError(f"malformed number {text[pos:end + 1]!r}", pos)
            tokens.append(Token("NUMBER", value, pos))
            pos = end
            continue
        if ch.isalpha() or ch == "_":
            match = _NAME.match(text, pos)
            word = match.group(0)
            tokens.append(Token("KEYWORD" if word in KEYWORDS else "NAME", word, pos))
            pos = match.end()
            continue
        if ch in "\"'":
            end = _string_end(text, pos)
            tokens.append(Token("STRING", _decode(text[pos + 1:end], pos + 1), pos))
            pos = end + 1
            continue
        for op in OPERATORS:
            if text.startswith(op, pos):
                tokens.append(Token("OP", op, pos))
                pos += len(op)
                break
        else:
            raise LexError(f"unexpected character {ch!r}", pos)
    tokens.append(Token("EOF", None, len(text)))
    return tokens
