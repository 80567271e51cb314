"""Finding the headings of a Markdown document."""

import re
from dataclasses import dataclass

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int  # 1-based line number in the document


def _closes(line, fence):
    stripped = line.strip()
    return (
        len(stripped) >= len(fence)
        and set(stripped) == {fence[0]}
        and len(line) - len(line.lstrip(" ")) <= 3
    )


def iter_headings(text):
    """Yield the ATX headings of *text* in document order.

    Lines inside fenced code blocks (``` or ~~~) are skipped.  A fence that
    is never closed runs to the end of the document.
    """
    fence = None
    for number, line in enumerate(text.splitlines(), start=1):
        if fence is not None:
            if _closes(line, fence):
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
            continue
        match = _ATX.match(line)
        if match:
            yield Heading(len(match.group(1)), (match.group(2) or "").strip(), number)
