from __future__ import annotations

import datetime
from decimal import Decimal

from readiness.svg import kpi_sparkline_svg

D = datetime.date(2026, 1, 1)


def test_it_draws_the_trend_the_target_and_the_last_point_without_style_or_script():
    svg = kpi_sparkline_svg(
        [(D, Decimal("40")), (D + datetime.timedelta(days=7), Decimal("64"))], Decimal("60")
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<polyline" in svg and "stroke-dasharray" in svg and "<circle" in svg
    assert "style" not in svg and "script" not in svg
    assert 'aria-label="Trend of 2 measurements"' in svg


def test_it_draws_a_single_point_and_an_empty_frame():
    assert "<polyline" not in kpi_sparkline_svg([(D, 5)], None)
    assert "<circle" in kpi_sparkline_svg([(D, 5)], None)
    empty = kpi_sparkline_svg([], Decimal("1"))
    assert "<circle" not in empty and "<line" in empty


def test_it_puts_higher_values_higher():
    svg = kpi_sparkline_svg([(D, 0), (D, 10)], None)
    points = svg.split('points="')[1].split('"')[0].split()
    first_y, last_y = (float(p.split(",")[1]) for p in points)
    assert last_y < first_y
