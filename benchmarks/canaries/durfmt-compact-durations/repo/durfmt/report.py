"""A plain-text table of named durations, for the end of a job log."""

from __future__ import annotations

from .format import format_duration


def report(timings: dict[str, int]) -> str:
    """One line per entry, names left-aligned and durations right-aligned, longest first."""
    if not timings:
        return ""
    rows = sorted(timings.items(), key=lambda item: (-item[1], item[0]))
    texts = [(name, format_duration(seconds)) for name, seconds in rows]
    name_width = max(len(name) for name, _ in texts)
    value_width = max(len(text) for _, text in texts)
    return "\n".join(f"{name.ljust(name_width)}  {text.rjust(value_width)}" for name, text in texts)
