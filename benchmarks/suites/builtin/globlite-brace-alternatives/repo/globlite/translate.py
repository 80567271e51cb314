"""Translating glob patterns into regular expressions."""

import re


def _char_class(pattern, start):
    """Translate the set that opens at ``pattern[start] == "["``.

    Returns ``(regex, end)`` with *end* the index just after the closing
    ``]``, or ``(None, start)`` if the set is never closed.
    """
    i = start + 1
    negate = i < len(pattern) and pattern[i] in "!^"
    if negate:
        i += 1
    members = []
    first = True
    while i < len(pattern):
        char = pattern[i]
        if char == "]" and not first:
            break
        first = False
        if char == "\\" and i + 1 < len(pattern):
            members.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if i + 2 < len(pattern) and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            low, high = char, pattern[i + 2]
            if low <= high:
                members.append(f"{re.escape(low)}-{re.escape(high)}")
            i += 3
            continue
        members.append(re.escape(char))
        i += 1
    else:
        return None, start
    body = "".join(members)
    if negate:
        return f"[^/{body}]", i + 1
    if not body:
        return "(?!)", i + 1
    return f"(?!/)[{body}]", i + 1


def translate(pattern):
    """A regular expression (source text) matching exactly what *pattern* matches."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
            else:
                out.append(re.escape("\\"))
                i += 1
        elif char == "*":
            if pattern.startswith("**", i):
                while i < len(pattern) and pattern[i] == "*":
                    i += 1
                if pattern.startswith("/", i):
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
                i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            regex, end = _char_class(pattern, i)
            if regex is None:
                out.append(re.escape("["))
                i += 1
            else:
                out.append(regex)
                i = end
        else:
            out.append(re.escape(char))
            i += 1
    return "(?s:" + "".join(out) + r")\Z"
