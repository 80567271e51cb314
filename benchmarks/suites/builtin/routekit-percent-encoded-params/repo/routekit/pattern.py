"""Path templates, compiled into a list of literal and parameter segments."""

import re

_PARAM_RE = re.compile(r"\{([A-Za-z_]\w*)(?::([A-Za-z_]\w*))?\}")


class Pattern:
    """A compiled path template such as ``/users/{id:int}/posts``."""

    def __init__(self, template, converters):
        if not template.startswith("/"):
            raise ValueError(f"templates must start with '/': {template!r}")
        self.template = template
        self.parts = []  # ("literal", text) or ("param", name, converter)
        names = set()
        segments = template[1:].split("/")
        for index, segment in enumerate(segments):
            match = _PARAM_RE.fullmatch(segment)
            if match is None:
                if "{" in segment or "}" in segment:
                    raise ValueError(f"malformed segment {segment!r} in {template!r}")
                self.parts.append(("literal", segment))
                continue
            name, kind = match.group(1), match.group(2) or "str"
            if name in names:
                raise ValueError(f"duplicate parameter {name!r} in {template!r}")
            if kind not in converters:
                raise ValueError(f"unknown converter {kind!r} in {template!r}")
            converter = converters[kind]()
            if converter.consumes_rest and index != len(segments) - 1:
                raise ValueError(f"{{{name}:{kind}}} must be the last segment of {template!r}")
            names.add(name)
            self.parts.append(("param", name, converter))
        self.names = frozenset(names)

    @property
    def is_static(self):
        return not self.names

    def match(self, segments):
        """Match the path *segments* (the path without its leading ``/``, split at ``/``).

        Returns the converted parameters, or None if the path does not match.
        """
        params = {}
        for index, part in enumerate(self.parts):
            if part[0] == "param" and part[2].consumes_rest:
                rest = segments[index:]
                if not rest or not rest[0]:
                    return None
                try:
                    params[part[1]] = part[2].to_python("/".join(rest))
                except ValueError:
                    return None
                return params
            if index >= len(segments):
                return None
            segment = segments[index]
            if part[0] == "literal":
                if segment != part[1]:
                    return None
                continue
            if not segment:
                return None
            try:
                params[part[1]] = part[2].to_python(segment)
            except ValueError:
                return None
        if len(segments) != len(self.parts):
            return None
        return params

    def build(self, values):
        """The path for the parameter *values* (a dict holding every parameter)."""
        out = []
        for part in self.parts:
            if part[0] == "literal":
                out.append(part[1])
            else:
                out.append(part[2].to_url(values[part[1]]))
        return "/" + "/".join(out)

    def __repr__(self):
        return f"Pattern({self.template!r})"
