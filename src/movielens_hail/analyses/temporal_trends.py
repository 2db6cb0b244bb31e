"""Mean rating by release year, by decade of release and by month of rating.

Older films in MovieLens are rated higher than recent ones. That is survivorship
more than taste: a film from the 1950s is in the catalogue and gets watched in the
1990s because it is remembered, while every recent release is there, good or bad.
The analysis puts a number and a 95% interval on the gap, shows it year by year and
decade by decade, and shows how the mean moved over the months the ratings were
collected.

Movies without a release year are counted, with their ratings, in a row of their
own and left out of the release-year and decade views; the summary says how many.
Release years with fewer than ``min_ratings`` ratings are marked as thin: their
means rest on too few ratings to read much into.

The intervals treat every rating as independent, although each user gives many:
they are somewhat narrower than they should be.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import hail as hl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats as scipy_stats

from movielens_hail import intervals, plotting, runner, stats

logger = logging.getLogger(__name__)

COUNTS = ("n_movies", "n_ratings", "n_users")
MEASURES = ("mean_rating", "sd_rating")
INTERVAL = ("ci_low", "ci_high")
YEAR_COLUMNS = ["release_year", "n_movies", "n_ratings", *MEASURES, *INTERVAL, "thin"]
DECADE_COLUMNS = ["decade", "decade_label", *YEAR_COLUMNS[1:]]
MONTH_COLUMNS = ["month", "n_ratings", "n_users", *MEASURES, *INTERVAL]
OLDER, RECENT = "older", "recent"


def decade_of(year: hl.Int32Expression) -> hl.Int32Expression:
    """The first year of ``year``'s decade: 1990 for 1995."""
    return year // 10 * 10


def decade_label(decade: int) -> str:
    """How a decade reads in text: ``"1990s"`` for 1990."""
    return f"{decade}s"


def month_of(timestamp: hl.Int64Expression) -> hl.StringExpression:
    """The month of a Unix timestamp in seconds as ``YYYY-MM``, in UTC."""
    return hl.experimental.strftime("%Y-%m", timestamp, "UTC")


def with_release_year(ratings: hl.Table, movies: hl.Table) -> hl.Table:
    """``ratings`` with the ``release_year`` of each rated movie; missing where the
    movie has none (or is not in ``movies``).

    The years are collected into a dictionary that ships with the query, which
    spares the two shuffles a join on ``movie_id`` costs when ratings are keyed
    by user first. That takes one pass over ``movies``, and the catalogue must fit
    in memory: tens of thousands of movies do.
    """
    pairs = movies.aggregate(hl.agg.collect((movies.id, movies.release_year)))
    release_years = hl.literal(dict(pairs), hl.tdict(hl.tint32, hl.tint32))
    return ratings.annotate(release_year=release_years.get(ratings.movie_id))


def by_release_year(rated: hl.Table, movies: hl.Table) -> hl.Table:
    """Movies, ratings and rating aggregates per release year, keyed by
    ``release_year``.

    :param rated: ratings with their movie's ``release_year``, from
        :func:`with_release_year`.

    Every year that has a movie gets a row, rated or not (``n_ratings`` 0 and a
    missing mean). Movies without a release year, and their ratings, form one
    more row whose ``release_year`` is missing, so they are counted rather than
    dropped.
    """
    return _by_release(rated, movies, "release_year", lambda year: year)


def by_decade(rated: hl.Table, movies: hl.Table) -> hl.Table:
    """Movies, ratings and rating aggregates per decade of release, keyed by
    ``decade`` (1990 for the 1990s), with the same missing-year row as
    :func:`by_release_year`."""
    return _by_release(rated, movies, "decade", decade_of)


def _by_release(
    rated: hl.Table,
    movies: hl.Table,
    period: str,
    period_of: Callable[[hl.Int32Expression], hl.Int32Expression],
) -> hl.Table:
    """Group movies and rated ratings together by ``period_of(release_year)``.

    Movies and ratings go into one table of the same shape (a movie row has no
    rating), so that a single grouping counts both and the missing-year group
    survives: Hail joins never match a missing key.
    """
    rated = rated.key_by()
    rated = rated.select(
        release_year=rated.release_year, rating=rated.rating, is_movie=False
    )
    catalogue = movies.key_by()
    catalogue = catalogue.select(
        release_year=catalogue.release_year,
        rating=hl.missing(hl.tint32),
        is_movie=True,
    )
    ht = catalogue.union(rated)
    ht = ht.group_by(**{period: period_of(ht.release_year)}).aggregate(
        n_movies=hl.agg.count_where(ht.is_movie),
        **hl.agg.filter(~ht.is_movie, stats.rating_aggregates(ht.rating)),
    )
    return ht.annotate(mean_rating=hl.or_missing(ht.n_ratings > 0, ht.mean_rating))


