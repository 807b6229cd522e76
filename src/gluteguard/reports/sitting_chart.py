"""Sitting in work hours, day by day, as one offline HTML chart (plotly.js embedded, no CDN)."""

from __future__ import annotations

import html

from gluteguard.sitting.day import SittingDay
from gluteguard.sitting.rules import load_rules


def render_sitting_chart(days: list[SittingDay]) -> str:
    import plotly.graph_objects as go  # seconds to import: only a chart pays for it

    labels = [d.date.isoformat() for d in days]
    figure = go.Figure()
    figure.add_bar(x=labels, y=[d.sitting_min or 0 for d in days], name="sitting (min)", marker_color="#c0392b",
                   hovertemplate="%{x}: %{y} min sitting<extra></extra>")  # fmt: skip
    figure.add_bar(x=labels, y=[d.moving_min or 0 for d in days], name="upright or moving (min)",
                   marker_color="#6aa56e", hovertemplate="%{x}: %{y} min moving<extra></extra>")  # fmt: skip
    figure.add_bar(x=labels, y=[d.unknown_min or 0 for d in days], name="no data (min)", marker_color="#bdbdbd",
                   hovertemplate="%{x}: %{y} min without data<extra></extra>")  # fmt: skip
    figure.add_scatter(x=labels, y=[d.longest_bout_min for d in days], name="longest sitting spell (min)",
                       mode="lines+markers", line={"color": "#222", "dash": "dot"})  # fmt: skip
    target = load_rules()
    figure.update_layout(
        barmode="stack",
        title="Work hours: sitting, moving and the longest spell",
        yaxis_title="minutes",
        legend={"orientation": "h"},
        height=460,
    )
    body = figure.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False})
    source = html.escape(f"{target.why} (source: {target.why_source})")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>gluteguard: sitting</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:1em auto;padding:0 1em}"
        "p{color:#444;font-size:.9em}</style></head><body>\n"
        f"{body}\n<p>Days without a wearable use the check-in's sitting hours (no spells or breaks then). "
        f"Why breaks: {source}.</p></body></html>\n"
    )
