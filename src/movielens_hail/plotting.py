"""One figure style for the whole project, and SVG output that is the same every run.

Colours are the Okabe-Ito palette, which stays distinguishable for the common
forms of colour blindness. Text stays text in the SVG (smaller, searchable), and
ids and metadata carry no dates or random parts, so two runs give equal bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure

# Figures are only ever written to files: no display, no interactive backend.
matplotlib.use("Agg")

OKABE_ITO = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#000000",
)
STYLE: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "figure.dpi": 100,
    "svg.fonttype": "none",
    "svg.hashsalt": "movielens-hail",
}


@contextmanager
def figure(width: float = 6.4, height: float = 3.6) -> Iterator[tuple[Figure, Axes]]:
    """A figure and its axes in the project style; closed when the block ends."""
    with plt.style.context(STYLE):
        fig, axes = plt.subplots(figsize=(width, height), layout="constrained")
        try:
            yield fig, axes
        finally:
            plt.close(fig)


def save_svg(fig: Figure, path: Path) -> None:
    """Write ``fig`` as an SVG without a creation date, identical run to run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with plt.style.context(STYLE):
        fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