def by_month(ratings: hl.Table) -> hl.Table:
    """Ratings, distinct raters and rating aggregates per month of rating (UTC),
    keyed by ``month`` (``YYYY-MM``).

    Months with no rating have no row here; :func:`month_table` adds them.
    Distinct raters are counted from each month's set of user ids, which is held
    in memory: fine for MovieLens, where a month has at most a few thousand.
    """
    ht = ratings.annotate(month=month_of(ratings.timestamp))
    return ht.group_by(ht.month).aggregate(
        n_users=hl.len(hl.agg.collect_as_set(ht.user_id)),
        **stats.rating_aggregates(ht.rating),
    )


def by_era(rated: hl.Table, recent_from: int) -> hl.Table:
    """Rating aggregates of films released before ``recent_from`` (era
    ``"older"``) and from it on (``"recent"``), keyed by ``era``.

    :param rated: ratings with their movie's ``release_year``, from
        :func:`with_release_year`.

    Each era also has its number of rated movies and its first and last release
    year. Ratings of movies without a release year belong to neither era.
    """
    ht = rated.filter(hl.is_defined(rated.release_year))
    era = hl.if_else(ht.release_year < recent_from, OLDER, RECENT)
    return ht.group_by(era=era).aggregate(
        n_movies=hl.len(hl.agg.collect_as_set(ht.movie_id)),
        first_year=hl.agg.min(ht.release_year),
        last_year=hl.agg.max(ht.release_year),
        **stats.rating_aggregates(ht.rating),
    )


def complete_series(rows: pd.DataFrame, key: str, keys: Sequence[Any]) -> pd.DataFrame:
    """``rows`` with exactly one row for each of ``keys``, in that order.

    A key without a row gets zero counts and missing means, so a series of years
    or months shows its gaps instead of skipping them.
    """
    table = rows.set_index(key).reindex(pd.Index(list(keys), name=key))
    for column in COUNTS:
        if column in table:
            table[column] = table[column].fillna(0).astype("int64")
    for column in MEASURES:
        if column in table:
            table[column] = table[column].astype("float64")
    return table.reset_index()


def release_year_table(rows: pd.DataFrame, min_ratings: int) -> pd.DataFrame:
    """The ``by_release_year.tsv`` table from :func:`by_release_year`'s rows:
    every year from the first to the last release year, with 95% intervals and
    ``thin`` where a year has fewer than ``min_ratings`` ratings."""
    placed = rows[rows["release_year"].notna()]
    years = _span(placed["release_year"], step=1)
    table = complete_series(placed, "release_year", years)
    return _finish(table, min_ratings)[YEAR_COLUMNS]


def decade_table(rows: pd.DataFrame, min_ratings: int) -> pd.DataFrame:
    """The ``by_decade.tsv`` table from :func:`by_decade`'s rows: every decade
    from the first to the last, labelled, with intervals and ``thin`` as for
    years."""
    placed = rows[rows["decade"].notna()]
    decades = _span(placed["decade"], step=10)
    table = complete_series(placed, "decade", decades)
    table["decade_label"] = [decade_label(decade) for decade in table["decade"]]
    return _finish(table, min_ratings)[DECADE_COLUMNS]


