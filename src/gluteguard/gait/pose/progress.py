"""Frames per second for progress displays, computed at the edge from the (done, total) callbacks the pose stage
already gives: the CLI's Rich bar uses :class:`FrameRateColumn`, the web job page the same wording in more.js.

Rich is imported here (not in ``gait.pose``), so importing the pose package stays free of it.
"""

from __future__ import annotations

from rich.progress import ProgressColumn, Task
from rich.text import Text


def frame_rate_text(frames_per_second: float | None) -> str:
    """``"48 frames/s"``; empty until there is a rate to show."""
    if frames_per_second is None or frames_per_second <= 0:
        return ""
    return f"{frames_per_second:.0f} frames/s" if frames_per_second >= 10 else f"{frames_per_second:.1f} frames/s"


class FrameRateColumn(ProgressColumn):
    """How many frames a second the pose stage is getting through (Rich's own estimate over recent updates)."""

    def render(self, task: Task) -> Text:
        return Text(frame_rate_text(task.speed), style="progress.data.speed")
