"""The weekly load history as one offline HTML file: distance by spike category, the cap, and the PMC.

Pure until ``write_load_chart``'s last step: rows in, a Plotly figure and an HTML string out. plotly.js is
embedded (no CDN), so the file opens without a network, years later, on any machine.
"""

from __future__ import annotations

import html
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gluteguard.load.rules import LoadRules, load_rules
from gluteguard.load.weeks import NO_RUNS, SPIKE_ORDER, WeekDetail, WeekRow, category_labels
from gluteguard.reports.files import write_atomic

# Colour and a text mark on the bar both carry the category, so it survives grey print and colour blindness.
COLOURS = {"no_history": "#9e9e9e", "none": "#6aa56e", "small": "#e8c547", "moderate": "#ef8a2b", "large": "#c0392b"}
SPIKES = ("small", "moderate", "large")  # the categories Frandsen 2025 linked with more injuries
PMC_LINES = (("ctl", "fitness (CTL)", "#1f6fb4"), ("atl", "fatigue (ATL)", "#c2185b"), ("tsb", "form (TSB)", "#555"))
DIAMOND = {"symbol": "diamond", "size": 8, "color": "#222"}
CAP_LINE = {"color": "#1b5e20", "dash": "dash", "shape": "hv"}  # the cap holds until the next run changes it


def _km(metres: float | None) -> str:
    return "—" if metres is None else f"{metres / 1000:.1f} km"


def _hover(r: WeekRow, labels: dict[str, str], detail: WeekDetail | None = None) -> str:
    text = (
        f"<b>week of {r.week_start}</b><br>{_km(r.run_distance_m)} in {r.runs} runs, longest {_km(r.longest_run_m)}"
        f"<br>biggest spike: {labels.get(r.worst_spike, r.worst_spike)}<br>cap for the next run at week end: "
        f"{_km(r.cap_at_end_m)}<br>fitness {r.ctl:.1f}, fatigue {r.atl:.1f}, form {r.tsb:+.1f} (km/day)"
        f"<br>no-data days: {r.no_data_days}"
    )
    if detail is not None and detail.runs:  # the runs behind the bar, each with its own spike category
        runs = "".join(
            f"<br>• {run.date}: {_km(run.distance_m)} ({labels.get(run.spike_category, run.spike_category)})"
            for run in detail.runs
        )
        text += f"<br><b>runs</b>{runs}"
    return text


