"""Average rating per genre, and a rank test of whether the genres differ.

A movie with several genres counts once in each: its ratings are joined to its
genres and exploded, so every rating appears once per genre of its movie.
Ratings of movies with no genre fall in no group; they are counted and reported
on their own rather than dropped.

Ratings are ordinal (1 to 5 stars), so the genres are compared with the
Kruskal-Wallis H test rather than an analysis of variance. With five possible
values nearly every rating is tied, and H is computed exactly from the number
of ratings of each value in each genre: the tied values share their mid-rank,
and the tie correction divides H by ``1 - sum(t**3 - t) / (N**3 - N)``. Hail
counts the ratings per genre and value; only that small genre x value table
reaches Python.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import hail as hl
import numpy as np
import pandas as pd
from matplotlib import transforms
from scipy import stats

from movielens_hail import plotting
from movielens_hail.intervals import with_mean_interval
from movielens_hail.runner import read_table, write_json, write_tsv
from movielens_hail.stats import genres_by_movie, rating_aggregates

logger = logging.getLogger(__name__)

RATING_VALUES = (1, 2, 3, 4, 5)
VALUE_COLUMNS = [f"n_rating_{value}" for value in RATING_VALUES]
GENRE_COLUMNS = [
    "genre",
    "n_ratings",
    "n_movies",
    "mean_rating",
    "sd_rating",
    "ci_low",
    "ci_high",
    *VALUE_COLUMNS,
]


@dataclass(frozen=True)
class KruskalWallis:
    """The Kruskal-Wallis H test over groups of tied ordinal values.

    :param h: H after the tie correction.
    :param df: degrees of freedom, the number of groups less one.
    :param p_value: the chi-square upper tail of ``h`` with ``df`` degrees.
    :param tie_correction: the factor H was divided by, 1 without ties.
    :param n: the number of values over all groups.
    :param groups: the number of groups holding at least one value.
    :param eta_squared: the share of rank variance the groups explain,
        ``(h - groups + 1) / (n - groups)``; near 0 means the groups barely
        differ however small the p-value.
    """

    h: float
    df: int
    p_value: float
    tie_correction: float
    n: int
    groups: int
    eta_squared: float


def genre_rating_counts(ratings: hl.Table, movies: hl.Table) -> hl.Table:
    """One row per genre: rating aggregates, rated movies, and ratings by value.

    Each rating counts once per genre of its movie. The ratings of movies with
    no genre (or missing from ``movies``) form one more row whose ``genre`` is
    missing, so they are counted rather than lost in the explode.

    :param ratings: keyed by ``(user_id, movie_id)`` with ``rating``.
    :param movies: keyed by ``id`` with ``genres``.
    :return: keyed by ``genre``: ``n_ratings``, ``sum_rating``, ``mean_rating``,
        ``sd_rating``, ``n_movies`` and ``n_rating_1`` to ``n_rating_5``.
    """
    genres = hl.or_else(
        genres_by_movie(movies).get(ratings.movie_id), hl.empty_array(hl.tstr)
    )
    ht = ratings.select(
        "rating",
        genre=hl.if_else(hl.len(genres) > 0, genres, hl.array([hl.missing(hl.tstr)])),
    )
    ht = ht.explode("genre")
    return ht.group_by(ht.genre).aggregate(
        **rating_aggregates(ht.rating),
        n_movies=hl.len(hl.agg.collect_as_set(ht.movie_id)),
        **{
            column: hl.agg.count_where(ht.rating == value)
            for column, value in zip(VALUE_COLUMNS, RATING_VALUES, strict=True)
        },
    )


def overall_ratings(ratings: hl.Table) -> dict[str, Any]:
    """The number of ratings, rated movies and the mean of all ratings."""
    totals = ratings.aggregate(
        hl.struct(
            n_ratings=hl.agg.count(),
            n_movies=hl.len(hl.agg.collect_as_set(ratings.movie_id)),
            mean_rating=hl.agg.mean(ratings.rating),
        )
    )
    return dict(totals)


def kruskal_wallis(counts: Sequence[Sequence[int]]) -> KruskalWallis | None:
    """Kruskal-Wallis H from how many values of each level every group holds.

    :param counts: one row per group, one column per level in increasing
        order; ``counts[i][j]`` is how many values of level ``j`` group ``i``
        holds.
    :return: the test, or None when it is undefined: fewer than two groups hold
        values, or every value is the same.
    """
    if not counts:
        return None
    table = np.asarray(counts, dtype="float64")
    table = table[table.sum(axis=1) > 0]
    group_sizes = table.sum(axis=1)
    level_sizes = table.sum(axis=0)
    n = float(group_sizes.sum())
    groups = len(table)
    tie_correction = (
        1 - float(np.sum(level_sizes**3 - level_sizes)) / (n**3 - n) if n > 1 else 0.0
    )
    if groups < 2 or tie_correction <= 0:
        return None

    # Every value of a level sits at the middle of the ranks that level spans.
    mid_ranks = np.cumsum(level_sizes) - (level_sizes - 1) / 2
    rank_sums = table @ mid_ranks
    h_raw = 12 / (n * (n + 1)) * float(np.sum(rank_sums**2 / group_sizes))
    h = (h_raw - 3 * (n + 1)) / tie_correction
    df = groups - 1
    return KruskalWallis(
        h=h,
        df=df,
        p_value=float(stats.chi2.sf(h, df)),
        tie_correction=tie_correction,
        n=int(n),
        groups=groups,
        eta_squared=(h - groups + 1) / (n - groups) if n > groups else float("nan"),
    )


def genre_table(counts: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Split the localized counts into the genres, best first, and the ratings of
    movies with no genre.

    :param counts: :func:`genre_rating_counts` as pandas.
    :return: the genres with 95% intervals, sorted by mean rating (ties: more
        ratings, then name), and the no-genre ``n_ratings``, ``n_movies`` and
        ``mean_rating`` (zeros and None when every movie has a genre).
    """
    no_genre = counts[counts["genre"].isna()]
    genres = with_mean_interval(counts[counts["genre"].notna()])
    genres = genres.sort_values(
        ["mean_rating", "n_ratings", "genre"],
        ascending=[False, False, True],
        ignore_index=True,
    )[GENRE_COLUMNS]
    if no_genre.empty:
        return genres, {"n_ratings": 0, "n_movies": 0, "mean_rating": None}
    row = no_genre.iloc[0]
    return genres, {
        "n_ratings": int(row["n_ratings"]),
        "n_movies": int(row["n_movies"]),
        "mean_rating": float(row["mean_rating"]),
    }


