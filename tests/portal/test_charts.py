"""The SVG charts: a title and description for screen readers, the same numbers as a table,
everything escaped, bars proportional to their values."""

from __future__ import annotations

import re

from services.portal.charts import ChartSpec, Series, bar_chart, draw


def test_bars_are_proportional_and_the_numbers_are_a_table() -> None:
    html = str(
        bar_chart(
            "在办案件",
            [("a", "头营镇"), ("b", "三营镇")],
            [Series("红色", {"a": 4, "b": 2}, "#b91c1c")],
            desc="各乡镇",
            numbers="具体数字",
        )
    )
    assert re.search(r'<svg class="fq-chart" role="img" [^>]*aria-labelledby="(\S+) (\S+)"', html)
    assert "<title id=" in html and "<desc id=" in html and "各乡镇" in html
    widths = [float(w) for w in re.findall(r'<rect x="100.0" y="\d+" width="([\d.]+)"', html)]
    assert widths[0] == 2 * widths[1] > 0
    assert '<th scope="row">头营镇</th><td>4</td>' in html
    assert '<th scope="col">红色</th>' in html and "<summary>具体数字</summary>" in html


def test_stacked_series_end_to_end_and_labels_are_escaped() -> None:
    html = str(
        bar_chart(
            "<b>",
            [("x", "<script>")],
            [Series("a", {"x": 1}), Series("b", {"x": 3})],
            desc="d",
            numbers="n",
            stacked=True,
        )
    )
    assert "<script>" not in html and "&lt;script&gt;" in html and "<title id" in html
    rects = re.findall(r'<rect x="([\d.]+)" y="\d+" width="([\d.]+)" height', html)
    (x1, w1), (x2, _w2) = rects[-2:]
    assert abs(float(x1) + float(w1) - float(x2)) < 0.2  # the second starts where the first ends
    assert ">4</text>" in html  # the total


def test_draw_translates_message_ids_but_not_data() -> None:
    zh = {"Points": "积分", "Issued": "发放", "The numbers": "具体数字", "d": "说明"}
    spec = ChartSpec("p", "Points", "d", [("2026-11", "2026-11")], [("Issued", {"2026-11": 5}, "")])
    html = str(draw(spec, lambda m: zh.get(m, m)))
    assert "发放" in html and "Issued" not in html and "2026-11" in html
    assert "<title id" in html and ">积分</title>" in html
    empty = ChartSpec("e", "Points", "d", [], [])
    assert "fq-muted" in str(draw(empty, lambda m: zh.get(m, m)))
