"""Evaluate syntax trees produced by the parser."""

import math
import operator

from .errors import EvalError
from .parser import BinaryOp, Call, Name, Number, UnaryOp

BINARY_OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
}

UNARY_OPERATORS = {
    "+": operator.pos,
    "-": operator.neg,
}

DEFAULT_FUNCTIONS = {
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "floor": math.floor,
    "sqrt": math.sqrt,
}

DEFAULT_VARIABLES = {
    "pi": math.pi,
    "e": math.e,
}


def evaluate_node(node, variables, functions):
    """Return the value of *node* as a float."""
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        try:
            return float(variables[node.name])
        except KeyError:
            raise EvalError(f"unknown variable {node.name!r}") from None
    if isinstance(node, UnaryOp):
        return UNARY_OPERATORS[node.op](evaluate_node(node.operand, variables, functions))
    if isinstance(node, BinaryOp):
        left = evaluate_node(node.left, variables, functions)
        right = evaluate_node(node.right, variables, functions)
        return _apply(node.op, left, right)
    if isinstance(node, Call):
        return _call(node, variables, functions)
    raise TypeError(f"unknown node type {type(node).__name__}")


def _apply(op, left, right):
    try:
        return BINARY_OPERATORS[op](left, right)
    except ZeroDivisionError:
        raise EvalError("division by zero") from None
    except OverflowError:
        raise EvalError("result too large") from None


def _call(node, variables, functions):
    try:
        func = functions[node.name]
    except KeyError:
        raise EvalError(f"unknown function {node.name!r}") from None
    args = [evaluate_node(arg, variables, functions) for arg in node.args]
    try:
        return float(func(*args))
    except (TypeError, ValueError, OverflowError) as exc:
        raise EvalError(f"{node.name}(): {exc}") from None
