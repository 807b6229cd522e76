"""The offline load chart: self-contained HTML whose plotted data says what the weekly history says."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.load.rules import load_rules
from gluteguard.load.weeks import WeekRow
from gluteguard.reports.load_chart import build_figure, category_labels, render_html, write_load_chart
from gluteguard.services.demo import build_demo
from gluteguard.services.load import weekly_history
from gluteguard.store.db import Database

DEMO_END = date(2026, 11, 22)
SPIKE_WEEK = "2026-10-26"  # the demo's week 13, its planned volume and long-run spike


def week(start: str, km: float, spike: str, *, cap_km: float | None = 11.0, no_data_days: int = 0) -> WeekRow:
    runs = 0 if spike == "" else 4
    return WeekRow(
        start,
        km * 1000,
        runs,
        km * 300 if runs else 0.0,
        spike,
        None if cap_km is None else cap_km * 1000,
        3.0,
        4.0,
        -1.0,
        no_data_days,
    )


HAND_ROWS = [
    week("2026-01-05", 18.0, "no_history", cap_km=None),
    week("2026-01-12", 20.0, "none"),
    week("2026-01-19", 24.0, "small"),
    week("2026-01-26", 0.0, "", no_data_days=7),  # watch not worn: unknown, not rest
    week("2026-02-02", 30.0, "moderate", no_data_days=3),
    week("2026-02-09", 45.0, "large"),
]


def plotted(page: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The traces and layout exactly as the browser receives them, decoded from the page's newPlot call."""
    decoder = json.JSONDecoder()
    rest = page[page.index("Plotly.newPlot(") :]
    rest = rest[rest.index('"load-chart"') + len('"load-chart"') :].lstrip(" \n,")
    data, end = decoder.raw_decode(rest)
    layout, _ = decoder.raw_decode(rest[end:].lstrip(" \n,"))
    return data, layout


def week_category(data: list[dict[str, Any]], week_start: str) -> str:
    """Which category's bar trace holds this week (each week has its bar in exactly one)."""
    found = [t["legendgroup"] for t in data if t["type"] == "bar" and week_start in t["x"]]
    assert len(found) == 1, found
    return found[0]


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "plotly.js v" in page and "Plotly.newPlot(" in page  # the library itself, inline
    assert re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE) is None  # nothing fetched at open time
    assert 'src="http' not in page and "cdn.plot.ly/plotly" not in page


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # The demo imports 63 real FIT files (~13 s): build it once for this module.
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    database = Database(f"sqlite:///{path}")
    build_demo(database, end_date=DEMO_END, workers=2)
    database.dispose()
    return path


def test_hand_built_rows(tmp_path: Path) -> None:
    out = tmp_path / "chart.html"
    write_load_chart(HAND_ROWS, out)
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    for row in HAND_ROWS:
        assert row.week_start in page
    assert "Frandsen" in page and "GoldenCheetah" in page and "TrainingPeaks" in page
    data, layout = plotted(page)
    # Every category has its legend entry, named in words with the rules' thresholds (JSON-escaped in the page).
    legend = {t["name"] for t in data if t["type"] == "bar"}
    assert legend == set(category_labels(load_rules()).values())
    assert {"no_history", "none", "small", "moderate", "large"} <= set(re.findall(r'"legendgroup":"(\w+)"', page))
    assert {row.week_start: week_category(data, row.week_start) for row in HAND_ROWS} == {
        "2026-01-05": "no_history",
        "2026-01-12": "none",
        "2026-01-19": "small",
        "2026-01-26": "no_runs",
        "2026-02-02": "moderate",
        "2026-02-09": "large",
    }
    moderate = next(t for t in data if t.get("legendgroup") == "moderate")
    assert moderate["text"] == ["moderate"] and moderate["y"] == [30.0]  # marked in words too, km on the axis
    assert "45.0 km in 4 runs" in next(t for t in data if t.get("legendgroup") == "large")["hovertext"][0]
    # No-data weeks: hatched bars and a grey band with a label, over both panels.
    hatched = [(t["x"], t["marker"]["pattern"]["shape"]) for t in data if t["type"] == "bar"]
    assert (["2026-02-02"], ["x"]) in hatched and (["2026-01-26"], ["x"]) in hatched
    bands = [s for s in layout["shapes"] if s["type"] == "rect"]
    assert sorted((s["x0"], s["x1"]) for s in bands if s["yref"].endswith("domain")) == [
        (2.5, 3.5),
        (2.5, 3.5),
        (3.5, 4.5),
        (3.5, 4.5),
    ]
    assert any(a["text"] == "no data (7 d)" for a in layout["annotations"])
    cap = next(t for t in data if t["name"].startswith("cap for the next run"))
    assert cap["y"][0] is None and cap["y"][1] == 11.0  # no cap without a 30-day history
    pmc_names = {t["name"] for t in data if t["yaxis"] == "y2"}
    assert pmc_names == {"fitness (CTL)", "fatigue (ATL)", "form (TSB)"}


