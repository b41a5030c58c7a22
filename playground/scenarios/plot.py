"""The scenario picture: the signals behind the alerts over time, with the alerts' states.

One panel per signal (error ratio, LLM p95, requests in flight), each with the alert's
threshold as a dashed line, its pending stretches shaded amber and its firing stretches
red, and the phase changes (incident, recovery) as vertical lines. Time runs in seconds
from the incident's start, as in the report.

Pure: data in, PNG out (matplotlib's Agg backend, no display needed).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

STATE_COLOURS = {"pending": "#f5b841", "firing": "#d64545"}
SERIES_COLOUR = "#1f5fa8"
# The other lines of a panel (Locust's view beside demo_app's), in order.
OTHER_COLOURS = ("#2a9d57", "#8a3ffc", "#c9641e")
# 1200 x 900 pixels at this size and resolution: sharp in a README, small on disk.
FIGURE_INCHES = (12.0, 9.0)
DPI = 100


@dataclass
class Panel:
    """One signal.

    Args:
        title: What the panel shows, e.g. "5xx share of requests (HighErrorRate)".
        points: (seconds, value) pairs; NaN values leave gaps.
        threshold: The alert's threshold, drawn dashed. Defaults to None.
        stretches: (start, stop, state) of the alert, state `pending` or `firing`.
        events: (seconds, label) of the alert's notifications, drawn as markers on top.
        percent: Should values show as percentages? Defaults to False.
        unit: Axis label. Defaults to "".
        label: The legend's name for ``points``. Defaults to "value".
        others: More (label, points) lines on the same axes, e.g. the load tester's view of
            the same signal beside the server's.
    """

    title: str
    points: Sequence[tuple[float, float]]
    threshold: float | None = None
    stretches: Sequence[tuple[float, float, str]] = field(default_factory=list)
    events: Sequence[tuple[float, str]] = field(default_factory=list)
    percent: bool = False
    unit: str = ""
    label: str = "value"
    others: Sequence[tuple[str, Sequence[tuple[float, float]]]] = field(default_factory=list)


def render_plot(
    path: Path,
    title: str,
    panels: Sequence[Panel],
    marks: Sequence[tuple[float, str]] = (),
    x_range: tuple[float, float] | None = None,
) -> Path:
    """Write the panels, one above the other, to a PNG file.

    Args:
        path: The PNG to write.
        title: The figure's title.
        panels: The signals, top to bottom.
        marks: (seconds, label) of vertical lines, e.g. (0, "fault on").
        x_range: The time axis's limits. Defaults to the data's.
    """
    figure, axes = plt.subplots(
        len(panels), 1, figsize=FIGURE_INCHES, dpi=DPI, sharex=True, squeeze=False
    )
    try:
        for axis, panel in zip(axes[:, 0], panels, strict=True):
            _draw(axis, panel, marks)
        if x_range is not None:
            axes[0, 0].set_xlim(*x_range)
        low, high = axes[0, 0].get_xlim()
        for axis, panel in zip(axes[:, 0], panels, strict=True):
            _mark_events(axis, panel, (low, high))
        axes[-1, 0].set_xlabel("seconds from the incident's start")
        figure.suptitle(title)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path


def _mark_events(axis: plt.Axes, panel: Panel, x_range: tuple[float, float]) -> None:
    """Notification markers along the top; labels near the right edge read leftwards."""
    height = axis.get_ylim()[1] * 0.91
    low, high = x_range
    for at, text in panel.events:
        axis.plot([at], [height], marker="v", color="black", markersize=7, linestyle="none")
        leftwards = at > low + 0.75 * (high - low)
        axis.annotate(
            text,
            (at, height),
            xytext=(-6 if leftwards else 6, -3),
            textcoords="offset points",
            ha="right" if leftwards else "left",
            fontsize=8,
        )


def _draw(axis: plt.Axes, panel: Panel, marks: Sequence[tuple[float, str]]) -> None:
    scale = 100.0 if panel.percent else 1.0
    times = [t for t, _ in panel.points]
    values = [v * scale for _, v in panel.points]
    labelled: set[str] = set()
    for start, stop, state in panel.stretches:
        label = state if state not in labelled else None
        labelled.add(state)
        axis.axvspan(start, stop, color=STATE_COLOURS.get(state, "grey"), alpha=0.25, label=label)
    others = [
        (label, [t for t, _ in points], [v * scale for _, v in points])
        for label, points in panel.others
        if points
    ]
    for (label, other_times, other_values), colour in zip(others, OTHER_COLOURS, strict=False):
        axis.plot(other_times, other_values, color=colour, linewidth=1.3, label=label)
    if times:
        axis.plot(times, values, color=SERIES_COLOUR, linewidth=1.6, label=panel.label)
    elif not others:
        axis.text(
            0.5, 0.5, "no data", transform=axis.transAxes, ha="center", va="center", color="grey"
        )
    if panel.threshold is not None:
        axis.axhline(
            panel.threshold * scale,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"threshold {panel.threshold * scale:g}{'%' if panel.percent else ''}",
        )
    for at, text in marks:
        axis.axvline(at, color="grey", linestyle=":", linewidth=1)
        axis.annotate(
            text,
            (at, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize=8,
            color="dimgrey",
        )
    # Room above the highest value and the threshold for the notification markers.
    finite = [v for v in values + [v for _, _, vs in others for v in vs] if math.isfinite(v)]
    top = max([*finite, (panel.threshold or 0.0) * scale, 1e-9])
    axis.set_ylim(0, top * 1.3)
    axis.set_title(panel.title, fontsize=10, loc="left")
    axis.set_ylabel(("%" if panel.percent else panel.unit) or "")
    axis.grid(True, alpha=0.3)
    # Outside the plot, on the right, so it never hides a line or a label.
    axis.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, borderaxespad=0)
