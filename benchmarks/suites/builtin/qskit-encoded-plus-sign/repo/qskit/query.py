"""Query strings: splitting into pairs, grouping by key, and building them."""

from .codec import decode_component, quote


def parse_pairs(query, keep_blank=False):
    """Return the ``(key, value)`` pairs of *query*, in order.

    A leading ``?`` is ignored. A chunk without ``=`` is a key with an empty
    value. Pairs with an empty value are dropped unless *keep_blank* is true.
    """
    if query.startswith("?"):
        query = query[1:]
    pairs = []
    for chunk in query.split("&"):
        if not chunk:
            continue
        key, _, value = chunk.partition("=")
        if not value and not keep_blank:
            continue
        pairs.append((decode_component(key), decode_component(value)))
    return pairs


def parse(query, keep_blank=False):
    """Return a dict mapping each key to the list of its values, in order."""
    result = {}
    for key, value in parse_pairs(query, keep_blank=keep_blank):
        result.setdefault(key, []).append(value)
    return result


def get_first(query, key, default=None):
    """The first value of *key* in *query*, or *default*."""
    values = parse(query, keep_blank=True).get(key)
    return values[0] if values else default


def _iter_pairs(data):
    if hasattr(data, "items"):
        for key, value in data.items():
            if isinstance(value, (list, tuple)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from data


def encode(data):
    """Build a query string from a mapping or a sequence of pairs.

    Values that are not strings are converted with ``str()``; a list or tuple
    value in a mapping gives one pair per item.
    """
    return "&".join(f"{quote(key)}={quote(value)}" for key, value in _iter_pairs(data))
