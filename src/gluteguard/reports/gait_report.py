"""The stride analysis as one offline HTML file: key frames with the skeleton and the angle drawn, per-step plots,
the summary table with what each number means, and the findings with their sources.

Pure: an analysis dict (``GaitAnalysis.as_dict()``), the keypoints and, for a video, key-frame pictures in; an HTML
string out. Without a video the key frames are drawn from the keypoints as SVG. plotly.js is embedded (no CDN).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping
from statistics import median

import numpy as np

from gluteguard.gait.findings import load_rules
from gluteguard.gait.model import KeypointSeries
from gluteguard.gait.repeatability import timing_notes
from gluteguard.plan.library import load_library

SIDES = ("left", "right")
SIDE_COLOURS = {"left": "#1f6fb4", "right": "#c2185b"}
# Segments drawn for the skeleton (BlazePose names); the pelvis is drawn on its own, highlighted.
BONES = (
    ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_foot_index"),
    ("left_ankle", "left_foot_index"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_foot_index"),
    ("right_ankle", "right_foot_index"),
)
# The key frame per view: the peak of the metric that matters most there.
KEY_METRIC = {"rear": "pelvic_drop_deg", "side": "overstride_norm"}
SVG_WIDTH = 300


def key_frames(analysis: Mapping) -> dict[str, tuple[int, float]]:
    """Per side, the clean stance whose key metric is the side's median: (frame, value). A typical step, not an
    outlier, is the fair picture to show."""
    metric = KEY_METRIC.get(analysis["view"], "pelvic_drop_deg")
    chosen: dict[str, tuple[int, float]] = {}
    for side in SIDES:
        steps = [
            s
            for s in analysis.get("steps_detail", [])
            if s["side"] == side and s["clean"] and metric in s["values"] and math.isfinite(s["values"][metric])
        ]
        if not steps:
            continue
        middle = median(s["values"][metric] for s in steps)
        step = min(steps, key=lambda s: (abs(s["values"][metric] - middle), s["strike_frame"]))
        frame = step["key_frames"].get(metric, step["strike_frame"])
        chosen[side] = (int(frame), float(step["values"][metric]))
    return chosen


def skeleton_svg(series: KeypointSeries, frame: int, side: str, label: str) -> str:
    """The skeleton of one frame as SVG, with the pelvis line against the horizontal and the label."""
    points = {name: series.xyz[frame, i, :2] for i, name in enumerate(series.names)}
    seen = [p for p in points.values() if np.all(np.isfinite(p))]
    if len(seen) < 4:
        return "<p>Too few landmarks were seen in this frame to draw it.</p>"
    xy = np.array(seen)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = max(float((high - low).max()), 1e-6)
    scale = (SVG_WIDTH - 40) / span
    height = int((high[1] - low[1]) * scale) + 40

    def at(name: str) -> tuple[float, float] | None:
        p = points.get(name)
        if p is None or not np.all(np.isfinite(p)):
            return None
        return float((p[0] - low[0]) * scale + 20), float((p[1] - low[1]) * scale + 20)

    parts = [f'<svg viewBox="0 0 {SVG_WIDTH} {height}" width="{SVG_WIDTH}" height="{height}" role="img" '
             f'aria-label="{html.escape(label)}" style="background:#fafafa;border:1px solid #ddd">']  # fmt: skip
    for a, b in BONES:
        pa, pb = at(a), at(b)
        if pa and pb:
            colour = SIDE_COLOURS["left" if a.startswith("left") and b.startswith("left") else "right"]
            if a.startswith("left") != b.startswith("left"):
                colour = "#777"
            parts.append(f'<line x1="{pa[0]:.1f}" y1="{pa[1]:.1f}" x2="{pb[0]:.1f}" y2="{pb[1]:.1f}" '
                         f'stroke="{colour}" stroke-width="3" stroke-linecap="round"/>')  # fmt: skip
    left_hip, right_hip = at("left_hip"), at("right_hip")
    if left_hip and right_hip:
        mid_y = (left_hip[1] + right_hip[1]) / 2
        parts.append(f'<line x1="{left_hip[0]:.1f}" y1="{mid_y:.1f}" x2="{right_hip[0]:.1f}" y2="{mid_y:.1f}" '
                     'stroke="#999" stroke-dasharray="4 3" stroke-width="1.5"/>')  # fmt: skip
        parts.append(f'<line x1="{left_hip[0]:.1f}" y1="{left_hip[1]:.1f}" x2="{right_hip[0]:.1f}" '
                     f'y2="{right_hip[1]:.1f}" stroke="#f39c12" stroke-width="5" stroke-linecap="round"/>')  # fmt: skip
    for name in points:
        p = at(name)
        if p and any(name.endswith(s) for s in ("hip", "knee", "ankle", "heel", "foot_index", "shoulder")):
            parts.append(f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="3.5" fill="#222"/>')
    parts.append(f'<text x="8" y="16" font-size="13" font-family="system-ui">{html.escape(label)}</text></svg>')
    return "".join(parts)


def _per_step_figure(analysis: Mapping) -> str:
    """One small plot per metric: each clean stance's value, by side, in time order."""
    import plotly.graph_objects as go  # seconds to import: only a report pays for it

    blocks = []
    include_js: bool | str = True  # plotly.js once, inline, in the first figure
    for name, metric in analysis.get("metrics", {}).items():
        fig = go.Figure()
        for side in SIDES:
            steps = [s for s in analysis["steps_detail"] if s["side"] == side and s["clean"] and name in s["values"]]
            if not steps:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[round(s["strike_time_s"], 2) for s in steps],
                    y=[s["values"][name] for s in steps],
                    mode="markers+lines",
                    name=f"{side} stance",
                    marker={"color": SIDE_COLOURS[side], "symbol": "circle" if side == "left" else "square"},
                    hovertemplate=f"{side} stance at %{{x}} s: %{{y:.2f}} {metric.get('unit', '')}<extra></extra>",
                )
            )
        if not fig.data:
            continue
        title = metric.get("label") or name.replace("_", " ")
        fig.update_layout(title=title, height=260, margin={"l": 50, "r": 20, "t": 40, "b": 40},
                          xaxis_title="time in the clip (s)", yaxis_title=metric.get("unit", ""))  # fmt: skip
        blocks.append(fig.to_html(full_html=False, include_plotlyjs=include_js, config={"displaylogo": False}))
        include_js = False
    return "\n".join(blocks)


