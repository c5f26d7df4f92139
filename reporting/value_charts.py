"""The value panel's charts, server-rendered SVG with the helpers of
``reporting.charts`` (no scripts, no ``style`` attributes: the CSP is strict)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext

from reporting.charts import AMBER, BLUE, GRID, INK, MUTED, _svg, _text
from reporting.value_selectors import (
    Bucket,
    KillRow,
    PortfolioValue,
    StageMoney,
    portfolio_value,
)

GREEN = "#16a34a"
LIGHT_BLUE = "#93c5fd"
RED = "#dc2626"


def short_money(amount: Decimal | float) -> str:
    """1,234,567 → 1.2M; 12,300 → 12k: chart labels stay short."""
    value = float(amount)
    for bound, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= bound:
            return f"{value / bound:.1f}".removesuffix(".0") + suffix
    return f"{value:.0f}"


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    body = []
    for colour, label in items:
        body.append(f'<rect x="{x:.1f}" y="{y - 9}" width="12" height="10" fill="{colour}"/>')
        body.append(_text(x + 16, y, label, fill=MUTED, font_size="12"))
        x += 24 + 7 * len(label)
    return body


def money_by_stage_svg(stages: Sequence[StageMoney], currency: str) -> SafeString:
    """Per stage: planned and actual as bars, the projected production
    budget (low–high) as a band with its ends marked."""
    width, row_h, gap, label_w = 640, 30, 12, 110
    height = len(stages) * (row_h + gap) + gap + 20
    top = max(
        [float(s.planned) for s in stages]
        + [float(s.actual) for s in stages]
        + [float(s.projected.high) for s in stages]
        + [1.0]
    )
    span = width - label_w - 70

    def w(amount: Decimal) -> float:
        return float(amount) / top * span

    body = []
    for i, row in enumerate(stages):
        y = gap + i * (row_h + gap)
        body.append(_text(0, y + row_h / 2 + 4, row.stage.label, fill=INK))
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{span}" height="{row_h}" fill="{GRID}" '
            'opacity="0.4"/>'
        )
        if row.projected.high:
            x1, x2 = label_w + w(row.projected.low), label_w + w(row.projected.high)
            body.append(
                f'<rect x="{x1:.1f}" y="{y}" width="{max(x2 - x1, 1):.1f}" height="{row_h}" '
                f'fill="#fef3c7" stroke="{AMBER}"/>'
            )
        if row.planned:
            body.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{max(w(row.planned), 1):.1f}" '
                f'height="{row_h / 2 - 4:.1f}" fill="{LIGHT_BLUE}"/>'
            )
        if row.actual:
            body.append(
                f'<rect x="{label_w}" y="{y + row_h / 2 + 1:.1f}" '
                f'width="{max(w(row.actual), 1):.1f}" height="{row_h / 2 - 4:.1f}" fill="{BLUE}"/>'
            )
        body.append(
            _text(
                width,
                y + row_h / 2 + 4,
                short_money(row.actual) if row.use_cases else "—",
                fill=INK,
                text_anchor="end",
                font_weight="bold",
            )
        )
    body += _legend(
        label_w,
        height - 4,
        [
            (LIGHT_BLUE, gettext("planned")),
            (BLUE, gettext("actual")),
            ("#fef3c7", gettext("projected production (low–high)")),
        ],
    )
    return _svg(
        width, height, gettext("Money by stage (%(currency)s)") % {"currency": currency}, body
    )


def benefits_svg(stages: Sequence[StageMoney], currency: str) -> SafeString:
    """Per stage: the annual hypothesis against what was realised."""
    rows = [s for s in stages if s.hypothesis_annual or s.realised]
    width, row_h, gap, label_w = 640, 26, 12, 110
    height = max(len(rows), 1) * (row_h + gap) + gap + 20
    top = max([float(s.hypothesis_annual) for s in rows] + [float(s.realised) for s in rows] + [1])
    span = width - label_w - 70
    body = []
    if not rows:
        body.append(
            _text(label_w, gap + row_h / 2 + 4, gettext("No benefit recorded yet."), fill=MUTED)
        )
    for i, row in enumerate(rows):
        y = gap + i * (row_h + gap)
        body.append(_text(0, y + row_h / 2 + 4, row.stage.label, fill=INK))
        hyp = float(row.hypothesis_annual) / top * span
        real = float(row.realised) / top * span
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{max(hyp, 1):.1f}" height="{row_h}" '
            f'fill="{GRID}"/>'
        )
        if real:
            body.append(
                f'<rect x="{label_w}" y="{y + 6}" width="{max(real, 1):.1f}" '
                f'height="{row_h - 12}" fill="{GREEN}"/>'
            )
        body.append(
            _text(
                width,
                y + row_h / 2 + 4,
                f"{short_money(row.realised)} / {short_money(row.hypothesis_annual)}",
                fill=INK,
                text_anchor="end",
                font_weight="bold",
            )
        )
    body += _legend(
        label_w,
        height - 4,
        [(GRID, gettext("annual hypothesis")), (GREEN, gettext("realised to date"))],
    )
    return _svg(
        width,
        height,
        gettext("Benefits realised against the hypothesis (%(currency)s)") % {"currency": currency},
        body,
    )


def histogram_svg(buckets: Sequence[Bucket], label: str, colour: str = BLUE) -> SafeString:
    """One column per bucket, its count on top."""
    width, height, base, top_pad = 640, 190, 160, 20
    top = max((b.count for b in buckets), default=0) or 1
    col = width / max(len(buckets), 1)
    bar_w = col * 0.6
    body = [f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{GRID}"/>']
    for i, bucket in enumerate(buckets):
        h = bucket.count / top * (base - top_pad - 10)
        x = i * col + (col - bar_w) / 2
        fill = MUTED if bucket.key == "never" else colour
        if bucket.count:
            body.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'rx="2" fill="{fill}"/>'
            )
        body.append(
            _text(
                x + bar_w / 2,
                base - h - 5,
                f"{bucket.count:,}",
                fill=INK,
                text_anchor="middle",
                font_weight="bold",
            )
        )
        body.append(_text(x + bar_w / 2, base + 18, bucket.label, fill=INK, text_anchor="middle"))
    return _svg(width, height, label, body)


def kills_svg(rows: Sequence[KillRow], label: str) -> SafeString:
    """Kills per gate or per reason, as horizontal bars with the money
    spent before the kill beside them."""
    width, row_h, gap, label_w = 640, 22, 10, 230
    height = max(len(rows), 1) * (row_h + gap) + gap
    top = max((r.kills for r in rows), default=0) or 1
    span = width - label_w - 90
    body = []
    if not rows:
        body.append(_text(0, gap + row_h / 2 + 4, gettext("No use case killed."), fill=MUTED))
    for i, row in enumerate(rows):
        y = gap + i * (row_h + gap)
        name = row.label if len(row.label) <= 34 else row.label[:33] + "…"
        body.append(_text(0, y + row_h / 2 + 4, name, fill=INK))
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{max(row.kills / top * span, 2):.1f}" '
            f'height="{row_h}" rx="2" fill="{RED}"/>'
        )
        body.append(
            _text(
                width,
                y + row_h / 2 + 4,
                f"{row.kills:,} · {short_money(row.spent)}",
                fill=INK,
                text_anchor="end",
                font_weight="bold",
            )
        )
    return _svg(width, height, label, body)


def panel(data: PortfolioValue) -> dict[str, Any]:
    """The context of ``reporting/partials/value_panel.html``."""
    return {
        "data": data,
        "money_svg": money_by_stage_svg(data.stages, data.currency),
        "benefits_svg": benefits_svg(data.stages, data.currency),
        "roi_svg": histogram_svg(data.roi, "3-year ROI of the use cases in play"),
        "payback_svg": histogram_svg(
            data.payback, gettext("Payback month of the use cases in play"), GREEN
        ),
        "kills_gate_svg": kills_svg(data.kills_by_gate, gettext("Kills by gate")),
        "kills_reason_svg": kills_svg(data.kills_by_reason, gettext("Kills by reason")),
    }


def value_panel(*, user: Any) -> dict[str, Any]:
    """The value panel of the dashboard for ``user``: its data and charts."""
    return panel(portfolio_value(user=user))
