"""An inline SVG bar chart of failing findings by family and severity, for the HTML report.

Drawn in Python so the page needs no script, no library and no external resource. Every text
is escaped here; the result is safe markup to place in the page as is.
"""

from __future__ import annotations

from markupsafe import Markup, escape

COLORS = {
    "critical": "#9b1c1c",
    "high": "#d9480f",
    "medium": "#e8a200",
    "low": "#1c6fd6",
    "info": "#7a828a",
    "error": "#6b3fa0",
}
_WIDTH = 760
_CHAR = 6.8  # average width of a 12 px sans-serif character, to size the names' column
_ROW = 30
_BAR = 18
_TOP = 10
_LEGEND = 34


def bar_chart(
    rows: list[tuple[str, dict]], series: list[tuple[str, str]], title: str, empty: str
) -> Markup:
    """rows: (family label, {series key: count}); series: (key, legend label) in stacking order.
    One horizontal stacked bar per row, the count written in each segment wide enough and at the
    end of the bar; a legend under the bars."""
    peak = max([sum(counts.values()) for _, counts in rows] + [1])
    label_width = int(min(max([len(label) for label, _ in rows] + [10]) * _CHAR + 16, _WIDTH / 2))
    plot = _WIDTH - label_width - 50
    height = _TOP + _ROW * max(len(rows), 1) + _LEGEND
    out = [
        (
            f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {_WIDTH}'
            f' {height}" width="{_WIDTH}" height="{height}" font-family="sans-serif"'
            ' font-size="12">'
        ),
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, counts) in enumerate(rows):
        y = _TOP + index * _ROW
        out.append(f'<g class="chart-row" data-family="{escape(label)}">')
        out.append(
            f'<text x="{label_width - 8}" y="{y + _BAR - 5}" text-anchor="end"'
            f' fill="#222">{escape(label)}</text>'
        )
        out.append(
            f'<line x1="{label_width}" y1="{y - 4}" x2="{label_width}" y2="{y + _BAR + 4}"'
            ' stroke="#999"/>'
        )
        x = float(label_width)
        total = 0
        for key, name in series:
            n = counts.get(key, 0)
            if not n:
                continue
            width = plot * n / peak
            out.append(
                f'<rect class="bar bar-{escape(key)}" x="{x:.1f}" y="{y}" width="{width:.1f}"'
                f' height="{_BAR}" fill="{COLORS.get(key, "#555")}"><title>{escape(label)} —'
                f" {escape(name)} : {n}</title></rect>"
            )
            if width >= 16:
                out.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + _BAR - 5}" text-anchor="middle"'
                    f' fill="#fff">{n}</text>'
                )
            x += width
            total += n
        out.append(
            f'<text x="{x + 6:.1f}" y="{y + _BAR - 5}"'
            f' fill="#222">{total if total else escape(empty)}</text>'
        )
        out.append("</g>")
    y = _TOP + _ROW * max(len(rows), 1) + 8
    x = float(label_width)
    out.append('<g class="chart-legend">')
    for key, name in series:
        out.append(
            f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{COLORS.get(key, "#555")}"/>'
        )
        out.append(f'<text x="{x + 16:.1f}" y="{y + 10}" fill="#222">{escape(name)}</text>')
        x += 22 + 7 * len(name)
    out.append("</g></svg>")
    return Markup("".join(out))
