"""A line plot as a standalone SVG file, written by hand (no plotting dependency): one line per series,
with an optional shaded band (the interquartile range over seeds)."""

from __future__ import annotations

import math
from html import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 440, 64, 150, 40, 52


def line_plot(series: dict[str, list[tuple[float, float, float, float]]], title: str, x_label: str, y_label: str) -> str:
    """``series``: name -> [(x, y, y_low, y_high)]; the band spans y_low..y_high."""
    points = [p for values in series.values() for p in values]
    x_max = max((p[0] for p in points), default=1.0) or 1.0
    y_max = min(1.0, math.ceil(max((p[3] for p in points), default=1.0) * 1.05 * 10) / 10) or 1.0  # a tenth above
    width, height = W - LEFT - RIGHT, H - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + width * x / x_max

    def sy(y: float) -> float:
        return TOP + height * (1 - y / y_max)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2:.0f}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
           f'<line x1="{LEFT}" y1="{TOP + height}" x2="{LEFT + width}" y2="{TOP + height}" stroke="black"/>',
           f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + height}" stroke="black"/>']
    for i in range(6):
        x, y = x_max * i / 5, y_max * i / 5
        out.append(f'<line x1="{sx(x):.1f}" y1="{TOP + height}" x2="{sx(x):.1f}" y2="{TOP + height + 5}" stroke="black"/>'
                   f'<text x="{sx(x):.1f}" y="{TOP + height + 18}" text-anchor="middle">{x:.0f}</text>')
        out.append(f'<line x1="{LEFT}" y1="{sy(y):.1f}" x2="{LEFT + width}" y2="{sy(y):.1f}" stroke="#ddd"/>'
                   f'<text x="{LEFT - 8}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
    out.append(f'<text x="{LEFT + width / 2:.0f}" y="{H - 12}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="16" y="{TOP + height / 2:.0f}" text-anchor="middle" '
               f'transform="rotate(-90 16 {TOP + height / 2:.0f})">{escape(y_label)}</text>')
    for i, (name, values) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        if values:
            band = [f"{sx(x):.1f},{sy(hi):.1f}" for x, _, _, hi in values] + \
                   [f"{sx(x):.1f},{sy(lo):.1f}" for x, _, lo, _ in reversed(values)]
            out.append(f'<polygon points="{" ".join(band)}" fill="{colour}" fill-opacity="0.12" stroke="none"/>')
            line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y, _, _ in values)
            out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        ly = TOP + 10 + 20 * i
        out.append(f'<line x1="{W - RIGHT + 16}" y1="{ly}" x2="{W - RIGHT + 40}" y2="{ly}" stroke="{colour}" stroke-width="3"/>'
                   f'<text x="{W - RIGHT + 46}" y="{ly + 4}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