def run(
    ratings_path: Path,
    movies_path: Path,
    settings: Mapping[str, Any],
    outputs: Mapping[str, Path],
) -> dict[str, Any]:
    """Write the per-genre table, figure and summary; return the summary.

    :param settings: the ``genre_ratings`` section of the config; it holds only
        ``activate``.
    :param outputs: paths by the rule's output names: ``genres`` (TSV),
        ``genre_means`` (SVG) and ``summary`` (JSON).
    """
    ratings = read_table(ratings_path)
    movies = read_table(movies_path)

    genres, no_genre = genre_table(genre_rating_counts(ratings, movies).to_pandas())
    overall = overall_ratings(ratings)
    test = kruskal_wallis(genres[VALUE_COLUMNS].to_numpy().tolist())

    write_tsv(genres, outputs["genres"])
    plot_genre_means(genres, overall["mean_rating"], outputs["genre_means"])
    summary = summarize(genres, no_genre, overall, test, settings)
    write_json(summary, outputs["summary"])
    logger.info(
        "genre_ratings: %d ratings in %d genres (%d genre ratings); "
        "movies with no genre: %d, with %d ratings",
        overall["n_ratings"],
        len(genres),
        summary["n_genre_ratings"],
        no_genre["n_movies"],
        no_genre["n_ratings"],
    )
    return summary


