"""The built-in filters: name -> (function, takes an argument)."""

import html


def _text(value):
    return "" if value is None else str(value)


def _default(value, fallback):
    return fallback if value is None or value == "" else value


def _join(value, separator):
    return separator.join(_text(item) for item in value)


FILTERS = {
    "upper": (lambda value: _text(value).upper(), False),
    "lower": (lambda value: _text(value).lower(), False),
    "title": (lambda value: _text(value).title(), False),
    "strip": (lambda value: _text(value).strip(), False),
    "length": (len, False),
    "escape": (lambda value: html.escape(_text(value), quote=True), False),
    "default": (_default, True),
    "join": (_join, True),
}
