"""Percent-encoding as used by HTML forms (spaces written as ``+``)."""

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEXDIGITS = "0123456789ABCDEF"


def quote(text):
    """Escape *text* for use as a key or a value.

    Unreserved characters are kept, a space becomes ``+`` and every other
    byte of the UTF-8 encoding becomes ``%XX``.
    """
    out = []
    for byte in str(text).encode("utf-8"):
        if byte in _UNRESERVED:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append("%" + _HEXDIGITS[byte >> 4] + _HEXDIGITS[byte & 0x0F])
    return "".join(out)


def _is_hex(text):
    return len(text) == 2 and all(c in "0123456789abcdefABCDEF" for c in text)


def unquote(text):
    """Decode ``%XX`` escapes (as UTF-8). Malformed escapes are kept as they are."""
    data = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "%" and _is_hex(text[i + 1:i + 3]):
            data.append(int(text[i + 1:i + 3], 16))
            i += 3
        else:
            data.extend(text[i].encode("utf-8"))
            i += 1
    return data.decode("utf-8", errors="replace")


def decode_component(text):
    """Decode one key or value of a query string."""
    return unquote(text).replace("+", " ")
