"""Charts drawn on the server as SVG with pygal (no script in the page): the held vs
required deposit over time. Values are minor units (integers); the axis labels are
formatted as money per locale."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pygal  # type: ignore[import-untyped]
from markupsafe import Markup
from pygal.style import Style  # type: ignore[import-untyped]

from depositdesk.domain.money import Money
from depositdesk.entrypoints.web import i18n
from depositdesk.entrypoints.web.i18n import gettext as _
from depositdesk.services.deposits import DepositView
from depositdesk.services.shop_view import ShopView

# pygal appends a finder for its map plugins (pygal.maps.*) to sys.meta_path that has
# no find_spec: every later import that reaches it warns (an error under the tests'
# warning filter). The pages draw no maps, so it is taken out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4a5561",
    colors=("#0b5394", "#a40e26"),
    font_family="system-ui, sans-serif",
    label_font_size=18,
    major_label_font_size=18,
    legend_font_size=20,
    value_font_size=18,
    tooltip_font_size=18,
    title_font_size=20,
)


def _steps(points: Sequence[tuple[datetime, int]], end: datetime) -> list[tuple[datetime, int]]:
    """A value that holds until the next change: each change drawn as a step."""
    out: list[tuple[datetime, int]] = []
    for at, value in points:
        if out:
            out.append((at, out[-1][1]))
        out.append((at, value))
    if out and end > out[-1][0]:
        out.append((end, out[-1][1]))
    return out


def held_vs_required(
    view: ShopView, deposit: DepositView, lines: Sequence[Any], now: datetime
) -> Markup:
    """Held (after each ledger entry) and required (as the notices recorded it, and
    now) over time, in the market's time zone."""
    currency = view.pack.currency
    zone = view.pack.timezone
    held = [(line.entry.at, line.held_after.minor) for line in reversed(lines)]
    required: list[tuple[datetime, int]] = []
    for notice in sorted(deposit.notices, key=lambda n: n.created_at):
        value = notice.data.get("required_minor")
        if isinstance(value, int):
            required.append((notice.created_at, value))
    start = held[0][0] if held else view.shop.created_at
    if not required:
        required.append((min(start, now), deposit.position.required.minor))
    required.append((now, deposit.position.required.minor))
    chart = pygal.DateTimeLine(
        style=STYLE,
        js=[],  # no script from anywhere: the chart is plain SVG
        disable_xml_declaration=True,
        show_dots=False,
        fill=False,
        width=640,
        height=360,
        margin=10,
        stroke_style={"width": 4},
        x_labels_major_count=4,
        show_minor_x_labels=False,
        include_x_axis=True,  # the money axis starts at zero
        y_labels_major_count=5,
        show_minor_y_labels=False,
        legend_at_bottom=True,
        show_x_guides=False,
        x_label_rotation=0,
        truncate_label=-1,
        title=_("Held and required deposit over time"),
        x_value_formatter=lambda at: i18n.day(at, zone),
        value_formatter=lambda minor: i18n.money(Money(currency, int(minor))),
    )
    chart.add(_("Held"), _steps(held, now) or [(start, 0), (now, 0)])
    chart.add(_("Required"), _steps(required, now))
    svg = chart.render(is_unicode=True)
    return Markup(svg)


def sla_bars(counts: Counter[str]) -> Markup:
    """Applications waiting for review by SLA state (REF-5), one bar each."""
    states = (
        ("on_time", _("On time"), "#116329"),
        ("due_today", _("Due today"), "#7a4a00"),
        ("late", _("Late"), "#a40e26"),
    )
    top = max([counts.get(code, 0) for code, _label, _colour in states] + [1])
    step = max(1, -(-top // 5))
    chart = pygal.Bar(
        style=Style(
            background="#ffffff",
            plot_background="#ffffff",
            foreground="#1b1f24",
            foreground_strong="#1b1f24",
            foreground_subtle="#4a5561",
            colors=("#0b5394",),
            font_family="system-ui, sans-serif",
            label_font_size=18,
            major_label_font_size=18,
            value_font_size=20,
            title_font_size=20,
        ),
        js=[],
        disable_xml_declaration=True,
        width=640,
        height=280,
        margin=10,
        show_legend=False,
        print_values=True,
        title=_("Applications by review clock"),
        x_labels=[label for _code, label, _colour in states],
        y_labels=list(range(0, top + step, step)),
        value_formatter=lambda v: f"{int(v)}",
    )
    chart.add(
        _("Applications"),
        [{"value": counts.get(code, 0), "color": colour} for code, _label, colour in states],
    )
    return Markup(chart.render(is_unicode=True))
