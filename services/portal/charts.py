"""Server-rendered SVG charts for the supervisors' figures: no script, no CDN, readable offline.

Each chart is a <figure>: an SVG with <title> and <desc> (role="img"), and the same numbers as
a table underneath, so a screen reader, a printout or a copy into a spreadsheet gets them too.
Callers pass every text already translated; this module only lays out and escapes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH = 360  # drawn 1:1 on a phone; the page caps it at 560 px on wider screens
LABEL_W = 100
VALUE_W = 40
BAR_H = 16
GAP = 8
LEGEND_H = 22
PALETTE = ("#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d")
COLOURS = {"red": "#b91c1c", "yellow": "#ca8a04", "green": "#15803d"}
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One kind of bar: its shown name, colour and a value per category key."""

    name: str
    values: dict[str, float]
    colour: str = ""


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _fit(text: str, width: int) -> str:
    """Shorten a label to about `width` px (CJK characters count double)."""
    budget, out = width // 7, ""
    for ch in text:
        budget -= 2 if ord(ch) > 0x2E80 else 1
        if budget < 0:
            return out + "…"
        out += ch
    return out


def bar_chart(
    title: str,
    categories: Sequence[tuple[str, str]],
    series: Sequence[Series],
    *,
    desc: str,
    numbers: str,
    stacked: bool = False,
    unit: str = "",
    empty: str = "",
) -> Markup:
    """Horizontal bars, one row per (key, shown label) in `categories`; several series are
    drawn side by side or, `stacked`, end to end. `numbers` titles the table of values."""
    if not categories or not series:
        return Markup('<p class="fq-muted">{}</p>').format(empty)
    n = next(_ids)
    colours = [s.colour or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    per_row = 1 if stacked or len(series) == 1 else len(series)
    row_h = per_row * BAR_H + GAP
    legend = LEGEND_H if len(series) > 1 else 0
    height = legend + len(categories) * row_h + GAP
    totals = [
        (sum if stacked else max)(s.values.get(k, 0.0) for s in series) for k, _ in categories
    ]
    top = max(totals, default=0.0) or 1.0
    span = WIDTH - LABEL_W - VALUE_W
    parts: list[str] = []
    for i, (s, colour) in enumerate(zip(series, colours, strict=True)):
        lx = i * 110
        parts.append(
            f'<rect x="{lx}" y="4" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 16}" y="14" font-size="12">{escape(_fit(s.name, 90))}</text>'
        )
    for r, (key, label) in enumerate(categories):
        y0 = legend + r * row_h + GAP // 2
        mid = y0 + per_row * BAR_H / 2 + 4
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{mid:.0f}" font-size="12" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_fit(label, LABEL_W - 10))}</text>"
        )
        x = float(LABEL_W)
        for i, (s, colour) in enumerate(zip(series, colours, strict=True)):
            value = s.values.get(key, 0.0)
            w = span * value / top
            y = y0 if stacked or per_row == 1 else y0 + i * BAR_H
            tip = f"{label} · {s.name}: {_number(value)}{unit}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H - 2}" '
                f'fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
            if stacked:
                x += w
            elif per_row > 1:
                parts.append(
                    f'<text x="{LABEL_W + w + 4:.1f}" y="{y + BAR_H - 3}" font-size="11">'
                    f"{_number(value)}</text>"
                )
        if stacked or per_row == 1:
            parts.append(
                f'<text x="{(x if stacked else LABEL_W + span * totals[r] / top) + 4:.1f}" '
                f'y="{mid:.0f}" font-size="11">{_number(totals[r])}{escape(unit)}</text>'
            )
    svg = (
        f'<svg class="fq-chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="fq-chart-{n}-t fq-chart-{n}-d" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="sans-serif">'
        f'<title id="fq-chart-{n}-t">{escape(title)}</title>'
        f'<desc id="fq-chart-{n}-d">{escape(desc)}</desc>{"".join(parts)}</svg>'
    )
    return Markup(svg) + _table(numbers, categories, series, stacked=stacked)


def _table(
    caption: str, categories: Iterable[tuple[str, str]], series: Sequence[Series], *, stacked: bool
) -> Markup:
    head = "".join(f'<th scope="col">{escape(s.name)}</th>' for s in series)
    rows = []
    for key, label in categories:
        cells = "".join(f"<td>{_number(s.values.get(key, 0.0))}</td>" for s in series)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    return Markup(
        f'<details class="fq-numbers"><summary>{escape(caption)}</summary>'
        f'<table class="fq-table"><thead><tr><td></td>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></details>"
    )


@dataclass(frozen=True)
class ChartSpec:
    """A chart in message ids: `draw` translates them with the page's gettext. Category
    labels are translated only when `translate_labels` (stage names, not township names)."""

    chart_id: str
    title: str
    desc: str
    categories: list[tuple[str, str]]
    series: list[tuple[str, dict[str, float], str]] = field(default_factory=list)
    stacked: bool = False
    unit: str = ""
    translate_labels: bool = False


def draw(spec: ChartSpec, gettext: Callable[[str], str]) -> Markup:
    labels = [
        (key, str(gettext(label)) if spec.translate_labels else label)
        for key, label in spec.categories
    ]
    series = [Series(str(gettext(name)), values, colour) for name, values, colour in spec.series]
    return bar_chart(
        str(gettext(spec.title)),
        labels,
        series,
        desc=str(gettext(spec.desc)),
        numbers=str(gettext("The numbers")),
        stacked=spec.stacked,
        unit=spec.unit,
        empty=str(gettext("No data yet.")),
    )
