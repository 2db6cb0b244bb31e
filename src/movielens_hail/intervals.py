"""Confidence intervals for means computed in Hail and localized to pandas.

A mean from 3 ratings and a mean from 300 are not the same claim, so every table
that compares means carries the count beside the mean and a 95% interval around
it. Hail computes the count, mean and standard deviation; the interval is added
here on the small localized result, with Student's t so that small groups get the
wider interval they deserve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95


def with_mean_interval(
    frame: pd.DataFrame,
    *,
    n: str = "n_ratings",
    mean: str = "mean_rating",
    sd: str = "sd_rating",
    level: float = LEVEL,
) -> pd.DataFrame:
    """Add ``ci_low`` and ``ci_high``: the t interval of each row's mean.

    The interval is missing where there are fewer than two ratings, since a single
    rating says nothing about spread.
    """
    counts = frame[n].astype("float64")
    enough = counts >= 2
    degrees = np.where(enough, counts - 1, np.nan)
    half_width = (
        stats.t.ppf(0.5 + level / 2, degrees)
        * frame[sd].astype("float64")
        / np.sqrt(counts.where(enough))
    )
    centre = frame[mean].astype("float64")
    return frame.assign(ci_low=centre - half_width, ci_high=centre + half_width)


def proportion_interval(
    successes: pd.Series, trials: pd.Series, level: float = LEVEL
) -> tuple[pd.Series, pd.Series]:
    """Wilson score interval of ``successes / trials``, row by row."""
    z = stats.norm.ppf(0.5 + level / 2)
    trials_f = trials.astype("float64")
    share = successes.astype("float64") / trials_f
    centre = (share + z * z / (2 * trials_f)) / (1 + z * z / trials_f)
    half_width = (
        z
        * np.sqrt(share * (1 - share) / trials_f + z * z / (4 * trials_f * trials_f))
        / (1 + z * z / trials_f)
    )
    return centre - half_width, centre + half_width


def mean_text(row: pd.Series) -> str:
    """A row's mean with its interval and count, for findings:
    "3.53 (95% CI 3.51–3.55, 812 ratings)"."""
    n = int(row["n_ratings"])
    count = f"{n:,} rating{'' if n == 1 else 's'}"
    if pd.isna(row["ci_low"]):
        return f"{float(row['mean_rating']):.2f} ({count})"
    return (
        f"{float(row['mean_rating']):.2f} (95% CI {float(row['ci_low']):.2f}–"
        f"{float(row['ci_high']):.2f}, {count})"
    )