def test_output_is_deterministic_and_pure() -> None:
    assert render_html(HAND_ROWS) == render_html(HAND_ROWS)
    assert len(build_figure([]).data) == 5  # no rows: empty lines, no bars, still a page
    assert "none yet" in render_html([])


def test_demo_history_chart(demo_db: Path, tmp_path: Path) -> None:
    database = Database(f"sqlite:///{demo_db}")
    try:
        rows = weekly_history(database, 1, 16, DEMO_END)
    finally:
        database.dispose()
    assert len(rows) == 16 and rows[12].week_start == SPIKE_WEEK
    out = tmp_path / "demo.html"
    write_load_chart(rows, out)
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    data, _ = plotted(page)
    for row in rows:
        assert row.week_start in page
    assert week_category(data, SPIKE_WEEK) in ("moderate", "large")
    assert week_category(data, rows[0].week_start) == "no_history"  # the first weeks have no 30 days before them
    spike_bar = next(t for t in data if SPIKE_WEEK in t.get("x", []) and t["type"] == "bar")
    assert spike_bar["y"][spike_bar["x"].index(SPIKE_WEEK)] == pytest.approx(rows[12].run_distance_m / 1000)


def test_cli_writes_the_chart(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    args = ["--db", str(demo_db), "load", "--history", "--weeks", "16", "--date", "2026-11-22", "--chart", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "chart written to" in result.output
    data, _ = plotted(out.read_text(encoding="utf-8"))
    assert week_category(data, SPIKE_WEEK) in ("moderate", "large")


def test_write_is_atomic_and_errors_are_clear(tmp_path: Path) -> None:
    out = tmp_path / "chart.html"
    out.write_text("old")
    write_load_chart(HAND_ROWS[:2], out)
    assert "Plotly.newPlot(" in out.read_text(encoding="utf-8")
    assert os.listdir(tmp_path) == ["chart.html"]  # the temp file was renamed, not left beside it
    assert out.stat().st_mode & 0o777 == 0o644

    missing = tmp_path / "no-such-folder" / "chart.html"
    with pytest.raises(FileNotFoundError, match=r"cannot write the chart to .*no-such-folder"):
        write_load_chart(HAND_ROWS, missing)
    folder = tmp_path / "a-folder.html"
    folder.mkdir()
    with pytest.raises(OSError, match=r"cannot write the chart to .*a-folder\.html"):
        write_load_chart(HAND_ROWS, folder)
    assert sorted(os.listdir(tmp_path)) == ["a-folder.html", "chart.html"]  # no temp file left behind


def test_weeks_stay_in_calendar_order_whatever_their_spike() -> None:
    """A later week with a rarer category must not be drawn after the others (plotly orders categories by
    first appearance across traces unless told)."""
    rows = [week("2026-10-05", 20, "none"), week("2026-10-12", 40, "large"), week("2026-10-19", 21, "none")]
    figure = build_figure(rows)
    for axis in (figure.layout.xaxis, figure.layout.xaxis2):
        assert list(axis.categoryarray) == ["2026-10-05", "2026-10-12", "2026-10-19"]
        assert axis.categoryorder == "array"