def month_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The ``by_month.tsv`` table from :func:`by_month`'s rows: every month from
    the first to the last rating, with 95% intervals."""
    if rows.empty:
        return pd.DataFrame(columns=MONTH_COLUMNS)
    months = pd.period_range(rows["month"].min(), rows["month"].max(), freq="M")
    table = complete_series(rows, "month", list(months.strftime("%Y-%m")))
    return intervals.with_mean_interval(table)[MONTH_COLUMNS]


def _span(keys: pd.Series, step: int) -> list[int]:
    """Every ``step``-th value from the least to the greatest of ``keys``."""
    if keys.empty:
        return []
    return list(range(int(keys.min()), int(keys.max()) + 1, step))


def _finish(table: pd.DataFrame, min_ratings: int) -> pd.DataFrame:
    """Add the 95% interval of each mean and the ``thin`` flag."""
    table = intervals.with_mean_interval(table)
    return table.assign(thin=table["n_ratings"] < min_ratings)


def unplaced_counts(rows: pd.DataFrame, key: str) -> tuple[int, int]:
    """Movies and ratings in the missing-year row of ``rows``: (0, 0) if none."""
    missing = rows[rows[key].isna()]
    return int(missing["n_movies"].sum()), int(missing["n_ratings"].sum())


def recent_decade(decades: pd.DataFrame) -> int | None:
    """The latest decade with a rating: the "recent" era of the comparison."""
    rated = decades[decades["n_ratings"] > 0]
    return None if rated.empty else int(rated["decade"].max())


def difference_interval(
    first: Mapping[str, Any], second: Mapping[str, Any], level: float = intervals.LEVEL
) -> tuple[float, float]:
    """Welch's t interval of ``first``'s mean minus ``second``'s.

    Each argument holds ``n_ratings``, ``mean_rating`` and ``sd_rating``. The
    interval is (nan, nan) where either side has fewer than two ratings.
    """
    counts = (first["n_ratings"], second["n_ratings"])
    if min(counts) < 2:
        return math.nan, math.nan
    variances = [side["sd_rating"] ** 2 / side["n_ratings"] for side in (first, second)]
    standard_error = math.sqrt(sum(variances))
    difference = first["mean_rating"] - second["mean_rating"]
    if standard_error == 0:
        return difference, difference
    degrees = sum(variances) ** 2 / sum(
        variance**2 / (count - 1)
        for variance, count in zip(variances, counts, strict=True)
    )
    half_width = scipy_stats.t.ppf(0.5 + level / 2, degrees) * standard_error
    return difference - half_width, difference + half_width


def era_comparison(era_rows: pd.DataFrame, recent_from: int) -> dict[str, Any]:
    """Older against recent films from :func:`by_era`'s rows: each era's counts,
    mean and interval, and the difference (older minus recent) with its interval.

    ``older`` is None when no rated film predates ``recent_from``.
    """
    table = intervals.with_mean_interval(era_rows.astype({"sd_rating": "float64"}))
    table = table.set_index("era").drop(columns="sum_rating")
    eras = {str(era): _plain_record(row) for era, row in table.to_dict("index").items()}
    comparison: dict[str, Any] = {
        "recent_from": recent_from,
        "recent_label": decade_label(recent_from),
        OLDER: eras.get(OLDER),
        RECENT: eras.get(RECENT),
    }
    older, recent = eras.get(OLDER), eras.get(RECENT)
    if older and recent:
        low, high = difference_interval(older, recent)
        comparison.update(
            difference=older["mean_rating"] - recent["mean_rating"],
            difference_ci_low=_plain(low),
            difference_ci_high=_plain(high),
        )
    return comparison


def _plain_record(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A localized row with plain Python values: see :func:`_plain`."""
    return {str(name): _plain(value) for name, value in row.items()}


def _plain(value: Any) -> Any:
    """``value`` as a plain Python number (JSON cannot hold numpy's), None where
    it is missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    return value


def _mean_text(side: Mapping[str, Any]) -> str:
    """``3.52 (95% CI 3.49–3.55; 1,234 ratings)`` for one group."""
    return (
        f"{_stars(side['mean_rating'])} "
        f"(95% CI {_stars(side['ci_low'])}–{_stars(side['ci_high'])}; "
        f"{_count(side['n_ratings'], 'rating')})"
    )


def _stars(value: float | None) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}"


def _count(number: int, noun: str) -> str:
    """``1 movie``, ``1,682 movies``."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def headline(comparison: Mapping[str, Any] | None, n_ratings: int) -> str:
    """One sentence on how older films are rated against recent ones."""
    if comparison is None:
        return (
            f"None of the {_count(n_ratings, 'rating')} is of a movie with a release "
            "year, so ratings cannot be compared by release date."
        )
    older, recent = comparison[OLDER], comparison[RECENT]
    period = comparison["recent_label"]
    if older is None:
        return (
            f"Every rated film with a release year is from the {period}, so there "
            f"is no older film to compare: mean {_mean_text(recent)}."
        )
    return (
        f"Films released before the {period} {_gap_text(comparison)} films of the "
        f"{period}: {_mean_text(older)} against {_mean_text(recent)}."
    )


