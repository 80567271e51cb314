"""The Router: registering routes, resolving paths, building URLs."""

from dataclasses import dataclass

from .converters import DEFAULT_CONVERTERS
from .pattern import Pattern


class NotFound(LookupError):
    """No route matches the path."""


class MethodNotAllowed(LookupError):
    """A route matches the path, but not for the request method."""

    def __init__(self, path, allowed):
        super().__init__(f"{path}: method not allowed (allowed: {', '.join(allowed)})")
        self.allowed = allowed


class BuildError(LookupError):
    """url_for() cannot build a URL from the name and values given."""


@dataclass(frozen=True)
class Route:
    pattern: Pattern
    handler: object
    methods: frozenset
    name: str | None = None


class Router:
    def __init__(self, converters=None):
        self._converters = {**DEFAULT_CONVERTERS, **(converters or {})}
        self._routes = []
        self._static = {}  # template -> [Route], for routes without parameters
        self._names = {}

    def add(self, template, handler, methods=("GET",), name=None):
        """Register *handler* for *template* and the HTTP *methods*; return the Route."""
        if name is not None and name in self._names:
            raise ValueError(f"duplicate route name {name!r}")
        pattern = Pattern(template, self._converters)
        route = Route(pattern, handler, frozenset(m.upper() for m in methods), name)
        self._routes.append(route)
        if pattern.is_static:
            self._static.setdefault(template, []).append(route)
        if name is not None:
            self._names[name] = route
        return route

    def route(self, template, methods=("GET",), name=None):
        """Decorator form of :meth:`add`."""

        def decorate(handler):
            self.add(template, handler, methods=methods, name=name)
            return handler

        return decorate

    def resolve(self, path, method="GET"):
        """Return ``(handler, params)`` for the request *path* and *method*."""
        path = path.split("?", 1)[0]
        if not path.startswith("/"):
            raise NotFound(path)
        method = method.upper()
        allowed = set()
        for route in self._static.get(path, ()):
            if method in route.methods:
                return route.handler, {}
            allowed |= route.methods
        segments = path[1:].split("/")
        for route in self._routes:
            if route.pattern.is_static:
                continue
            params = route.pattern.match(segments)
            if params is None:
                continue
            if method in route.methods:
                return route.handler, params
            allowed |= route.methods
        if allowed:
            raise MethodNotAllowed(path, sorted(allowed))
        raise NotFound(path)

    def url_for(self, name, /, **values):
        """Build the path of the route called *name* from parameter *values*."""
        route = self._names.get(name)
        if route is None:
            raise BuildError(f"no route named {name!r}")
        names = route.pattern.names
        missing = names - set(values)
        extra = set(values) - names
        if missing or extra:
            raise BuildError(
                f"route {name!r} needs {sorted(names)}; missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        try:
            return route.pattern.build(values)
        except ValueError as exc:
            raise BuildError(f"cannot build route {name!r}: {exc}") from None
