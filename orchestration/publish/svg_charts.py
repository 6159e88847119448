"""Small inline-SVG charts for the dashboard: no JavaScript, no fonts or files from elsewhere, so the page
reads the same offline, in a mail client and in a browser. Every chart is an <svg class="chart"> with a
<title> per mark (the hover text)."""

from dataclasses import dataclass
from html import escape

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    color: str


def svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>'
    )


def text(x: float, y: float, content: str, anchor: str = "start", css: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">{escape(content)}</text>'


def labelled(count: int, most: int = 6) -> set[int]:
    """The x positions that get a label: evenly spaced, counted back from the newest so that it always has one."""
    every = max(1, -(-count // most))
    return {i for i in range(count) if (count - 1 - i) % every == 0}


def funnel(stages: list[tuple[str, float]], pass_rates: list[str], label: str, width: int = 360) -> str:
    """Horizontal bars, one per stage, widths relative to the first stage; each membrane's pass rate
    is written between the two stages it joins."""
    bar_height, gap, label_width = 20, 16, 110
    top = max((count for _, count in stages), default=0) or 1
    body, y = [], 4
    for index, (name, count) in enumerate(stages):
        bar = max((width - label_width - 70) * count / top, 1)
        body.append(text(0, y + 14, name, css="axis"))
        body.append(
            f'<rect x="{label_width}" y="{y}" width="{bar:.1f}" height="{bar_height}" fill="{PALETTE[0]}" '
            f'opacity="{1 - index * 0.13:.2f}"><title>{escape(name)}: {count:,.0f}</title></rect>'
        )
        body.append(text(label_width + bar + 4, y + 14, f"{count:,.0f}", css="value"))
        if index < len(pass_rates):
            body.append(text(label_width + 6, y + bar_height + 12, f"↓ {pass_rates[index]}", css="rate"))
        y += bar_height + gap
    return svg(width, y, body, label)


def line_chart(
    x_labels: list[str], series: list[Series], label: str, value_format=lambda v: f"{v:.0%}",
    marked: dict[tuple[int, int], str] | None = None, reference: tuple[float, str] | None = None,
    width: int = 560, height: int = 200, legend: bool = False,
) -> str:
    """Lines over the x labels; `marked` puts a red ring on a point, keyed by (series index, point index),
    with its reason as hover text (a drift alert); `reference` draws a dashed horizontal line (a target);
    `legend` names the series under the chart."""
    left, right, top, bottom = 44, 10, 10, 34
    legend_rows = -(-len(series) // 2) if legend else 0
    height += legend_rows * 14
    values = [v for s in series for v in s.values if v is not None]
    if reference:
        values.append(reference[0])
    if not values or not x_labels:
        return svg(width, 40, [text(0, 24, "—", css="axis")], label)
    low, high = min(0.0, min(values)), max(values) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom - legend_rows * 14
    step = plot_w / max(len(x_labels) - 1, 1)

    def x(i: int) -> float:
        return left + i * step

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / ((high - low) or 1))

    body = []
    for fraction in (0, 0.5, 1):
        level = low + (high - low) * fraction
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(level):.1f}" y2="{y(level):.1f}" class="grid"/>')
        body.append(text(left - 4, y(level) + 4, value_format(level), anchor="end", css="axis"))
    for i in labelled(len(x_labels), most=max(2, width // 110)):
        anchor = "end" if i == len(x_labels) - 1 and len(x_labels) > 1 else "middle"  # the newest stays inside
        body.append(text(x(i) + (4 if anchor == "end" else 0), top + plot_h + 16, x_labels[i], anchor=anchor,
                         css="axis"))
    if reference:
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(reference[0]):.1f}" y2="{y(reference[0]):.1f}" '
                    f'class="reference"><title>{escape(reference[1])}</title></line>')
    for s in series:
        runs, current = [], []
        for i, v in enumerate(s.values):
            if v is None:
                runs, current = runs + [current] if current else runs, []
            else:
                current.append(f"{x(i):.1f},{y(v):.1f}")
        runs += [current] if current else []
        for run in runs:
            body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for i, v in enumerate(s.values):
            if v is not None:
                body.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{s.color}">'
                            f'<title>{escape(s.name)} {escape(x_labels[i])}: {escape(value_format(v))}</title></circle>')
    for (k, i), reason in (marked or {}).items():
        v = series[k].values[i] if k < len(series) and i < len(series[k].values) else None
        if v is not None:
            body.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="7" class="alert-mark">'
                        f'<title>{escape(reason)}</title></circle>')
    for k, s in enumerate(series if legend else []):
        column, row = k % 2, k // 2
        legend_x, legend_y = left + column * plot_w / 2, top + plot_h + 34 + row * 14
        body.append(f'<line x1="{legend_x:.1f}" x2="{legend_x + 14:.1f}" y1="{legend_y - 4:.1f}" '
                    f'y2="{legend_y - 4:.1f}" stroke="{s.color}" stroke-width="2"/>')
        body.append(text(legend_x + 18, legend_y, s.name, css="axis"))
    return svg(width, height, body, label)


def bars(
    x_labels: list[str], series: list[Series], label: str, value_format=lambda v: f"{v:,.0f}",
    width: int = 560, height: int = 200,
) -> str:
    """Grouped vertical bars, one group per x label."""
    left, right, top, bottom = 54, 10, 10, 34
    values = [v for s in series for v in s.values if v is not None]
    if not values or not x_labels:
        return svg(width, 40, [text(0, 24, "—", css="axis")], label)
    high = max(values) or 1.0
    plot_w, plot_h = width - left - right, height - top - bottom
    group = plot_w / len(x_labels)
    bar_w = group * 0.8 / len(series)
    body = []
    for fraction in (0, 0.5, 1):
        level_y = top + plot_h * (1 - fraction)
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{level_y:.1f}" y2="{level_y:.1f}" class="grid"/>')
        body.append(text(left - 4, level_y + 4, value_format(high * fraction), anchor="end", css="axis"))
    shown = labelled(len(x_labels), most=max(2, width // 110))
    for i, name in enumerate(x_labels):
        if i in shown:
            body.append(text(left + group * (i + 0.5), height - bottom + 16, name, anchor="middle", css="axis"))
        for k, s in enumerate(series):
            v = s.values[i]
            if v is None:
                continue
            h = plot_h * max(v, 0) / high
            body.append(
                f'<rect x="{left + group * i + group * 0.1 + k * bar_w:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}" fill="{s.color}">'
                f'<title>{escape(s.name)} {escape(name)}: {escape(value_format(v))}</title></rect>'
            )
    return svg(width, height, body, label)
