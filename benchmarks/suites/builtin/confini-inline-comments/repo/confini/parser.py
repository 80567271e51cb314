"""Parsing and typed access for INI-style configuration text."""

COMMENT_PREFIXES = ("#", ";")
QUOTES = ("'", '"')

_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}
_MISSING = object()


class ConfigError(ValueError):
    """Raised for malformed configuration text or bad lookups."""

    def __init__(self, message, lineno=None):
        if lineno is not None:
            message = f"line {lineno}: {message}"
        super().__init__(message)
        self.lineno = lineno


class Config:
    """Parsed configuration: a mapping of section name -> {key: value}."""

    def __init__(self, sections=None):
        self._sections = {name: dict(values) for name, values in (sections or {}).items()}

    def sections(self):
        return list(self._sections)

    def has_section(self, section):
        return section in self._sections

    def items(self, section):
        try:
            return dict(self._sections[section])
        except KeyError:
            raise ConfigError(f"no such section: {section!r}") from None

    def get(self, section, key, default=_MISSING):
        values = self._sections.get(section)
        if values is None:
            if default is _MISSING:
                raise ConfigError(f"no such section: {section!r}")
            return default
        try:
            return values[key.lower()]
        except KeyError:
            if default is _MISSING:
                raise ConfigError(f"no key {key!r} in section {section!r}") from None
            return default

    def getint(self, section, key, default=_MISSING):
        return self._convert(section, key, default, int, "an integer")

    def getfloat(self, section, key, default=_MISSING):
        return self._convert(section, key, default, float, "a number")

    def getbool(self, section, key, default=_MISSING):
        return self._convert(section, key, default, _to_bool, "a boolean")

    def _convert(self, section, key, default, func, what):
        value = self.get(section, key, default)
        if value is default and default is not _MISSING:
            return default
        try:
            return func(value)
        except ValueError:
            raise ConfigError(f"[{section}] {key} = {value!r} is not {what}") from None


def _to_bool(value):
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(value)


def parse(text):
    """Parse configuration *text* and return a :class:`Config`."""
    sections = {}
    current = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(COMMENT_PREFIXES):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ConfigError(f"malformed section header {line!r}", lineno)
            name = line[1:-1].strip()
            if not name:
                raise ConfigError("empty section name", lineno)
            current = sections.setdefault(name, {})
            continue
        if current is None:
            raise ConfigError("key/value pair before the first section header", lineno)
        key, value = _split_assignment(line, lineno)
        current[key] = value
    return Config(sections)


def load(path, encoding="utf-8"):
    """Read and parse the configuration file at *path*."""
    with open(path, encoding=encoding) as handle:
        return parse(handle.read())


def _split_assignment(line, lineno):
    """Split ``key = value`` / ``key: value`` at the first separator."""
    positions = [pos for pos in (line.find("="), line.find(":")) if pos != -1]
    if not positions:
        raise ConfigError(f"expected 'key = value', got {line!r}", lineno)
    pos = min(positions)
    key = line[:pos].strip().lower()
    if not key:
        raise ConfigError("missing key before separator", lineno)
    value = line[pos + 1:].strip()
    return key, _unquote(value)


def _unquote(value):
    if len(value) >= 2 and value[0] in QUOTES and value[-1] == value[0]:
        return value[1:-1]
    return value