def build_figure(
    rows: list[WeekRow], rules: LoadRules | None = None, details: dict[str, WeekDetail] | None = None
) -> go.Figure:
    """The weekly chart. With ``details`` (``services.load.weekly_details``) each bar's hover lists the week's runs
    and a third panel shows the week's monotony; without them the figure is the two-panel one of the report."""
    rules = rules or load_rules()
    labels = category_labels(rules)
    weeks = [r.week_start for r in rows]
    titles = (
        "Kilometres run each week, coloured by the biggest single-run spike of the week",
        "Fitness, fatigue and form, in running km per day — context, not a verdict",
    )
    panels = 2
    if details is not None:
        panels = 3
        titles = (*titles, "Monotony of each week's running (mean ÷ SD of daily km) — context, not a verdict")
    fig = make_subplots(
        rows=panels, cols=1, shared_xaxes=True, vertical_spacing=0.12 if panels == 2 else 0.08, subplot_titles=titles
    )
    # One bar trace per category gives the legend its entries; each week has its bar in exactly one trace.
    for name in (*SPIKE_ORDER, NO_RUNS):
        group = [r for r in rows if r.worst_spike == name]
        if not group:
            continue
        marker = {"color": COLOURS.get(name, "#d0d0d0"), "line": {"color": "#333", "width": 0.5}}
        marker["pattern"] = {"shape": ["x" if r.no_data_days else "" for r in group]}  # no-data weeks hatched
        bar = go.Bar(
            x=[r.week_start for r in group],
            y=[r.run_distance_m / 1000 for r in group],
            name=labels.get(name, name),
            legendgroup=name or "no_runs",
            marker=marker,
            hovertext=[_hover(r, labels, (details or {}).get(r.week_start)) for r in group],
            hovertemplate="%{hovertext}<extra></extra>",
            text=[name if name in SPIKES else "" for r in group],
            textposition="outside",
        )
        fig.add_trace(bar, row=1, col=1)
    cap_name = f"cap for the next run at week end ({rules.cap_factor:.2f} × the 30-day longest run)"
    lines = [
        (1, "longest run of the week", [r.longest_run_m / 1000 for r in rows], {"mode": "markers", "marker": DIAMOND}),
        (1, cap_name, [r.cap_at_end_m / 1000 if r.cap_at_end_m else None for r in rows], {"line": CAP_LINE}),
        *((2, name, [getattr(r, a) for r in rows], {"line": {"color": c}}) for a, name, c in PMC_LINES),
    ]
    for row, name, ys, style in lines:
        fig.add_trace(go.Scatter(x=weeks, y=ys, name=name, hovertemplate=f"{name}: %{{y:.1f}}", **style), row, 1)
    if details is not None:
        monotony = [details[r.week_start].monotony if r.week_start in details else None for r in rows]
        line = go.Scatter(x=weeks, y=monotony, name="monotony (week)", mode="lines+markers",
                          line={"color": "#6a1b9a"}, hovertemplate="monotony: %{y:.2f}")  # fmt: skip
        fig.add_trace(line, 3, 1)
    # Shade weeks holding no-data days on every panel: unknown, not rest.
    for i, r in enumerate(rows):
        if r.no_data_days:
            text = f"no data ({r.no_data_days} d)"
            fig.add_vrect(i - 0.5, i + 0.5, fillcolor="#bdbdbd", opacity=0.35, line_width=0, annotation_text=text)
    span = f"{weeks[0]} to {weeks[-1]}" if weeks else "none yet"
    fig.update_layout(
        title=f"Weekly running and the next-run cap — weeks starting {span}",
        barmode="overlay",
        height=780 if panels == 2 else 1000,
        template="plotly_white",
        legend={"title": {"text": "each week's bar, and the lines"}},
    )
    # Categories keep the weeks in calendar order whichever trace (spike category) names a week first.
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[row.week_start for row in rows])
    fig.update_xaxes(title_text="week starting (Monday)", row=panels, col=1)
    fig.update_yaxes(title_text="kilometres", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="running km per day", row=2, col=1)
    if panels == 3:
        fig.update_yaxes(title_text="monotony", rangemode="tozero", row=3, col=1)
    return fig


def render_html(rows: list[WeekRow], rules: LoadRules | None = None) -> str:
    """The whole page: plotly.js inline, and the sources as plain text below the chart."""
    rules = rules or load_rules()
    fig = build_figure(rows, rules)
    # A fixed div id keeps the output byte-identical for identical rows.
    div = fig.to_html(include_plotlyjs=True, full_html=False, div_id="load-chart", config={"displaylogo": False})
    notes = (
        f"Spikes: each run against the longest run of the {rules.spike_window_days} days before it — "
        f"{rules.spike_source}. Cap: {rules.cap_source}.",
        f"Fitness (CTL, {rules.ctl_days}-day), fatigue (ATL, {rules.atl_days}-day) and form (TSB, yesterday's "
        f"fitness − fatigue), load = running km per day: {rules.pmc_source}. {rules.week_context_note}",
        f"Hatched bars and grey weeks hold no-data days ({rules.no_data_min_gap_days}+ days without any activity): "
        "the watch was not worn or the history not imported — unknown, not rest.",
    )
    paragraphs = "\n".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>gluteguard: weekly running load'
        "</title><style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:1em auto;padding:0 1em}"
        "p{font-size:0.85em;color:#444}</style></head><body>\n"
        f"{div}\n<footer><h2>Sources</h2>\n{paragraphs}\n</footer></body></html>\n"
    )


def write_load_chart(rows: list[WeekRow], path: Path) -> None:
    """Write the chart atomically: readers never see half a file, and a failed write leaves none behind."""
    write_atomic(path, render_html(rows).encode("utf-8"), "chart")


def wrap_titles(fig: go.Figure, width: int = 44) -> go.Figure:
    """Break the panel titles into lines of at most ``width`` characters, so they fit a phone's screen."""
    import textwrap

    fig.for_each_annotation(lambda a: a.update(text="<br>".join(textwrap.wrap(a.text, width))) if a.text else None)
    return fig