def summarize(
    genres: pd.DataFrame,
    no_genre: Mapping[str, Any],
    overall: Mapping[str, Any],
    test: KruskalWallis | None,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The headline numbers and sentences of the genre ratings section."""
    best = genre_record(genres, 0)
    worst = genre_record(genres, len(genres) - 1)
    spread = best["mean_rating"] - worst["mean_rating"] if best and worst else None
    n_genre_ratings = int(genres["n_ratings"].sum())
    n_with_genre = overall["n_ratings"] - no_genre["n_ratings"]
    return {
        "headline": headline(genres, best, worst, test),
        "findings": [
            sentence
            for sentence in (
                spread_finding(best, worst, spread),
                multiplicity_finding(overall, n_genre_ratings, n_with_genre),
                effect_finding(test),
                no_genre_finding(no_genre),
            )
            if sentence
        ],
        "settings": {
            key: value for key, value in settings.items() if key != "activate"
        },
        "n_ratings": overall["n_ratings"],
        "n_rated_movies": overall["n_movies"],
        "mean_rating": overall["mean_rating"],
        "n_genres": len(genres),
        "n_genre_ratings": n_genre_ratings,
        "genres_per_rating": n_genre_ratings / n_with_genre if n_with_genre else None,
        "no_genre": dict(no_genre),
        "kruskal_wallis": asdict(test) if test else None,
        "p_value_text": p_value_text(test.p_value) if test else None,
        "best": best,
        "worst": worst,
        "spread": spread,
    }


def genre_record(genres: pd.DataFrame, position: int) -> dict[str, Any] | None:
    """One genre's row as plain values for the summary, None if out of range."""
    if not 0 <= position < len(genres):
        return None
    row = genres.iloc[position]
    return {
        "genre": str(row["genre"]),
        "n_ratings": int(row["n_ratings"]),
        "n_movies": int(row["n_movies"]),
        "mean_rating": float(row["mean_rating"]),
        "ci_low": None if pd.isna(row["ci_low"]) else float(row["ci_low"]),
        "ci_high": None if pd.isna(row["ci_high"]) else float(row["ci_high"]),
    }


def p_value_text(p_value: float) -> str:
    """A p-value as the report prints it; below 1e-300 it is only a bound."""
    if p_value < 1e-300:
        return "p < 1e-300"
    if p_value < 0.001:
        return f"p = {p_value:.1e}"
    return f"p = {p_value:.3f}"


def describe(genre: Mapping[str, Any]) -> str:
    """A genre's mean, 95% interval and counts, for a sentence."""
    interval = (
        f", 95% CI {genre['ci_low']:.2f}–{genre['ci_high']:.2f}"
        if genre["ci_low"] is not None
        else ""
    )
    return (
        f"{genre['genre']} ({genre['mean_rating']:.2f}{interval}; "
        f"{counted(genre['n_ratings'], 'rating')} of "
        f"{counted(genre['n_movies'], 'movie')})"
    )


def headline(
    genres: pd.DataFrame,
    best: Mapping[str, Any] | None,
    worst: Mapping[str, Any] | None,
    test: KruskalWallis | None,
) -> str:
    """One sentence: the best and worst genre and whether the genres differ."""
    if best is None or worst is None:
        return "No rated movie has a genre, so there is nothing to compare."
    if test is None:
        return (
            f"Only {describe(best)} can be compared, so there is no test."
            if len(genres) == 1
            else f"Every genre's ratings are the same value, {describe(best)}."
        )
    return (
        f"Mean ratings of the {len(genres)} genres run from {describe(best)} down "
        f"to {describe(worst)}; Kruskal-Wallis H = {test.h:,.1f} "
        f"({test.df} df, {p_value_text(test.p_value)})."
    )


def spread_finding(
    best: Mapping[str, Any] | None,
    worst: Mapping[str, Any] | None,
    spread: float | None,
) -> str | None:
    """The difference between the best- and the worst-rated genre."""
    if best is None or worst is None or spread is None:
        return None
    if best["genre"] == worst["genre"]:
        return None
    return (
        f"The best-rated genre, {describe(best)}, is {spread:.2f} stars above the "
        f"worst-rated, {describe(worst)}."
    )


def multiplicity_finding(
    overall: Mapping[str, Any], n_genre_ratings: int, n_with_genre: int
) -> str | None:
    """How often a rating counts, given that movies have several genres."""
    if not n_with_genre:
        return None
    return (
        f"A rating counts once per genre of its movie: the {n_with_genre:,} "
        f"ratings of movies with a genre make {n_genre_ratings:,} genre ratings, "
        f"{n_genre_ratings / n_with_genre:.2f} per rating; the mean of all "
        f"{overall['n_ratings']:,} ratings is {overall['mean_rating']:.2f}."
    )


def effect_finding(test: KruskalWallis | None) -> str | None:
    """What the size of the genre effect is, beside its p-value."""
    if test is None:
        return None
    return (
        f"Genre explains {test.eta_squared:.1%} of the variance of the rating "
        f"ranks (eta squared from H): with {test.n:,} values even small "
        "differences test as significant, so the size matters more than the "
        "p-value."
    )


def no_genre_finding(no_genre: Mapping[str, Any]) -> str:
    """The ratings of movies without a genre, which are in no group."""
    n_ratings = no_genre["n_ratings"]
    if not n_ratings:
        return "Every rated movie has at least one genre."
    return (
        f"{counted(n_ratings, 'rating')} of "
        f"{counted(no_genre['n_movies'], 'movie')} with no genre (mean "
        f"{no_genre['mean_rating']:.2f}) {'is' if n_ratings == 1 else 'are'} in "
        "no genre group and not in the test."
    )


def counted(n: int, noun: str) -> str:
    """``n`` with ``noun`` in the singular or plural: "1 movie", "2 movies"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def plot_genre_means(
    genres: pd.DataFrame, overall_mean: float | None, path: Path
) -> None:
    """Genre means as horizontal bars, best at the top, with 95% interval
    whiskers and the number of ratings and movies beside each bar.

    Each bar starts at the mean of all ratings (the dashed line) and ends at the
    genre's mean, so it shows how far the genre sits above or below average.
    Bars from zero would make differences of a tenth of a star, and the
    intervals, too small to see on a five-star axis.
    """
    baseline = overall_mean if overall_mean is not None else 0.0
    positions = np.arange(len(genres))
    means = genres["mean_rating"].astype("float64").to_numpy()
    low = genres["ci_low"].astype("float64").to_numpy()
    high = genres["ci_high"].astype("float64").to_numpy()
    # A genre with one rating has no interval; it gets no whisker.
    whiskers = np.vstack([means - low, high - means])
    with plotting.figure(7.5, 1.2 + 0.32 * max(len(genres), 1)) as (fig, axes):
        axes.barh(
            positions,
            means - baseline,
            left=baseline,
            height=0.65,
            color=plotting.OKABE_ITO[0],
        )
        axes.errorbar(
            means, positions, xerr=whiskers, fmt="none", ecolor="#333333", capsize=2
        )
        counts_at_right = transforms.blended_transform_factory(
            axes.transAxes, axes.transData
        )
        for position, n_ratings, n_movies in zip(
            positions, genres["n_ratings"], genres["n_movies"], strict=True
        ):
            axes.text(
                1.02,
                float(position),
                f"{int(n_ratings):,} ratings · {int(n_movies):,} movies",
                transform=counts_at_right,
                va="center",
                fontsize=8,
                clip_on=False,
            )
        if overall_mean is not None:
            axes.axvline(
                overall_mean,
                color=plotting.OKABE_ITO[7],
                linestyle="--",
                linewidth=1,
                label=f"mean of all ratings, {overall_mean:.2f}",
            )
            axes.legend(frameon=False, loc="lower right")
        if len(genres):
            edges = [np.nanmin(np.r_[low, means, baseline])]
            edges.append(np.nanmax(np.r_[high, means, baseline]))
            margin = 0.1 * (edges[1] - edges[0]) or 0.1
            axes.set_xlim(edges[0] - margin, edges[1] + margin)
        axes.set_yticks(positions, list(genres["genre"]))
        axes.invert_yaxis()
        axes.set_xlabel("mean rating (stars), whiskers: 95% interval")
        axes.grid(axis="y", visible=False)
        plotting.save_svg(fig, path)