def _num(value: object) -> str:
    """Numbers to three significant digits: a report reads 0.0882, not 0.08817859816613291."""
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def decimals_for(change: float | None) -> int:
    """Decimal places worth showing for a metric whose smallest real change is ``change``: one digit finer than
    that change's first digit (a contact time that must move 62 ms reads 268 ms, not 267.61), two when unknown."""
    if change is None or not math.isfinite(change) or change <= 0:
        return 2
    return min(3, max(0, 1 - math.floor(math.log10(change))))


def change_text(change: float | None) -> str:
    """The smallest real change, to two significant digits ("62", "4.8", "0.087")."""
    return "" if change is None else f"{change:.2g}"


def side_text(mean: float | None, sd: float | None, n: int, change: float | None) -> str:
    """One side's mean ± SD (n steps), rounded to what the metric can tell apart (:func:`decimals_for`)."""
    if mean is None:
        return "—"
    places = decimals_for(change)
    return f"{mean:.{places}f}" + (f" ± {sd:.{places}f}" if sd is not None else "") + f" (n={n})"


def _fmt(side: Mapping | None, change: float | None) -> str:
    if not side or side.get("mean") is None:
        return "—"
    return side_text(side["mean"], side.get("sd"), side.get("n", 0), change)


def _summary_table(analysis: Mapping) -> str:
    rows = []
    for name, metric in analysis.get("metrics", {}).items():
        change = metric.get("smallest_change")
        rows.append(
            "<tr>"
            f"<th scope='row'>{html.escape(metric.get('label') or name.replace('_', ' '))}</th>"
            f"<td>{_fmt(metric.get('left'), change)}</td><td>{_fmt(metric.get('right'), change)}</td>"
            f"<td>{html.escape(str(metric.get('unit', '')))}</td>"
            f"<td>{change_text(change)}</td>"
            f"<td>{html.escape(metric.get('meaning', ''))}"
            + (f"<br><small>{html.escape(metric['validity'])}</small>" if metric.get("validity") else "")
            + (
                f"<br><small>On this clip: {html.escape(metric['on_this_clip'])}.</small>"
                if metric.get("on_this_clip")
                else ""
            )
            + f"<br><small>source: {html.escape(metric.get('source', ''))}</small></td></tr>"
        )
    return (
        "<table><thead><tr><th>metric</th><th>left stance</th><th>right stance</th><th>unit</th>"
        "<th>smallest change worth noticing</th><th>what it means</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _findings(analysis: Mapping) -> str:
    findings = analysis.get("findings", [])
    needed = load_rules().min_clean_steps_per_side  # the rule the pipeline applied (findings.toml)
    if not findings and min(analysis.get("steps", {}).values(), default=0) < needed:
        return "<p>No verdict: the clip has too few clean steps on a side (see the warnings). Film 20–30 s.</p>"
    if not findings:
        return "<p>No finding: nothing in this clip calls for a change. Keep the strength work going.</p>"
    library = load_library()
    items = []
    for f in findings:
        names = ", ".join(html.escape(library[e].name if e in library else e) for e in f.get("exercises", []))
        items.append(
            f"<li><p>{html.escape(f['message'])}</p>"
            + (f"<p><b>Cue:</b> {html.escape(f['cue'])}</p>" if f.get("cue") else "")
            + (f"<p><b>Exercises:</b> {names}</p>" if names else "")
            + f"<p><small>source: {html.escape(f['source'])}</small></p></li>"
        )
    return "<ul>" + "".join(items) + "</ul>"


# The app's half-filled circle, as the web pages' favicon.svg draws it.
FAVICON_DATA_URI = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Ccircle cx='16' cy='16'"
    " r='14' fill='%23083a66'/%3E%3Cpath d='M16 2a14 14 0 0 1 0 28z' fill='%237dd3fc'/%3E%3C/svg%3E"
)


