"""Recursive-descent parser producing a small syntax tree.

Grammar, from lowest to highest precedence::

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/" | "%") unary)*
    unary      := ("+" | "-") unary | primary
    primary    := NUMBER | NAME | NAME "(" arguments ")" | "(" expression ")"
    arguments  := [expression ("," expression)*]
"""

from dataclasses import dataclass

from .errors import CalcSyntaxError
from .tokenizer import tokenize


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class UnaryOp:
    op: str
    operand: object


@dataclass(frozen=True)
class BinaryOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


class Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.index = 0

    @property
    def current(self):
        return self.tokens[self.index]

    def advance(self):
        token = self.current
        if token.kind != "END":
            self.index += 1
        return token

    def at_op(self, *ops):
        return self.current.kind == "OP" and self.current.text in ops

    def expect(self, kind):
        if self.current.kind != kind:
            self.fail()
        return self.advance()

    def fail(self):
        token = self.current
        what = "end of input" if token.kind == "END" else f"token {token.text!r}"
        raise CalcSyntaxError(f"unexpected {what}", token.pos)

    def parse(self):
        node = self.expression()
        if self.current.kind != "END":
            self.fail()
        return node

    def expression(self):
        node = self.term()
        while self.at_op("+", "-"):
            op = self.advance().text
            node = BinaryOp(op, node, self.term())
        return node

    def term(self):
        node = self.unary()
        while self.at_op("*", "/", "%"):
            op = self.advance().text
            node = BinaryOp(op, node, self.unary())
        return node

    def unary(self):
        if self.at_op("+", "-"):
            op = self.advance().text
            return UnaryOp(op, self.unary())
        return self.primary()

    def primary(self):
        token = self.current
        if token.kind == "NUMBER":
            self.advance()
            return Number(float(token.text))
        if token.kind == "NAME":
            self.advance()
            if self.current.kind == "LPAREN":
                return Call(token.text, self.arguments())
            return Name(token.text)
        if token.kind == "LPAREN":
            self.advance()
            node = self.expression()
            self.expect("RPAREN")
            return node
        self.fail()

    def arguments(self):
        self.expect("LPAREN")
        args = []
        if self.current.kind != "RPAREN":
            args.append(self.expression())
            while self.current.kind == "COMMA":
                self.advance()
                args.append(self.expression())
        self.expect("RPAREN")
        return tuple(args)


def parse(source):
    """Parse *source* into a syntax tree."""
    return Parser(tokenize(source)).parse()
