"""tinycalc: a small, safe arithmetic expression evaluator."""

from .errors import CalcError, CalcSyntaxError, EvalError
from .evaluator import DEFAULT_FUNCTIONS, DEFAULT_VARIABLES, evaluate_node
from .parser import parse
from .tokenizer import Token, tokenize


def evaluate(expression, variables=None, functions=None):
    """Evaluate *expression* and return its value as a float.

    *variables* and *functions* extend (and may override) the defaults.
    """
    names = dict(DEFAULT_VARIABLES)
    names.update(variables or {})
    funcs = dict(DEFAULT_FUNCTIONS)
    funcs.update(functions or {})
    return evaluate_node(parse(expression), names, funcs)


__all__ = [
    "CalcError",
    "CalcSyntaxError",
    "EvalError",
    "Token",
    "evaluate",
    "parse",
    "tokenize",
]
