"""Sitting in work hours, day by day, as one offline HTML chart (plotly.js embedded, no CDN).

Only what a device or the check-in saw is drawn: a day without data gets no bar (a grey bar of "no data" minutes
stacked like time read as a day of sitting), and a stretch without any data gets no chart at all, only what will
appear and how to get it.
"""

from __future__ import annotations

import html

from gluteguard.sitting.day import SittingDay
from gluteguard.sitting.rules import load_rules
from gluteguard.wording import cited, plain

PAGE_HEAD = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
    'content="width=device-width, initial-scale=1"><title>gluteguard: sitting</title>'
    "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:1em auto;padding:0 1em}"
    "p{color:#444;font-size:.9em}.empty{font-size:1em;color:#222}</style></head><body>\n"
)
EMPTY = (
    "No watch data for these days yet. Sitting time, breaks and the longest spell in your work hours appear here "
    "as bars once you import a watch export (Apple Health, Garmin or Fitbit) on the Import page, or answer the "
    "check-in's sitting question on your work days."
)

ANNOTATE_MAX_DAYS = 14
DAYS_OFF = "No work hours on these days: sitting is measured in work hours only (set them in your profile)."


def _has_data(day: SittingDay) -> bool:
    return day.sitting_min is not None


def _missing(day: SittingDay) -> str:
    return "no watch data" if day.work_minutes else "day off"


def _hover(day: SittingDay) -> str:
    """One day's figures as the pointer shows them, saying where they come from."""
    if not _has_data(day):
        return _missing(day)
    if day.source == "self_reported":
        return f"{day.sitting_min} min sitting, from the check-in"
    text = f"{day.sitting_min} min sitting"
    if day.moving_min is not None:
        text += f", {day.moving_min} min moving"
    if day.unknown_min:
        text += f", {day.unknown_min} min the watch did not see"
    return text


def render_sitting_chart(days: list[SittingDay]) -> str:
    rules = load_rules()
    why = html.escape(f"Why breaks: {plain(rules.why)} (source: {cited(rules.why_source)}).")
    if not any(_has_data(d) for d in days):
        empty = EMPTY if any(d.work_minutes for d in days) else DAYS_OFF
        return f'{PAGE_HEAD}<p class="empty">{html.escape(empty)}</p>\n<p>{why}</p></body></html>\n'

    import plotly.graph_objects as go  # seconds to import: only a chart pays for it

    # Short day names as categories: they stay under their bars at phone width (plotly thins them when crowded).
    labels = [d.date.strftime("%a %d %b") for d in days]
    # None, not 0: plotly draws no bar for a day nothing saw.
    sitting = [d.sitting_min for d in days]
    moving = [d.moving_min if _has_data(d) else None for d in days]
    figure = go.Figure()
    figure.add_bar(x=labels, y=sitting, name="sitting (min)", marker_color="#c0392b",
                   hovertext=[_hover(d) for d in days], hovertemplate="%{x}: %{hovertext}<extra></extra>")  # fmt: skip
    figure.add_bar(x=labels, y=moving, name="moving (min)", marker_color="#6aa56e",
                   hovertemplate="%{x}: %{y} min moving<extra></extra>")  # fmt: skip
    figure.add_scatter(x=labels, y=[d.longest_bout_min for d in days], name="longest sitting spell (min)",
                       mode="lines+markers", line={"color": "#222", "dash": "dot"})  # fmt: skip
    # A word under each empty day while there is room; beyond two weeks they would crowd into a grey block.
    for label, day in zip(labels, days, strict=True) if len(days) <= ANNOTATE_MAX_DAYS else ():
        if not _has_data(day):
            figure.add_annotation(x=label, y=0, text=_missing(day), showarrow=False, textangle=-90, yanchor="bottom",
                                  font={"color": "#666", "size": 11})  # fmt: skip
    figure.update_layout(
        barmode="stack",
        # Short title and tight margins: the chart also sits in a phone-wide frame on the Sitting page.
        title={"text": "Sitting in work hours", "font": {"size": 16}},
        xaxis={"type": "category", "tickangle": -45},
        yaxis={"title": "minutes", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        autosize=True,
        height=460,
    )
    body = figure.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False, "responsive": True})
    return (
        f"{PAGE_HEAD}{body}\n<p>Only minutes the watch saw are drawn: days with no watch data have no bar. A still "
        "minute with the watch on counts as sitting. Days without a watch use the check-in's sitting hours (no "
        f"spells or breaks then). {why}</p></body></html>\n"
    )