def _gap_text(comparison: Mapping[str, Any]) -> str:
    """How older films compare, ``are rated 0.46 stars higher on average (95% CI
    0.43 to 0.49) than``: the difference and its interval in the direction of
    the word, or "about the same" where the interval holds zero."""
    difference = comparison["difference"]
    low, high = comparison["difference_ci_low"], comparison["difference_ci_high"]
    if low is not None and low <= 0 <= high:
        return (
            f"are rated about the same (difference {difference:+.2f} stars, "
            f"95% CI {low:+.2f} to {high:+.2f}) as"
        )
    if difference == 0:
        return "are rated the same on average as"
    direction = "higher" if difference > 0 else "lower"
    interval = ""
    if low is not None:
        # Turned around with the difference, so the bounds read in its direction.
        near, far = sorted(abs(bound) for bound in (low, high))
        interval = f" (95% CI {near:.2f} to {far:.2f})"
    return (
        f"are rated {abs(difference):.2f} stars {direction} on average{interval} than"
    )


def findings(
    years: pd.DataFrame,
    decades: pd.DataFrame,
    months: pd.DataFrame,
    unplaced: tuple[int, int],
    min_ratings: int,
) -> list[str]:
    """The report's findings: extreme decades, thin years, the months, and the
    movies without a release year."""
    sentences = []
    solid = decades[~decades["thin"]]
    if len(solid) >= 2:
        ranked = solid.sort_values(["mean_rating", "decade"], ascending=[False, True])
        best, worst = ranked.iloc[0], ranked.iloc[-1]
        sentences.append(
            f"Among the {len(solid)} decades with at least {min_ratings} ratings, "
            f"films of the {best['decade_label']} rate highest, "
            f"{_mean_text(best)}, and films of the {worst['decade_label']} "
            f"lowest, {_mean_text(worst)}."
        )
    if not years.empty:
        first, last = int(years["release_year"].min()), int(years["release_year"].max())
        sentences.append(
            f"Release years run from {first} to {last}: {int(years['thin'].sum())} "
            f"of these {len(years)} years have fewer than {min_ratings} ratings "
            f"(thin) and {int((years['n_ratings'] == 0).sum())} have none."
        )
    if not months.empty:
        sentences.append(_month_finding(months, min_ratings))
    n_movies, n_ratings = unplaced
    if n_movies or n_ratings:
        sentences.append(
            f"{_count(n_movies, 'movie')} with {_count(n_ratings, 'rating')} "
            f"{'has' if n_movies == 1 else 'have'} no release year: counted in the "
            "monthly view, left out of the release-year and decade views."
        )
    else:
        sentences.append("Every movie has a release year.")
    return sentences


def _month_finding(months: pd.DataFrame, min_ratings: int) -> str:
    """The collection window, and the lowest and highest monthly mean."""
    window = (
        f"Ratings were given over {len(months)} months, "
        f"{months['month'].iloc[0]} to {months['month'].iloc[-1]} (UTC)"
    )
    busy = months[months["n_ratings"] >= min_ratings]
    if len(busy) < 2:
        return window + "."
    ranked = busy.sort_values(["mean_rating", "month"])
    low, high = ranked.iloc[0], ranked.iloc[-1]
    return (
        f"{window}; among months with at least {min_ratings} ratings the mean ran "
        f"from {_mean_text(low)} in {low['month']} to {_mean_text(high)} in "
        f"{high['month']}."
    )


def plot_release_years(years: pd.DataFrame, min_ratings: int, path: Path) -> None:
    """Mean by release year with its 95% band over ratings per year (log scale);
    thin years are hollow points outside the line and band."""
    with plt.style.context(plotting.STYLE):
        fig, (means, counts) = plt.subplots(
            2,
            1,
            figsize=(7.2, 5.2),
            sharex=True,
            height_ratios=(3, 1.5),
            layout="constrained",
        )
        try:
            _draw_means(means, years["release_year"], years, min_ratings)
            means.set_ylabel("mean rating (stars)")
            means.set_title("Mean rating by release year")
            _draw_counts(counts, years["release_year"], years, min_ratings, width=0.8)
            counts.set_xlabel("release year")
            plotting.save_svg(fig, path)
        finally:
            plt.close(fig)


