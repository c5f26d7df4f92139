"""The dashboard's charts as server-rendered SVG.

No scripts and no ``style`` attributes (the CSP is strict): only SVG
presentation attributes. Labels are escaped; numbers are computed here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

if TYPE_CHECKING:
    from reporting.dashboard_read import GateConversion, StageRow

INK = "#0f172a"
MUTED = "#64748b"
GRID = "#e2e8f0"
BLUE = "#1d4ed8"
BLUES = ["#dbeafe", "#bfdbfe", "#93c5fd", "#60a5fa", "#2563eb"]
AMBER = "#d97706"
DECISION_COLOURS = {
    "go": "#16a34a",
    "conditional_go": "#65a30d",
    "hold": "#d97706",
    "recycle": "#ca8a04",
    "kill": "#dc2626",
    "retire": "#4f46e5",
}
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def _svg(width: int, height: int, label: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" {FONT} font-size="12">'
        f"<title>{escape(label)}</title>"
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - labels escaped above


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" {extra}>{escape(text)}</text>'


def funnel_svg(stages: Sequence[StageRow]) -> SafeString:
    """Use cases in each stage (active and on hold), as a centred funnel."""
    width, row_h, gap, label_w = 640, 34, 6, 110
    height = len(stages) * (row_h + gap) + gap
    top = max((s.in_stage for s in stages), default=0) or 1
    span = width - label_w - 60
    body = []
    for i, row in enumerate(stages):
        y = gap + i * (row_h + gap)
        w = max(row.in_stage / top * span, 2)
        x = label_w + (span - w) / 2
        colour = BLUES[i % len(BLUES)]
        body.append(_text(0, y + row_h / 2 + 4, row.stage.label, fill=INK))
        body.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h}" rx="3" fill="{colour}"/>'
        )
        fill = "#ffffff" if i >= 3 else INK
        body.append(
            _text(
                label_w + span / 2,
                y + row_h / 2 + 4,
                f"{row.in_stage:,}",
                fill=fill if w > 50 else INK,
                text_anchor="middle",
                font_weight="bold",
            )
        )
        if row.on_hold:
            body.append(
                _text(
                    width,
                    y + row_h / 2 + 4,
                    f"{row.on_hold:,} on hold",
                    fill=MUTED,
                    text_anchor="end",
                    font_size="12",
                )
            )
    return _svg(width, height, gettext("Use cases per stage"), body)


def conversion_svg(conversions: Sequence[GateConversion]) -> SafeString:
    """For each gate, the share of the use cases that reached its stage and passed it."""
    width, row_h, gap, label_w = 640, 26, 12, 150
    height = len(conversions) * (row_h + gap) + gap
    span = width - label_w - 70
    body = []
    for i, gate in enumerate(conversions):
        y = gap + i * (row_h + gap)
        body.append(
            _text(
                0,
                y + row_h / 2 + 4,
                gettext("Gate %(number)s: %(stage)s →")
                % {"number": gate.number, "stage": gate.from_stage.label},
                fill=INK,
            )
        )
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{span}" height="{row_h}" rx="3" fill="{GRID}"/>'
        )
        rate = gate.rate or 0
        if rate:
            body.append(
                f'<rect x="{label_w}" y="{y}" width="{max(rate * span, 2):.1f}" height="{row_h}" '
                f'rx="3" fill="{BLUE}"/>'
            )
        text = "—" if gate.percent is None else f"{gate.percent}%"
        body.append(
            _text(label_w + span + 8, y + row_h / 2 + 4, text, fill=INK, font_weight="bold")
        )
        body.append(
            _text(
                label_w + span + 8,
                y + row_h + 8,
                f"{gate.passed:,}/{gate.reached:,}",
                fill=MUTED,
                font_size="12",
            )
        )
    return _svg(width, height, gettext("Conversion through each gate"), body)


def decisions_svg(decisions: Sequence[tuple[str, str, int]]) -> SafeString:
    """Gate decisions this quarter, one column per decision."""
    width, height, base, top_pad = 640, 200, 170, 20
    top = max((n for _, _, n in decisions), default=0) or 1
    col = width / max(len(decisions), 1)
    bar_w = col * 0.5
    body = [f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{GRID}"/>']
    for i, (code, label, count) in enumerate(decisions):
        h = count / top * (base - top_pad - 10)
        x = i * col + (col - bar_w) / 2
        if count:
            body.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" rx="2" '
                f'fill="{DECISION_COLOURS.get(code, BLUE)}"/>'
            )
        body.append(
            _text(
                x + bar_w / 2,
                base - h - 5,
                f"{count:,}",
                fill=INK,
                text_anchor="middle",
                font_weight="bold",
            )
        )
        body.append(_text(x + bar_w / 2, base + 18, label, fill=INK, text_anchor="middle"))
    return _svg(width, height, gettext("Gate decisions this quarter"), body)


def time_in_stage_svg(stages: Sequence[StageRow]) -> SafeString:
    """Median days in stage (bar) against the stage's norm (shaded band)."""
    rows = [s for s in stages if s.norm is not None or s.median_days is not None]
    width, row_h, gap, label_w = 640, 22, 14, 110
    height = max(len(rows), 1) * (row_h + gap) + gap + 16
    scale_max = max(
        [s.median_days or 0 for s in rows] + [s.norm.max_days for s in rows if s.norm] + [1]
    )
    span = width - label_w - 80

    def x(days: float) -> float:
        return label_w + days / scale_max * span

    body = []
    for i, row in enumerate(rows):
        y = gap + i * (row_h + gap)
        body.append(_text(0, y + row_h / 2 + 4, row.stage.label, fill=INK))
        if row.norm is not None:
            body.append(
                f'<rect x="{x(row.norm.min_days):.1f}" y="{y - 4}" '
                f'width="{max(x(row.norm.max_days) - x(row.norm.min_days), 1):.1f}" '
                f'height="{row_h + 8}" fill="#dcfce7" stroke="#86efac"/>'
            )
        if row.median_days is not None:
            colour = AMBER if row.median_over_norm else BLUE
            body.append(
                f'<rect x="{label_w}" y="{y + 5}" '
                f'width="{max(x(row.median_days) - label_w, 1):.1f}" '
                f'height="{row_h - 10}" fill="{colour}"/>'
            )
            body.append(
                _text(
                    width,
                    y + row_h / 2 + 4,
                    f"{row.median_days:.0f} d",
                    fill=INK,
                    text_anchor="end",
                    font_weight="bold",
                )
            )
        else:
            body.append(
                _text(width, y + row_h / 2 + 4, gettext("no active"), fill=MUTED, text_anchor="end")
            )
    legend_y = height - 4
    body.append(
        f'<rect x="{label_w}" y="{legend_y - 9}" width="12" height="10" '
        'fill="#dcfce7" stroke="#86efac"/>'
    )
    body.append(
        _text(label_w + 16, legend_y, gettext("norm (min–max)"), fill=MUTED, font_size="12")
    )
    body.append(
        f'<rect x="{label_w + 130}" y="{legend_y - 9}" width="12" height="10" fill="{BLUE}"/>'
    )
    body.append(
        _text(
            label_w + 146, legend_y, gettext("median, active use cases"), fill=MUTED, font_size="12"
        )
    )
    body.append(
        f'<rect x="{label_w + 330}" y="{legend_y - 9}" width="12" height="10" fill="{AMBER}"/>'
    )
    body.append(
        _text(label_w + 346, legend_y, gettext("median over the norm"), fill=MUTED, font_size="12")
    )
    return _svg(width, height, gettext("Median time in stage against the norm"), body)
