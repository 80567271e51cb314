"""Path normalisation on plain strings, always using "/" as separator."""


def normalize(path):
    """Return the normal form of *path*.

    * repeated slashes and ``.`` segments are dropped;
    * ``..`` removes the preceding segment; leading ``..`` segments of a
      relative path are kept, since they refer outside of it;
    * a trailing slash is preserved;
    * an empty relative result is ``"."``.
    """
    if not isinstance(path, str):
        raise TypeError(f"expected str, got {type(path).__name__}")
    if not path:
        return "."
    absolute = path.startswith("/")
    trailing_slash = path.endswith("/")

    parts = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append("..")
            continue
        parts.append(segment)

    body = "/".join(parts)
    if absolute:
        result = "/" + body
    else:
        result = body or "."
    if trailing_slash and body:
        result += "/"
    return result


def segments(path):
    """The segments of the normalised *path* (no empty strings)."""
    return [s for s in normalize(path).split("/") if s and s != "."]


def join(base, *parts):
    """Join path components and normalise the result.

    As with :func:`os.path.join`, an absolute component discards everything
    before it.
    """
    result = base
    for part in parts:
        if part.startswith("/"):
            result = part
        elif result == "" or result.endswith("/"):
            result += part
        else:
            result += "/" + part
    return normalize(result)


def parent(path):
    """The directory containing *path* (``parent("a") == "."``)."""
    return normalize(normalize(path).rstrip("/") + "/..")


def is_within(path, root):
    """True if *path* is *root* or lies inside it (after normalisation).

    Both must be absolute, or both relative.
    """
    if path.startswith("/") != root.startswith("/"):
        raise ValueError("cannot compare an absolute and a relative path")
    path_parts = segments(path)
    root_parts = segments(root)
    return path_parts[: len(root_parts)] == root_parts