def plot_decades(decades: pd.DataFrame, min_ratings: int, path: Path) -> None:
    """Mean by decade with 95% interval bars over ratings per decade."""
    with plt.style.context(plotting.STYLE):
        fig, (means, counts) = plt.subplots(
            2,
            1,
            figsize=(6.4, 4.8),
            sharex=True,
            height_ratios=(3, 1.5),
            layout="constrained",
        )
        try:
            solid = decades[~decades["thin"] & decades["mean_rating"].notna()]
            thin = decades[decades["thin"] & decades["mean_rating"].notna()]
            for subset, face in ((solid, plotting.OKABE_ITO[0]), (thin, "white")):
                means.errorbar(
                    subset["decade"],
                    subset["mean_rating"],
                    yerr=_error_bars(subset),
                    fmt="o",
                    color=plotting.OKABE_ITO[0],
                    markerfacecolor=face,
                    capsize=3,
                )
            _clip_to_stars(means)
            means.set_ylabel("mean rating (stars)")
            means.set_title("Mean rating by decade of release, with 95% intervals")
            bars = _draw_counts(
                counts, decades["decade"], decades, min_ratings, width=8
            )
            counts.bar_label(bars, labels=_count_labels(decades), fontsize=8)
            counts.set_xticks(decades["decade"], decades["decade_label"])
            counts.set_xlabel("decade of release")
            plotting.save_svg(fig, path)
        finally:
            plt.close(fig)


def plot_months(months: pd.DataFrame, min_ratings: int, path: Path) -> None:
    """Mean by month of rating with its 95% band over ratings per month."""
    with plt.style.context(plotting.STYLE):
        fig, (means, counts) = plt.subplots(
            2,
            1,
            figsize=(6.4, 4.8),
            sharex=True,
            height_ratios=(3, 1.5),
            layout="constrained",
        )
        try:
            positions = pd.Series(range(len(months)), index=months.index)
            shaped = months.assign(thin=months["n_ratings"] < min_ratings)
            _draw_means(means, positions, shaped, min_ratings)
            means.set_ylabel("mean rating (stars)")
            means.set_title("Mean rating by month of rating (UTC)")
            _draw_counts(
                counts, positions, shaped, min_ratings, width=0.8, log_scale=False
            )
            step = max(1, math.ceil(len(months) / 12))
            counts.set_xticks(
                positions[::step], months["month"][::step], rotation=45, ha="right"
            )
            counts.set_xlabel("month of rating")
            plotting.save_svg(fig, path)
        finally:
            plt.close(fig)


def _draw_means(
    axes: Axes, x: pd.Series, frame: pd.DataFrame, min_ratings: int
) -> None:
    """A line and 95% band through the solid rows, hollow points for thin ones."""
    solid = ~frame["thin"]
    colour = plotting.OKABE_ITO[0]
    axes.fill_between(
        x,
        frame["ci_low"].where(solid),
        frame["ci_high"].where(solid),
        color=colour,
        alpha=0.25,
        linewidth=0,
        label="95% interval",
    )
    axes.plot(
        x, frame["mean_rating"].where(solid), color=colour, marker=".", label="mean"
    )
    if (~solid).any():
        axes.plot(
            x[~solid],
            frame["mean_rating"][~solid],
            linestyle="none",
            marker="o",
            markersize=4,
            markerfacecolor="white",
            markeredgecolor=colour,
            label=f"fewer than {min_ratings} ratings",
        )
    _clip_to_stars(axes)
    axes.legend(loc="best", fontsize=8, frameon=False)


def _draw_counts(
    axes: Axes,
    x: pd.Series,
    frame: pd.DataFrame,
    min_ratings: int,
    width: float,
    log_scale: bool = True,
) -> Any:
    """Bars of ratings per row, pale for thin rows; on a log scale, with the thin
    threshold as a dashed line."""
    colours = ["#bbbbbb" if thin else plotting.OKABE_ITO[4] for thin in frame["thin"]]
    # A log axis cannot show zero: empty rows get no bar rather than a clipped one.
    heights = frame["n_ratings"].where(frame["n_ratings"] > 0)
    bars = axes.bar(x, heights, width=width, color=colours)
    if log_scale:
        axes.axhline(min_ratings, color="#555555", linestyle="--", linewidth=0.8)
        axes.set_yscale("log")
    axes.set_ylabel("ratings")
    return bars


