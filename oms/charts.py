"""Server-side SVG charts for the dashboards: bar, line (several series) and funnel, drawn from
plain ``(label, value)`` lists into an SVG string. No JavaScript: each bar or point carries a
``<title>`` (the browser shows it as a tooltip), the chart has ``role="img"`` and an
``aria-label`` that says what it shows, and numbers are written the Dutch way (``1.234,5``).

    bar_chart([("web", 120), ("phone", 30)], label="Orders today by channel")
    line_chart({"web": [("01-11", 10.5), ...], "phone": [...]}, label="Revenue by channel", money=True)
    funnel_chart([("Placed", 1000), ("Shipped", 900), ("Paid", 850)], label="Order to cash")

The result is safe to put in a template as is (``mark_safe``): every label is escaped here.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 12, 12, 40
# Colour-blind friendly series colours (Okabe-Ito), in series order.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def number(value, decimals: int = 0) -> str:
    """``1234.5`` -> ``1.234,5`` (Dutch grouping and decimal comma)."""
    text = f"{abs(Decimal(str(value))):,.{decimals}f}"
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"-{text}" if Decimal(str(value)) < 0 else text


def _value_text(value, money: bool) -> str:
    return f"€ {number(value, 2)}" if money else number(value, 0 if float(value).is_integer() else 1)


def _axis_text(value: float, money: bool) -> str:
    prefix = "€ " if money else ""
    if value >= 10_000:
        return f"{prefix}{number(value / 1000, 0)}k"
    return f"{prefix}{number(value, 0 if float(value).is_integer() else 1)}"


def _nice_max(value: float) -> float:
    """A round axis top at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10.0 * power


def _svg(label: str, body: list[str], height: int = HEIGHT, testid: str = "") -> SafeString:
    test = f' data-testid="{escape(testid)}"' if testid else ""
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="oms-chart" role="img" '
        f'aria-label="{escape(label)}"{test} preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _grid(top: float, money: bool, ticks: int = 4) -> list[str]:
    """Horizontal grid lines with their value labels on the left axis."""
    parts = []
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    for i in range(ticks + 1):
        value = top * i / ticks
        y = MARGIN_TOP + plot_h - plot_h * i / ticks
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            f'stroke="#dee2e6" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#6c757d">'
            f"{escape(_axis_text(value, money))}</text>"
        )
    return parts


def _x_label(x: float, text: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="middle" font-size="11" fill="#495057">'
        f"{escape(text)}</text>"
    )


def bar_chart(rows: list[tuple[str, float]], *, label: str, money: bool = False, testid: str = "") -> SafeString:
    """One bar per ``(label, value)``, labelled below, with the value in its tooltip."""
    top = _nice_max(max((float(v) for _, v in rows), default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    body = _grid(top, money)
    slot = plot_w / max(len(rows), 1)
    for i, (name, value) in enumerate(rows):
        h = plot_h * float(value) / top
        x = MARGIN_LEFT + slot * i + slot * 0.15
        y = MARGIN_TOP + plot_h - h
        text = f"{name}: {_value_text(value, money)}"
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{COLOURS[0]}" data-label="{escape(str(name))}" data-value="{escape(str(value))}">'
            f"<title>{escape(text)}</title></rect>"
        )
        body.append(_x_label(MARGIN_LEFT + slot * i + slot / 2, str(name)))
    return _svg(label, body, testid=testid)


def line_chart(
    series: dict[str, list[tuple[str, float]]], *, label: str, money: bool = False, testid: str = "", every: int = 5
) -> SafeString:
    """One line per series over the same x labels (taken from the first series); a legend on
    top, a dot with a tooltip per point, every ``every``-th x label written."""
    names = list(series)
    xs = [x for x, _ in series[names[0]]] if names else []
    top = _nice_max(max((float(v) for points in series.values() for _, v in points), default=0))
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    body = _grid(top, money)
    step = plot_w / max(len(xs) - 1, 1)
    for i, x_label in enumerate(xs):
        if i % every == 0 or i == len(xs) - 1:
            body.append(_x_label(MARGIN_LEFT + step * i, x_label))
    for s, name in enumerate(names):
        colour = COLOURS[s % len(COLOURS)]
        coords = [
            (MARGIN_LEFT + step * i, MARGIN_TOP + plot_h - plot_h * float(v) / top)
            for i, (_, v) in enumerate(series[name])
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(
            f'<polyline class="series" data-series="{escape(name)}" points="{path}" fill="none" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        for (x, y), (x_label, v) in zip(coords, series[name], strict=True):
            body.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(f'{name} {x_label}: {_value_text(v, money)}')}</title></circle>"
            )
        lx = MARGIN_LEFT + 8 + s * 110
        body.append(
            f'<rect x="{lx}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{HEIGHT - 5}" font-size="11" fill="#212529">{escape(name)}</text>'
        )
    return _svg(label, body, testid=testid)


def funnel_chart(rows: list[tuple[str, float]], *, label: str, testid: str = "") -> SafeString:
    """Horizontal bars, widest first, each with its count and share of the first step."""
    bar_h, gap, left = 26, 8, 150
    height = MARGIN_TOP * 2 + len(rows) * (bar_h + gap)
    first = float(rows[0][1]) if rows and rows[0][1] else 0.0
    plot_w = WIDTH - left - 110
    body = []
    for i, (name, value) in enumerate(rows):
        share = float(value) / first if first else 0.0
        w = max(plot_w * share, 1.0)
        y = MARGIN_TOP + i * (bar_h + gap)
        x = left + (plot_w - w) / 2
        percent = number(share * 100, 0)
        colour = COLOURS[i % len(COLOURS)]
        text = f"{name}: {number(value)} ({percent}%)"
        body.append(
            f'<text x="{left - 8}" y="{y + bar_h * 0.68:.1f}" text-anchor="end" font-size="12" fill="#212529">'
            f"{escape(str(name))}</text>"
            f'<rect class="bar" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}" '
            f'data-label="{escape(str(name))}" data-value="{escape(str(value))}"><title>{escape(text)}</title></rect>'
            f'<text x="{left + plot_w + 8}" y="{y + bar_h * 0.68:.1f}" font-size="12" fill="#212529">'
            f"{escape(number(value))} · {percent}%</text>"
        )
    return _svg(label, body, height=height, testid=testid)
