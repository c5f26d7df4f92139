"""A KPI's trend as a small server-rendered SVG.

Only numbers computed here go into the markup (no user text), and styling is
done with SVG presentation attributes, which the strict CSP allows, never
with ``style`` attributes or scripts."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe

WIDTH = 160
HEIGHT = 40
PAD = 4

Number = Decimal | float | int


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def kpi_sparkline_svg(
    points: Sequence[tuple[datetime.date, Number]], target: Number | None = None
) -> SafeString:
    """An SVG sparkline of (date, value) points in date order, with the
    target as a dashed line. With no points, an empty frame."""
    values = [float(v) for _, v in points]
    scale = values + ([float(target)] if target is not None else [])
    label = f"Trend of {len(values)} measurement{'s' if len(values) != 1 else ''}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">',
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="{HEIGHT - 1}" fill="none" '
        'stroke="#d9e0e8"/>',
    ]
    if scale:
        low, high = min(scale), max(scale)
        span = high - low or 1.0

        def y(value: float) -> float:
            return HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)

        def x(index: int) -> float:
            if len(values) == 1:
                return WIDTH / 2
            return PAD + index * (WIDTH - 2 * PAD) / (len(values) - 1)

        if target is not None:
            ty = _fmt(y(float(target)))
            parts.append(
                f'<line x1="{PAD}" y1="{ty}" x2="{WIDTH - PAD}" y2="{ty}" stroke="#15803d" '
                'stroke-width="1" stroke-dasharray="3 3"/>'
            )
        if len(values) > 1:
            coords = " ".join(f"{_fmt(x(i))},{_fmt(y(v))}" for i, v in enumerate(values))
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="#1d4ed8" stroke-width="1.5" '
                'stroke-linejoin="round" stroke-linecap="round"/>'
            )
        if values:
            last = len(values) - 1
            parts.append(
                f'<circle cx="{_fmt(x(last))}" cy="{_fmt(y(values[last]))}" r="2.5" '
                'fill="#1d4ed8"/>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers only, built above
