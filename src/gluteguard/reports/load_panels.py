"""The Load page's charts for a phone as much as a desk: one small chart per question, each with a title, a legend
and a caption in plain words written for this runner, in the page's HTML rather than inside the plot.

Why not the report's three-panel figure (``load_chart.build_figure``): on a 390 px screen its toolbar covered the
titles, the legend and the dates ran off the right edge, the "no data" labels printed over each other and the tap
tooltip (listing every run) was clipped. Here every chart has no toolbar, a real date axis that thins its own ticks,
short tooltips, and shading without labels (the caption says what grey means). Pure: rows in, text and figures out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import plotly.graph_objects as go

from gluteguard.load.rules import LoadRules, load_rules
from gluteguard.load.weeks import NO_RUNS, SPIKE_ORDER, WeekDetail, WeekRow, category_labels
from gluteguard.reports.load_chart import CAP_LINE, COLOURS, DIAMOND, SPIKES

# Touch screens get no toolbar (it covered the titles); every chart resizes with its box.
PHONE_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True, "scrollZoom": False}
PANEL_HEIGHT_PX = 280
WEEK_MS = 7 * 24 * 3600 * 1000  # a week on a date axis: each point sits in the middle of its week
LINE_COLOURS = {"fitness": "#1f6fb4", "fatigue": "#c2185b", "form": "#555555", "monotony": "#6a1b9a"}


@dataclass(frozen=True)
class LegendItem:
    label: str
    colour: str
    shape: str = "box"  # box | line | dashed | diamond


@dataclass(frozen=True)
class ChartPanel:
    """One chart of the page: its heading, the plain-words caption for this runner, its legend, and the figure."""

    id: str
    title: str
    caption: str
    legend: tuple[LegendItem, ...]
    figure: go.Figure = field(repr=False, compare=False)

    def html(self) -> str:
        return self.figure.to_html(include_plotlyjs=False, full_html=False, div_id=self.id, config=PHONE_CONFIG)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _when(text: str) -> str:
    day = _day(text)
    return f"{day.day} {day.strftime('%b')}"


def _km(metres: float) -> str:
    kilometres = metres / 1000
    return f"{kilometres:.0f} km" if kilometres >= 10 else f"{kilometres:.1f} km"


def _layout(figure: go.Figure, y_title: str) -> go.Figure:
    figure.update_layout(
        height=PANEL_HEIGHT_PX,
        autosize=True,
        template="plotly_white",
        showlegend=False,  # the legend is HTML under the chart: it wraps on a phone instead of running off
        margin={"l": 44, "r": 8, "t": 8, "b": 36},
        hovermode="closest",
        hoverlabel={"align": "left", "font": {"size": 13}},
        dragmode=False,  # a swipe scrolls the page, it does not pan the chart
        bargap=0.15,
    )
    figure.update_xaxes(type="date", tickformat="%d %b", nticks=6, fixedrange=True, showgrid=False)
    figure.update_yaxes(title_text=y_title, rangemode="tozero", fixedrange=True, title_standoff=4)
    return figure


def _shade_no_data(figure: go.Figure, rows: list[WeekRow]) -> None:
    for row in rows:
        if row.no_data_days:
            start = _day(row.week_start)
            figure.add_vrect(x0=start.isoformat(), x1=date.fromordinal(start.toordinal() + 7).isoformat(),
                             fillcolor="#bdbdbd", opacity=0.3, line_width=0)  # fmt: skip


def distance_panel(rows: list[WeekRow], rules: LoadRules) -> ChartPanel:
    labels = category_labels(rules)
    figure = go.Figure()
    for name in (*SPIKE_ORDER, NO_RUNS):
        group = [r for r in rows if r.worst_spike == name]
        if not group:
            continue
        figure.add_bar(
            x=[r.week_start for r in group],
            y=[r.run_distance_m / 1000 for r in group],
            marker={"color": COLOURS.get(name, "#d0d0d0"), "line": {"color": "#333", "width": 0.5}},
            text=[name if name in SPIKES else "" for r in group],
            textposition="outside",
            textfont={"size": 11},
            cliponaxis=False,  # the word over the tallest bar stays readable
            xperiod=WEEK_MS,
            xperiodalignment="middle",
            hovertemplate=[
                f"week of {_when(r.week_start)}: {_km(r.run_distance_m)} in {r.runs} runs, longest"
                f" {_km(r.longest_run_m)}<br>{labels.get(name, name)}<extra></extra>"
                for r in group
            ],
        )
    weeks = [r.week_start for r in rows]
    figure.add_scatter(x=weeks, y=[r.longest_run_m / 1000 for r in rows], mode="markers", marker=DIAMOND,
                       xperiod=WEEK_MS, xperiodalignment="middle",
                       hovertemplate="longest run %{y:.1f} km<extra></extra>")  # fmt: skip
    figure.add_scatter(x=weeks, y=[r.cap_at_end_m / 1000 if r.cap_at_end_m else None for r in rows],
                       line=CAP_LINE, mode="lines", xperiod=WEEK_MS, xperiodalignment="middle",
                       hovertemplate="cap %{y:.1f} km<extra></extra>")  # fmt: skip
    _shade_no_data(figure, rows)
    _layout(figure, "km a week")
    cap = f"cap for the next run ({rules.cap_factor:.2f} × the longest run of the last 30 days)"
    legend = [
        LegendItem(labels[name], COLOURS[name]) for name in SPIKE_ORDER if any(r.worst_spike == name for r in rows)
    ]
    legend += [LegendItem("longest run of the week", "#222", "diamond"), LegendItem(cap, CAP_LINE["color"], "dashed")]
    if any(r.no_data_days for r in rows):
        legend.append(LegendItem("grey: days with no data (watch not worn or not imported)", "#bdbdbd"))
    return ChartPanel("load-distance", "Kilometres each week", distance_caption(rows), tuple(legend), figure)


def distance_caption(rows: list[WeekRow]) -> str:
    """What the weekly bars say about this runner, in two or three plain sentences."""
    ran = [r for r in rows if r.runs]
    if not ran:
        return "No runs in these weeks yet."
    biggest = max(ran, key=lambda r: r.run_distance_m)
    last = rows[-1]
    sentences = [
        f"Your biggest week was {_km(biggest.run_distance_m)} (week of {_when(biggest.week_start)}).",
        f"This week so far: {_km(last.run_distance_m)} in {last.runs} run{'s' if last.runs != 1 else ''}.",
    ]
    spiky = [r for r in rows if r.worst_spike in SPIKES]
    if spiky:
        worst = max(spiky, key=lambda r: SPIKES.index(r.worst_spike))
        sentences.append(
            f"{len(spiky)} week{'s' if len(spiky) != 1 else ''} held a run well beyond your longest of the month"
            f" before (the biggest: a {worst.worst_spike} spike, week of {_when(worst.week_start)})."
        )
    else:
        sentences.append("No run went well beyond your longest of the month before.")
    return " ".join(sentences)


def form_panel(rows: list[WeekRow], rules: LoadRules) -> ChartPanel:
    weeks = [r.week_start for r in rows]
    figure = go.Figure()
    for key, values in (("fitness", [r.ctl for r in rows]), ("fatigue", [r.atl for r in rows]),
                        ("form", [r.tsb for r in rows])):  # fmt: skip
        figure.add_scatter(x=weeks, y=values, mode="lines+markers", line={"color": LINE_COLOURS[key]},
                           xperiod=WEEK_MS, xperiodalignment="middle",
                           hovertemplate=f"{key} %{{y:.1f}} km a day<extra></extra>")  # fmt: skip
    _shade_no_data(figure, rows)
    _layout(figure, "km a day")
    figure.update_yaxes(rangemode="normal")  # form goes below zero
    fitness = f"fitness: your running over about {round(rules.ctl_days / 7)} weeks"
    legend = (
        LegendItem(fitness, LINE_COLOURS["fitness"], "line"),
        LegendItem(f"fatigue: your running over the last {rules.atl_days} days", LINE_COLOURS["fatigue"], "line"),
        LegendItem("form: fitness minus fatigue (below zero: more than you are used to)", LINE_COLOURS["form"], "line"),
    )
    return ChartPanel("load-form", "Fitness, fatigue and form", form_caption(rows, rules), legend, figure)


def form_caption(rows: list[WeekRow], rules: LoadRules) -> str:
    if not rows:
        return "No runs in these weeks yet."
    first, last = rows[0], rows[-1]
    trend = "up" if last.ctl > first.ctl + 0.1 else "down" if last.ctl < first.ctl - 0.1 else "level"
    band = rules.form_level_km_per_day
    form = (
        "you are running more than you are used to"
        if last.tsb < -band
        else "you are running less than you are used to"
        if last.tsb > band
        else "your recent running matches what you are used to"
    )
    tsb = round(last.tsb, 1) + 0.0  # no "-0.0"
    return (
        f"Your fitness is {last.ctl:.1f} km a day, {trend} from {first.ctl:.1f} in the week of"
        f" {_when(first.week_start)}. Form is {tsb:+.1f}: {form}. Context, not a verdict: the cap and the"
        " warnings above decide."
    )


def monotony_panel(rows: list[WeekRow], details: dict[str, WeekDetail], rules: LoadRules) -> ChartPanel:
    weeks = [r.week_start for r in rows]
    values = [details[w].monotony if w in details else None for w in weeks]
    figure = go.Figure()
    figure.add_scatter(x=weeks, y=values, mode="lines+markers", line={"color": LINE_COLOURS["monotony"]},
                       xperiod=WEEK_MS, xperiodalignment="middle",
                       hovertemplate="sameness %{y:.2f}<extra></extra>")  # fmt: skip
    figure.add_hline(y=rules.monotony_warning, line={"color": "#b26a00", "dash": "dot"})
    _shade_no_data(figure, rows)
    _layout(figure, "sameness")
    legend = (
        LegendItem("how alike the days of the week were (mean ÷ spread of daily km)", LINE_COLOURS["monotony"], "line"),
        LegendItem(f"above {rules.monotony_warning:g}: days too alike, too few easy or rest days", "#b26a00", "dashed"),
    )
    return ChartPanel("load-monotony", "How alike your days are", monotony_caption(values, rules), legend, figure)


def monotony_caption(values: list[float | None], rules: LoadRules) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "No weeks with runs yet."
    high = sum(1 for v in known if v > rules.monotony_warning)
    latest = known[-1]
    if high:
        return (
            f"{high} week{'s' if high != 1 else ''} had days that were too alike (above {rules.monotony_warning:g})."
            f" The latest: {latest:.2f}. Easy and rest days between harder ones bring it down."
        )
    return f"Your weeks mix harder, easier and rest days (the latest: {latest:.2f}, under {rules.monotony_warning:g})."


def load_panels(
    rows: list[WeekRow], details: dict[str, WeekDetail] | None = None, rules: LoadRules | None = None
) -> list[ChartPanel]:
    """The Load page's charts, in reading order; the sameness chart only when the weeks' details are given."""
    rules = rules or load_rules()
    panels = [distance_panel(rows, rules), form_panel(rows, rules)]
    if details is not None:
        panels.append(monotony_panel(rows, details, rules))
    return panels
