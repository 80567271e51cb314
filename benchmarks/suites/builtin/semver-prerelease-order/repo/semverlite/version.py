"""The Version type."""

import functools
import re
from dataclasses import dataclass

_NUMERIC = r"0|[1-9]\d*"
_IDENT = r"[0-9A-Za-z-]+"
_VERSION_RE = re.compile(
    rf"^v?(?P<major>{_NUMERIC})\.(?P<minor>{_NUMERIC})\.(?P<patch>{_NUMERIC})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?"
    rf"(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?$"
)


class InvalidVersion(ValueError):
    """Raised for strings that are not valid semantic versions."""


@functools.total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple = ()
    build: tuple = ()

    def __str__(self):
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    @property
    def is_prerelease(self):
        return bool(self.prerelease)

    def _key(self):
        # A version without a pre-release sorts after all of its pre-releases.
        return (
            self.major,
            self.minor,
            self.patch,
            0 if self.prerelease else 1,
            self.prerelease,
        )

    def __eq__(self, other):
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other):
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __hash__(self):
        return hash(self._key())

    def bump_major(self):
        return Version(self.major + 1, 0, 0)

    def bump_minor(self):
        return Version(self.major, self.minor + 1, 0)

    def bump_patch(self):
        # 1.2.3-rc.1 -> 1.2.3 (finish the pre-release), 1.2.3 -> 1.2.4
        if self.prerelease:
            return Version(self.major, self.minor, self.patch)
        return Version(self.major, self.minor, self.patch + 1)


def parse(text):
    """Parse *text* (an optional leading ``v`` is allowed) into a Version."""
    if isinstance(text, Version):
        return text
    match = _VERSION_RE.match(text.strip())
    if not match:
        raise InvalidVersion(f"not a semantic version: {text!r}")
    prerelease = tuple(match["pre"].split(".")) if match["pre"] else ()
    for ident in prerelease:
        if ident.isdigit() and ident != "0" and ident.startswith("0"):
            raise InvalidVersion(f"numeric identifier with leading zero in {text!r}")
    build = tuple(match["build"].split(".")) if match["build"] else ()
    return Version(int(match["major"]), int(match["minor"]), int(match["patch"]), prerelease, build)


def sort_versions(versions, reverse=False):
    """Return version strings (or Versions) sorted by precedence."""
    return sorted(versions, key=parse, reverse=reverse)


def max_version(versions, include_prereleases=False):
    """Return the highest Version, or None if there is none to choose from."""
    candidates = [parse(v) for v in versions]
    if not include_prereleases:
        candidates = [v for v in candidates if not v.is_prerelease]
    return max(candidates, default=None)