def render_gait_report(
    analysis: Mapping, series: KeypointSeries | None = None, pictures: Mapping[str, bytes] | None = None
) -> str:
    """The whole report. ``pictures`` are JPEG key frames per side (from the video, skeleton drawn on them);
    without them the key frames are drawn from ``series``."""
    frames = key_frames(analysis)
    metric = KEY_METRIC.get(analysis["view"], "pelvic_drop_deg")
    figures = []
    for side, (frame, value) in frames.items():
        caption = f"{side} stance, frame {frame}: {metric.replace('_', ' ')} {value:.1f}"
        if pictures and side in pictures:
            data = base64.b64encode(pictures[side]).decode("ascii")
            body = f'<img src="data:image/jpeg;base64,{data}" alt="{html.escape(caption)}" style="max-width:100%">'
        elif series is not None:
            body = skeleton_svg(series, frame, side, caption)
        else:
            continue
        figures.append(f"<figure>{body}<figcaption>{html.escape(caption)}</figcaption></figure>")
    quality = analysis.get("quality", {})
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in analysis.get("warnings", []))
    cadence = analysis.get("cadence_spm")
    head = (
        f"<p>Source: {html.escape(str(analysis.get('source', '')).rsplit('/', 1)[-1])} · view: {analysis['view']} "
        f"(sure to {analysis.get('view_confidence', 0):.0%}) · {analysis.get('fps', 0):.0f} frames/s · "
        f"clean steps: left {analysis['steps'].get('left', 0)}, right {analysis['steps'].get('right', 0)} · "
        f"cadence: {'—' if cadence is None else f'{cadence:.0f} steps/min'}</p>"
        + "".join(f"<p><small>{html.escape(line)}</small></p>" for line in timing_notes(analysis))
        + (f"<p>{html.escape(analysis['person_analysed']['message'])}.</p>" if analysis.get("person_analysed") else "")
    )
    quality_rows = "".join(
        f"<tr><th scope='row'>{html.escape(str(k).replace('_', ' '))}</th><td>{html.escape(_num(v))}</td></tr>"
        for k, v in quality.items()
        if not isinstance(v, dict | list)
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="{FAVICON_DATA_URI}">'  # inline: the report is a file that opens offline too
        "<title>gluteguard: stride analysis</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;"
        "vertical-align:top}figure{display:inline-block;margin:0 1em 1em 0}small{color:#555}"
        "</style></head><body>\n<h1>Stride analysis</h1>\n"
        + head
        + (f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else "")
        + "<h2>Key frames</h2>"
        + ("".join(figures) or "<p>No clean stance to show.</p>")
        + "<h2>Summary</h2>"
        + _summary_table(analysis)
        + "<h2>Findings and what to do</h2>"
        + _findings(analysis)
        + "<h2>Step by step</h2>"
        + _per_step_figure(analysis)
        + f"<h2>Quality</h2><table>{quality_rows}</table>"
        + "<footer><p>Information, not a diagnosis. 2D video reads the pelvis and hip from estimated joint centres;"
        " knee angles seen from behind do not track the knee's real 3D motion. Film from behind or the side at hip"
        " height, at least 60 frames/s if you can, in tight clothes.</p></footer></body></html>\n"
    )
