"""Rendering rows as text tables."""

ALIGNMENTS = ("left", "right", "center")
STYLES = ("grid", "markdown", "plain")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def _column_alignments(rows, ncols, align):
    if align is None:
        result = []
        for col in range(ncols):
            cells = [row[col] for row in rows if row[col] not in (None, "")]
            result.append("right" if cells and all(_is_number(c) for c in cells) else "left")
        return result
    if isinstance(align, str):
        align = [align] * ncols
    align = list(align)
    if len(align) != ncols:
        raise ValueError(f"expected {ncols} alignments, got {len(align)}")
    for value in align:
        if value not in ALIGNMENTS:
            raise ValueError(f"unknown alignment {value!r}; expected one of: {', '.join(ALIGNMENTS)}")
    return align


def _pad(text, width, alignment):
    gap = width - len(text)
    if alignment == "right":
        return " " * gap + text
    if alignment == "center":
        left = gap // 2
        return " " * left + text + " " * (gap - left)
    return text + " " * gap


def _marker(width, alignment):
    if alignment == "right":
        return "-" * (width - 1) + ":"
    if alignment == "center":
        return ":" + "-" * (width - 2) + ":"
    return ":" + "-" * (width - 1)


def render(rows, headers=None, style="plain", align=None):
    """Render *rows* (a list of sequences) as a table; see the README."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of: {', '.join(STYLES)}")
    if style == "markdown" and not headers:
        raise ValueError("the markdown style needs headers")
    rows = [list(row) for row in rows]
    ncols = max([len(headers or [])] + [len(row) for row in rows])
    rows = [row + [None] * (ncols - len(row)) for row in rows]
    aligns = _column_alignments(rows, ncols, align)

    body = [[_cell_text(value) for value in row] for row in rows]
    head = [_cell_text(h) for h in headers] + [""] * (ncols - len(headers)) if headers else None
    widths = [max([len(r[i]) for r in body] + ([len(head[i])] if head else []) + [0]) for i in range(ncols)]
    if style == "markdown":
        widths = [max(w, 3) for w in widths]

    def line(cells, begin, sep, end):
        return begin + sep.join(_pad(c, w, a) for c, w, a in zip(cells, widths, aligns)) + end

    lines = []
    if style == "plain":
        if head:
            lines.append(line(head, "", "  ", ""))
            lines.append("  ".join("-" * w for w in widths))
        for row in body:
            lines.append(line(row, "", "  ", ""))
    elif style == "grid":
        rule = "+-" + "-+-".join("-" * w for w in widths) + "-+"
        lines.append(rule)
        if head:
            lines.append(line(head, "| ", " | ", " |"))
            lines.append("+=" + "=+=".join("=" * w for w in widths) + "=+")
        for row in body:
            lines.append(line(row, "| ", " | ", " |"))
            lines.append(rule)
    elif style == "markdown":
        lines.append(line(head, "| ", " | ", " |"))
        lines.append("| " + " | ".join(_marker(w, a) for w, a in zip(widths, aligns)) + " |")
        for row in body:
            lines.append(line(row, "| ", " | ", " |"))
    return "\n".join(text.rstrip() for text in lines)


def render_records(records, columns=None, style="plain", align=None):
    """Render a list of dicts; *columns* defaults to the keys in order of first appearance."""
    if columns is None:
        columns = []
        for record in records:
            for key in record:
                if key not in columns:
                    columns.append(key)
    rows = [[record.get(column) for column in columns] for record in records]
    return render(rows, headers=list(columns), style=style, align=align)
