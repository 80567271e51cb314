"""Tokenizing, checking and rendering templates."""

import re
from collections.abc import Mapping, Sequence

from .errors import TemplateSyntaxError, UndefinedError
from .filters import FILTERS

_TOKEN_RE = re.compile(r"({{.*?}}|{%.*?%}|{#.*?#})", re.S)
_PATH_RE = re.compile(r"^[A-Za-z_]\w*(?:\.(?:[A-Za-z_]\w*|\d+))*$")
_FILTER_RE = re.compile(r'^([A-Za-z_]\w*)(?::"((?:[^"\\]|\\.)*)")?$')
_FOR_RE = re.compile(r"^for\s+([A-Za-z_]\w*)\s+in\s+(.+)$", re.S)
_UNDEFINED = object()


def tokenize(source):
    """Split *source* into ``(kind, text, line)`` tokens: kind is text, var or tag."""
    tokens = []
    line = 1
    for piece in _TOKEN_RE.split(source):
        if piece.startswith("{{"):
            tokens.append(("var", piece[2:-2].strip(), line))
        elif piece.startswith("{%"):
            tokens.append(("tag", piece[2:-2].strip(), line))
        elif piece and not piece.startswith("{#"):
            for opener in ("{{", "{%", "{#"):
                if opener in piece:
                    where = line + piece[: piece.index(opener)].count("\n")
                    raise TemplateSyntaxError(f"unclosed {opener!r}", where)
            tokens.append(("text", piece, line))
        line += piece.count("\n")
    return tokens


def parse_expression(text, line):
    """Parse ``path|filter|filter:"arg"`` into ``(path, [(filter, arg), ...])``."""
    parts = re.split(r'\|(?=(?:[^"]*"[^"]*")*[^"]*$)', text)
    path = parts[0].strip()
    if not _PATH_RE.match(path):
        raise TemplateSyntaxError(f"invalid expression {text!r}", line)
    filters = []
    for part in parts[1:]:
        match = _FILTER_RE.match(part.strip())
        if not match:
            raise TemplateSyntaxError(f"invalid filter {part.strip()!r}", line)
        name, arg = match.group(1), match.group(2)
        if name not in FILTERS:
            raise TemplateSyntaxError(f"unknown filter {name!r}", line)
        takes_arg = FILTERS[name][1]
        if takes_arg and arg is None:
            raise TemplateSyntaxError(f"filter {name!r} needs an argument", line)
        if not takes_arg and arg is not None:
            raise TemplateSyntaxError(f"filter {name!r} takes no argument", line)
        if arg is not None:
            arg = re.sub(r"\\(.)", r"\1", arg)
        filters.append((name, arg))
    return path, filters


def _lookup(path, context):
    value = context
    for i, key in enumerate(path.split(".")):
        if isinstance(value, Mapping) and key in value:
            value = value[key]
        elif i and key.isdigit() and isinstance(value, Sequence) and int(key) < len(value):
            value = value[int(key)]
        elif i and not key.isdigit() and hasattr(value, key):
            value = getattr(value, key)
        else:
            return _UNDEFINED
    return value


def evaluate(expression, context):
    path, filters = expression
    value = _lookup(path, context)
    if value is _UNDEFINED:
        if not filters or filters[0][0] != "default":
            raise UndefinedError(path)
        value = None
    for name, arg in filters:
        function, takes_arg = FILTERS[name]
        value = function(value, arg) if takes_arg else function(value)
    return value


def _condition(text, line):
    negate = False
    if text.startswith("not "):
        negate, text = True, text[4:].strip()
    return negate, parse_expression(text, line)


def _truth(condition, context):
    negate, expression = condition
    try:
        value = evaluate(expression, context)
    except UndefinedError:
        value = None
    return bool(value) != negate


def _walk(tokens, pos, context, out, stop):
    """Walk tokens from *pos* until a tag whose keyword is in *stop*.

    Returns ``(position, keyword)`` of the stop tag, or ``(len(tokens), None)``.
    With ``context=None`` the tokens are only checked, nothing is rendered.
    """
    while pos < len(tokens):
        kind, text, line = tokens[pos]
        if kind == "text":
            if context is not None:
                out.append(text)
        elif kind == "var":
            expression = parse_expression(text, line)
            if context is not None:
                value = evaluate(expression, context)
                out.append("" if value is None else str(value))
        else:
            keyword = text.split(None, 1)[0] if text else ""
            if keyword in stop:
                if text != keyword:
                    raise TemplateSyntaxError(f"unexpected text after {keyword!r}", line)
                return pos, keyword
            if keyword == "if":
                pos = _walk_if(tokens, pos, context, out)
            elif keyword == "for":
                pos = _walk_for(tokens, pos, context, out)
            elif keyword in ("else", "endif", "endfor"):
                raise TemplateSyntaxError(f"unexpected {{% {keyword} %}}", line)
            else:
                raise TemplateSyntaxError(f"unknown tag {keyword!r}", line)
        pos += 1
    return pos, None


def _walk_if(tokens, pos, context, out):
    _, text, line = tokens[pos]
    condition = _condition(text[2:].strip(), line)
    truth = context is not None and _truth(condition, context)
    end, keyword = _walk(tokens, pos + 1, context if truth else None, out, ("else", "endif"))
    if keyword == "else":
        otherwise = context if context is not None and not truth else None
        end, keyword = _walk(tokens, end + 1, otherwise, out, ("endif",))
    if keyword is None:
        raise TemplateSyntaxError("unclosed {% if %}", line)
    return end


def _walk_for(tokens, pos, context, out):
    _, text, line = tokens[pos]
    match = _FOR_RE.match(text)
    if not match:
        raise TemplateSyntaxError("malformed {% for %}; expected 'for NAME in EXPR'", line)
    name, expression = match.group(1), parse_expression(match.group(2).strip(), line)
    end = keyword = None
    if context is not None:
        for item in evaluate(expression, context):
            end, keyword = _walk(tokens, pos + 1, {**context, name: item}, out, ("endfor",))
    if end is None:
        end, keyword = _walk(tokens, pos + 1, None, out, ("endfor",))
    if keyword is None:
        raise TemplateSyntaxError("unclosed {% for %}", line)
    return end


def render(source, context=None, **values):
    """Render the template *source* with *context* (a mapping) and keyword values.

    Keyword values take precedence over the context's entries.
    """
    tokens = tokenize(source)
    _walk(tokens, 0, None, [], ())  # check the whole template first
    scope = {**(context or {}), **values}
    out = []
    _walk(tokens, 0, scope, out, ())
    return "".join(out)