def _error_bars(frame: pd.DataFrame) -> Any:
    """Distances from each mean down to ``ci_low`` and up to ``ci_high``; zero
    where the interval is missing (a single rating)."""
    below = (frame["mean_rating"] - frame["ci_low"]).fillna(0)
    above = (frame["ci_high"] - frame["mean_rating"]).fillna(0)
    return np.vstack([below.to_numpy(), above.to_numpy()])


def _count_labels(frame: pd.DataFrame) -> list[str]:
    return [f"{count:,}" if count else "" for count in frame["n_ratings"]]


def _clip_to_stars(axes: Axes) -> None:
    """Keep the mean axis within the 1-5 star scale: the interval of a thin
    group can reach far beyond it."""
    low, high = axes.get_ylim()
    axes.set_ylim(max(low, 0.9), min(high, 5.1))


def run(
    ratings_path: Path,
    movies_path: Path,
    settings: Mapping[str, Any],
    outputs: Mapping[str, Path],
) -> dict[str, Any]:
    """Write the year, decade and month tables, their figures and the summary.

    :param settings: the ``temporal_trends`` config: ``min_ratings``.
    :param outputs: paths by name: ``by_release_year``, ``by_decade``,
        ``by_month`` (TSV), ``release_year``, ``decade``, ``month`` (SVG) and
        ``summary`` (JSON).
    :return: the summary.
    """
    min_ratings = int(settings["min_ratings"])
    ratings = runner.read_table(ratings_path)
    movies = runner.read_table(movies_path)

    rated = with_release_year(ratings, movies)
    year_rows = by_release_year(rated, movies).to_pandas()
    decade_rows = by_decade(rated, movies).to_pandas()
    years = release_year_table(year_rows, min_ratings)
    decades = decade_table(decade_rows, min_ratings)
    months = month_table(by_month(ratings).to_pandas())
    unplaced = unplaced_counts(year_rows, "release_year")

    recent_from = recent_decade(decades)
    comparison = (
        None
        if recent_from is None
        else era_comparison(by_era(rated, recent_from).to_pandas(), recent_from)
    )

    runner.write_tsv(years, outputs["by_release_year"])
    runner.write_tsv(decades, outputs["by_decade"])
    runner.write_tsv(months, outputs["by_month"])
    plot_release_years(years, min_ratings, outputs["release_year"])
    plot_decades(decades, min_ratings, outputs["decade"])
    plot_months(months, min_ratings, outputs["month"])

    n_ratings = int(year_rows["n_ratings"].sum())
    summary = {
        "headline": headline(comparison, n_ratings),
        "findings": findings(years, decades, months, unplaced, min_ratings),
        "settings": {"min_ratings": min_ratings},
        "n_movies": int(year_rows["n_movies"].sum()),
        "n_ratings": n_ratings,
        "n_movies_without_year": unplaced[0],
        "n_ratings_without_year": unplaced[1],
        "first_release_year": _plain(years["release_year"].min()),
        "last_release_year": _plain(years["release_year"].max()),
        "n_release_years": len(years),
        "n_thin_years": int(years["thin"].sum()),
        "n_years_without_ratings": int((years["n_ratings"] == 0).sum()),
        "first_month": _plain(months["month"].min()),
        "last_month": _plain(months["month"].max()),
        "n_months": len(months),
        "comparison": comparison,
    }
    runner.write_json(summary, outputs["summary"])
    logger.info(
        "temporal_trends: %d release years (%s to %s), %d thin below %d ratings; "
        "%d movies and %d ratings without a release year",
        summary["n_release_years"],
        summary["first_release_year"],
        summary["last_release_year"],
        summary["n_thin_years"],
        min_ratings,
        unplaced[0],
        unplaced[1],
    )
    logger.info(
        "temporal_trends: %d ratings over %d months, %s to %s",
        n_ratings,
        summary["n_months"],
        summary["first_month"],
        summary["last_month"],
    )
    return summary
