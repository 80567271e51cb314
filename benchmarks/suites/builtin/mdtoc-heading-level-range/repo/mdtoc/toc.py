"""Building and inserting the table of contents."""

from .parser import iter_headings
from .slug import AnchorRegistry

TOC_MARKER = "<!-- toc -->"


def build_toc(text):
    """Return a Markdown bullet list linking to the headings of *text*.

    The result ends with a newline, or is empty when there are no headings.
    """
    anchors = AnchorRegistry()
    entries = [(heading, anchors.anchor(heading.text)) for heading in iter_headings(text)]
    if not entries:
        return ""
    top = min(heading.level for heading, _ in entries)
    lines = [
        f"{'  ' * (heading.level - top)}- [{heading.text}](#{anchor})"
        for heading, anchor in entries
    ]
    return "\n".join(lines) + "\n"


def insert_toc(text, marker=TOC_MARKER):
    """Replace every line of *text* that reads *marker* with the table of contents."""
    toc = build_toc(text)
    out = []
    for line in text.splitlines(keepends=True):
        if line.strip() == marker:
            out.append(toc)
        else:
            out.append(line)
    return "".join(out)
