"""The Load page's charts for phones: one question per chart, no toolbar, a date axis, short tooltips, an HTML
legend and a caption in plain words that says what the chart shows for this runner."""

from __future__ import annotations

import json
import re

import pytest

from gluteguard.load.rules import load_rules
from gluteguard.load.weeks import WeekDetail, WeekRow
from gluteguard.reports.load_panels import PHONE_CONFIG, distance_caption, form_caption, load_panels

TECHNICAL = re.compile(r"\b(CTL|ATL|TSB|ACWR)\b|§|[a-z]+_[a-z_]+")


def _row(week: str, km: float, runs: int = 3, spike: str = "none", no_data: int = 0, tsb: float = -0.2) -> WeekRow:
    return WeekRow(week_start=week, run_distance_m=km * 1000, runs=runs, longest_run_m=km * 400, worst_spike=spike,
                   cap_at_end_m=km * 440, ctl=km / 7, atl=km / 6, tsb=tsb, no_data_days=no_data)  # fmt: skip


ROWS = [
    _row("2026-10-05", 20.0, spike="no_history", no_data=3),
    _row("2026-10-12", 28.0),
    _row("2026-10-19", 41.5, spike="moderate"),
    _row("2026-10-26", 30.0),
    _row("2026-11-02", 4.4, runs=1, tsb=-0.04),
]


def test_captions_say_what_the_chart_shows_for_this_runner() -> None:
    caption = distance_caption(ROWS)
    assert caption.startswith("Your biggest week was 42 km (week of 19 Oct).")
    assert "This week so far: 4.4 km in 1 run." in caption
    assert "1 week held a run well beyond your longest of the month before" in caption and "moderate" in caption
    form = form_caption(ROWS, load_rules())
    assert "Form is +0.0" in form and "-0.0" not in form  # rounded for people, no negative zero
    assert distance_caption([_row("2026-10-05", 0.0, runs=0, spike="")]) == "No runs in these weeks yet."


def test_every_chart_is_phone_ready_and_in_plain_words() -> None:
    details = {r.week_start: WeekDetail(runs=(), monotony=1.2 if r.runs else None) for r in ROWS}
    panels = load_panels(ROWS, details)
    assert [p.id for p in panels] == ["load-distance", "load-form", "load-monotony"]
    for panel in panels:
        layout = panel.figure.layout
        assert layout.showlegend is False and layout.xaxis.type == "date" and layout.dragmode is False
        assert not [a for a in layout.annotations if a.text]  # no labels printed over each other
        words = " ".join([panel.title, panel.caption, *(item.label for item in panel.legend)])
        assert not TECHNICAL.search(words), words
        html = panel.html()
        assert '"displayModeBar": false' in html and f'id="{panel.id}"' in html
        for trace in panel.figure.data:  # short tooltips: one or two lines, never the list of every run
            for template in (
                [trace.hovertemplate] if isinstance(trace.hovertemplate, str) else trace.hovertemplate or []
            ):
                assert template.count("<br>") <= 1
    assert PHONE_CONFIG["displayModeBar"] is False
    distance = panels[0]
    grey = [shape for shape in distance.figure.layout.shapes if shape.fillcolor == "#bdbdbd"]
    assert len(grey) == 1 and any("no data" in item.label for item in distance.legend)  # the one week with gaps


@pytest.mark.parametrize("tsb", [-3.0, 0.0, 3.0])
def test_form_caption_reads_the_sign_in_words(tsb: float) -> None:
    rows = [*ROWS[:-1], _row("2026-11-02", 10.0, tsb=tsb)]
    caption = form_caption(rows, load_rules())
    expected = {-3.0: "more than you are used to", 0.0: "matches what you are used to", 3.0: "less than"}[tsb]
    assert expected in caption and json.dumps(caption)
