"""Trend charts for the finance view, rendered on the server as inline SVG (no JavaScript, readable by screen
readers through ``<title>``/``<desc>`` and a data table next to each chart)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

Number = int | Decimal


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def bar_chart(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    fmt: Callable[[Number], str] = str,
    width: int = 640,
    height: int = 220,
    chart_id: str = "chart",
) -> Markup:
    """Vertical bars, one per (label, value), with the maximum on the y-axis and each value above its bar."""
    left, right, top, bottom = 70, 10, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for _, v in points]
    maximum = _nice_max(max(values, default=0.0))
    slot = plot_w / max(len(points), 1)
    bar_w = max(4.0, slot * 0.6)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-labelledby="{escape(chart_id)}-t">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f"<desc>{escape('; '.join(f'{label}: {fmt(v)}' for label, v in points))}</desc>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" class="tick">{escape(fmt(_as_number(maximum)))}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for index, (label, value) in enumerate(points):
        bar_h = plot_h * float(value) / maximum if maximum else 0.0
        x = left + index * slot + (slot - bar_w) / 2
        y = top + plot_h - bar_h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" class="bar">'
            f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
        )
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'class="label">{escape(label)}</text>')  # fmt: skip
        if value:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                         f'class="value">{escape(fmt(value))}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def sparkline(values: Sequence[Number], *, label: str, width: int = 120, height: int = 28) -> Markup:
    """A small line of the last periods' values for a table cell."""
    floats = [float(v) for v in values]
    maximum = max(floats, default=0.0) or 1.0
    step = width / max(len(floats) - 1, 1)
    coords = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / maximum:.1f}" for i, v in enumerate(floats))
    return Markup(  # noqa: S704 - the label is escaped, the rest are numbers
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{escape(label)}</title>'
        f'<polyline points="{coords}" fill="none" class="line"/></svg>'
    )


def _as_number(value: float) -> Number:
    return int(value) if float(value).is_integer() else Decimal(str(value))
