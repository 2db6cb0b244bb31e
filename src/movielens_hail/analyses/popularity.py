"""Each movie's average rating, the best and worst rated movies, and how ratings
are distributed.

A movie's plain mean rating is only comparable between movies with enough
ratings: a movie rated 5 by one person tops any list by mean. So the top and
bottom lists by mean keep movies with at least ``min_ratings`` ratings, and a
second pair of lists ranks every rated movie by its damped mean (see
:mod:`movielens_hail.stats`), which needs no threshold. The summary says how
many movies the two top lists share, so a reader sees what the threshold does.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hail as hl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.axes import Axes

from movielens_hail import plotting
from movielens_hail.intervals import with_mean_interval
from movielens_hail.runner import read_table, write_json, write_tsv

logger = logging.getLogger(__name__)

RATING_VALUES = (1, 2, 3, 4, 5)
MOVIE_COLUMNS = [
    "movie_id",
    "title",
    "n_ratings",
    "mean_rating",
    "sd_rating",
    "ci_low",
    "ci_high",
    "damped_mean",
]
LIST_COLUMNS = ["rank", *MOVIE_COLUMNS]
TITLE_WIDTH = 42
"""Titles longer than this many characters are shortened in the figures."""


def movie_ratings(movie_stats: hl.Table) -> hl.Table:
    """Each movie's title, number of ratings, mean, sd and damped mean.

    Movies nobody rated stay in, with ``n_ratings`` 0 and a missing mean.
    """
    return movie_stats.select(
        "title", "n_ratings", "mean_rating", "sd_rating", "damped_mean"
    )


def ranked(
    ht: hl.Table,
    score: str,
    top_n: int,
    *,
    min_ratings: int,
    lowest_first: bool = False,
) -> hl.ArrayExpression:
    """Aggregation: the ``top_n`` movies with at least ``min_ratings`` ratings,
    ranked by ``score``.

    Ties on the score go to the movie with more ratings, then to the lower movie
    id, whichever end of the ranking is asked for. The list is shorter than
    ``top_n`` when fewer movies pass the threshold. An aggregation, rather than
    ``order_by`` and ``head``, so that all lists come from one pass over the
    table without a sort.

    :param ht: a table like :func:`movie_ratings`'s.
    :param score: the field to rank by, ``mean_rating`` or ``damped_mean``.
    :param lowest_first: rank the lowest scores first (the bottom list).
    :return: the movies' rows in rank order, each with ``rank`` counted from 1.
    """
    direction = 1 if lowest_first else -1
    ordering = hl.tuple([direction * ht[score], -ht.n_ratings, ht.movie_id])
    qualifies = (ht.n_ratings >= min_ratings) & hl.is_defined(ht[score])
    movies = hl.agg.filter(qualifies, hl.agg.take(ht.row, top_n, ordering=ordering))
    return hl.enumerate(movies).map(lambda pair: pair[1].annotate(rank=pair[0] + 1))


def rankings(ht: hl.Table, top_n: int, min_ratings: int) -> hl.StructExpression:
    """Aggregation: the ``top``, ``bottom``, ``top_damped`` and ``bottom_damped``
    lists of :func:`ranked`.

    The lists by mean need ``min_ratings``; the lists by damped mean take every
    rated movie, since damping already keeps movies with few ratings near the
    overall mean.
    """
    return hl.struct(
        top=ranked(ht, "mean_rating", top_n, min_ratings=min_ratings),
        bottom=ranked(
            ht, "mean_rating", top_n, min_ratings=min_ratings, lowest_first=True
        ),
        top_damped=ranked(ht, "damped_mean", top_n, min_ratings=1),
        bottom_damped=ranked(
            ht, "damped_mean", top_n, min_ratings=1, lowest_first=True
        ),
    )


def rating_distribution(ratings: hl.Table) -> dict[int, int]:
    """How many ratings have each value 1 to 5, zero for a value never given."""
    counts = ratings.aggregate(hl.agg.counter(ratings.rating))
    return {value: int(counts.get(value, 0)) for value in RATING_VALUES}


def with_interval(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Localized movies with the 95% interval of each mean, in ``columns``."""
    return with_mean_interval(frame)[columns].reset_index(drop=True)


def list_frame(rows: list[Any]) -> pd.DataFrame:
    """A list from :func:`ranked` as pandas, with intervals."""
    fields = [column for column in LIST_COLUMNS if column not in ("ci_low", "ci_high")]
    frame = pd.DataFrame([dict(row) for row in rows], columns=fields)
    return with_interval(frame, LIST_COLUMNS)


def run(
    movie_stats_path: Path,
    ratings_path: Path,
    settings: Mapping[str, Any],
    outputs: Mapping[str, Path],
) -> dict[str, Any]:
    """Write the popularity tables, figures and summary; return the summary.

    :param settings: the ``popularity`` section of the config (``top_n``,
        ``min_ratings``).
    :param outputs: paths by the rule's output names: ``movies``, ``top``,
        ``bottom``, ``top_damped``, ``bottom_damped`` (TSV), ``distributions``,
        ``top_bottom``, ``mean_vs_count`` (SVG) and ``summary`` (JSON).
    """
    top_n, min_ratings = int(settings["top_n"]), int(settings["min_ratings"])
    movie_stats = read_table(movie_stats_path)
    ratings = read_table(ratings_path)
    movies_ht = movie_ratings(movie_stats)

    movies = with_interval(movies_ht.to_pandas(), MOVIE_COLUMNS)
    movies = movies.sort_values("movie_id", ignore_index=True)
    lists = movies_ht.aggregate(rankings(movies_ht, top_n, min_ratings))
    ranking = {name: list_frame(rows) for name, rows in lists.items()}
    distribution = rating_distribution(ratings)
    prior_weight = float(hl.eval(movie_stats.prior_weight))

    write_tsv(movies, outputs["movies"])
    for name, frame in ranking.items():
        write_tsv(frame, outputs[name])
    plot_distributions(distribution, movies, min_ratings, outputs["distributions"])
    plot_top_bottom(ranking["top"], ranking["bottom"], outputs["top_bottom"])
    plot_mean_vs_count(movies, ranking, min_ratings, outputs["mean_vs_count"])

    summary = summarize(
        movies,
        ranking,
        distribution,
        top_n=top_n,
        min_ratings=min_ratings,
        prior_weight=prior_weight,
    )
    write_json(summary, outputs["summary"])
    logger.info(
        "popularity: %d movies, %d with at least %d ratings; top lists share %d",
        summary["n_movies"],
        summary["n_eligible"],
        min_ratings,
        summary["n_shared_top"],
    )
    return summary


def summarize(
    movies: pd.DataFrame,
    ranking: Mapping[str, pd.DataFrame],
    distribution: Mapping[int, int],
    *,
    top_n: int,
    min_ratings: int,
    prior_weight: float,
) -> dict[str, Any]:
    """The headline numbers and sentences of the popularity section.

    :param movies: every movie, as written to ``movies.tsv``.
    :param ranking: the ``top``, ``bottom``, ``top_damped`` and ``bottom_damped``
        lists.
    :param distribution: the number of ratings of each value 1 to 5.
    """
    rated = movies[movies["n_ratings"] > 0]
    eligible = movies[movies["n_ratings"] >= min_ratings]
    top, bottom = ranking["top"], ranking["bottom"]
    n_ratings = sum(distribution.values())
    return {
        "headline": headline(movies, top, bottom, ranking["top_damped"], min_ratings),
        "findings": [
            sentence
            for sentence in (
                short_list_finding(len(eligible), top_n, min_ratings),
                shared_finding(ranking, min_ratings, len(rated), prior_weight),
                distribution_finding(distribution),
                spread_finding(rated, min_ratings),
            )
            if sentence
        ],
        "settings": {"top_n": top_n, "min_ratings": min_ratings},
        "prior_weight": prior_weight,
        "n_movies": len(movies),
        "n_rated": len(rated),
        "n_unrated": len(movies) - len(rated),
        "n_eligible": len(eligible),
        "n_ratings": n_ratings,
        "n_top": len(top),
        "n_bottom": len(bottom),
        "n_top_damped": len(ranking["top_damped"]),
        "n_bottom_damped": len(ranking["bottom_damped"]),
        "n_shared_top": shared(top, ranking["top_damped"]),
        "n_shared_bottom": shared(bottom, ranking["bottom_damped"]),
        "n_top_in_bottom": shared(top, bottom),
        "rating_distribution": {str(value): n for value, n in distribution.items()},
        "mean_rating": (
            sum(value * n for value, n in distribution.items()) / n_ratings
            if n_ratings
            else None
        ),
        "best": first_row(top),
        "worst": first_row(bottom),
        "best_damped": first_row(ranking["top_damped"]),
        "worst_damped": first_row(ranking["bottom_damped"]),
    }


def shared(first: pd.DataFrame, second: pd.DataFrame) -> int:
    """How many movies two lists have in common."""
    return len(set(first["movie_id"]) & set(second["movie_id"]))


def first_row(ranked_movies: pd.DataFrame) -> dict[str, Any] | None:
    """The first movie of a list as plain values, or None for an empty list."""
    if ranked_movies.empty:
        return None
    row = ranked_movies.iloc[0]
    return {
        column: plain(row[column])
        for column in MOVIE_COLUMNS
        if column in ranked_movies.columns
    }


def plain(value: Any) -> Any:
    """A pandas or numpy scalar as a JSON-ready Python value (None if missing)."""
    if pd.isna(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def describe(movie: Mapping[str, Any] | pd.Series, score: str = "mean_rating") -> str:
    """A movie, its score, 95% interval and number of ratings, for a sentence."""
    interval = (
        f", 95% CI {movie['ci_low']:.2f}–{movie['ci_high']:.2f}"
        if plain(movie["ci_low"]) is not None
        else ""
    )
    label = "damped mean" if score == "damped_mean" else "mean"
    return (
        f"“{movie['title']}” ({label} {movie[score]:.2f}{interval}; "
        f"{counted(int(movie['n_ratings']), 'rating')})"
    )


def headline(
    movies: pd.DataFrame,
    top: pd.DataFrame,
    bottom: pd.DataFrame,
    top_damped: pd.DataFrame,
    min_ratings: int,
) -> str:
    """One sentence: how many movies qualify, and the best and worst of them."""
    n_eligible = int((movies["n_ratings"] >= min_ratings).sum())
    if top.empty:
        fallback = (
            f"; by damped mean, {describe(top_damped.iloc[0], 'damped_mean')} "
            "rates highest."
            if not top_damped.empty
            else "."
        )
        return (
            f"None of the {counted(len(movies), 'movie')} has at least "
            f"{counted(min_ratings, 'rating')}, so there are no lists by mean "
            f"rating{fallback}"
        )
    return (
        f"Of {counted(len(movies), 'movie')}, {n_eligible:,} "
        f"{'has' if n_eligible == 1 else 'have'} at least "
        f"{counted(min_ratings, 'rating')}; among them {describe(top.iloc[0])} rates "
        f"highest and {describe(bottom.iloc[0])} lowest."
    )


def short_list_finding(n_eligible: int, top_n: int, min_ratings: int) -> str | None:
    """Say so when fewer movies pass the threshold than the lists should hold.

    With fewer than ``2 * top_n`` movies the top and bottom lists overlap; with
    fewer than ``top_n`` both hold the same movies, in reverse order.
    """
    threshold = f"at least {counted(min_ratings, 'rating')}"
    if n_eligible >= 2 * top_n:
        return None
    if n_eligible == 0:
        return (
            f"No movie has {threshold}, so the lists by mean rating are empty; "
            "the lists by damped mean still rank every rated movie."
        )
    if n_eligible >= top_n:
        overlap = 2 * top_n - n_eligible
        return (
            f"Only {counted(n_eligible, 'movie')} have {threshold}, fewer than "
            f"twice top_n = {top_n:,}, so {counted(overlap, 'movie')} "
            f"{'is' if overlap == 1 else 'are'} in both the top and the bottom list."
        )
    return (
        f"Only {counted(n_eligible, 'movie')} "
        f"{'has' if n_eligible == 1 else 'have'} {threshold}, fewer than "
        f"top_n = {top_n:,}, so the top and bottom lists hold "
        f"{counted(n_eligible, 'movie')} each, the same in reverse order."
    )


def shared_finding(
    ranking: Mapping[str, pd.DataFrame],
    min_ratings: int,
    n_rated: int,
    prior_weight: float,
) -> str | None:
    """How much the lists by mean and by damped mean agree."""
    top, top_damped = ranking["top"], ranking["top_damped"]
    if top.empty or top_damped.empty:
        return None
    return (
        f"The top {len(top):,} by mean (at least "
        f"{counted(min_ratings, 'rating')}) and the top {len(top_damped):,} by "
        f"damped mean (all {n_rated:,} rated movies, prior weight "
        f"{prior_weight:g}) share {counted(shared(top, top_damped), 'movie')}; "
        "the bottom lists share "
        f"{shared(ranking['bottom'], ranking['bottom_damped']):,}."
    )


def distribution_finding(distribution: Mapping[int, int]) -> str | None:
    """The most and least common rating values and their shares."""
    total = sum(distribution.values())
    if not total:
        return None
    most = max(RATING_VALUES, key=lambda value: (distribution[value], -value))
    least = min(RATING_VALUES, key=lambda value: (distribution[value], value))
    return (
        f"{counted(most, 'star')} is the most common rating "
        f"({distribution[most]:,} of {total:,}, {distribution[most] / total:.1%}) "
        f"and {counted(least, 'star')} the "
        f"least common ({distribution[least] / total:.1%})."
    )


def spread_finding(rated: pd.DataFrame, min_ratings: int) -> str | None:
    """How far per-movie means spread with and without enough ratings.

    The contrast is the reason for the threshold: means of few ratings reach the
    ends of the scale by chance.
    """
    few = rated[rated["n_ratings"] < min_ratings]["mean_rating"]
    many = rated[rated["n_ratings"] >= min_ratings]["mean_rating"]
    parts = []
    if not few.empty:
        parts.append(
            f"the {counted(len(few), 'movie')} with fewer than "
            f"{counted(min_ratings, 'rating')} "
            f"{'has a mean' if len(few) == 1 else 'have means'} from "
            f"{few.min():.2f} to {few.max():.2f}"
        )
    if not many.empty:
        parts.append(
            f"the {len(many):,} with at least {counted(min_ratings, 'rating')} "
            f"{'spans' if len(many) == 1 else 'span'} "
            f"{many.min():.2f} to {many.max():.2f}"
        )
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def counted(n: int, noun: str) -> str:
    """``n`` with ``noun`` in the singular or plural: "1 movie", "2 movies"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def short_title(title: str) -> str:
    """A title cut to fit beside a bar, with an ellipsis where it was cut."""
    return textwrap.shorten(title, width=TITLE_WIDTH, placeholder="…")


def plot_distributions(
    distribution: Mapping[int, int],
    movies: pd.DataFrame,
    min_ratings: int,
    path: Path,
) -> None:
    """Two panels: how many ratings have each value, and how per-movie means
    spread, with the movies that pass ``min_ratings`` drawn over all rated ones.
    """
    means = movies.loc[movies["n_ratings"] > 0, "mean_rating"].astype("float64")
    eligible = movies.loc[movies["n_ratings"] >= min_ratings, "mean_rating"]
    bins = np.linspace(1.0, 5.0, 33)
    with plt.style.context(plotting.STYLE):
        fig, (values, spread) = plt.subplots(
            1, 2, figsize=(9.0, 3.4), layout="constrained"
        )
        values.bar(
            list(distribution),
            list(distribution.values()),
            width=0.7,
            color=plotting.OKABE_ITO[0],
        )
        values.set_xticks(list(RATING_VALUES))
        values.set_xlabel("rating (stars)")
        values.set_ylabel("number of ratings")
        values.set_title("All ratings")
        values.grid(axis="x", visible=False)

        spread.hist(means, bins=bins, color=plotting.OKABE_ITO[4], label="all rated")
        spread.hist(
            eligible.astype("float64"),
            bins=bins,
            color=plotting.OKABE_ITO[1],
            label=f"at least {min_ratings:,} ratings",
        )
        spread.set_xlabel("mean rating of a movie")
        spread.set_ylabel("number of movies")
        spread.set_title("Per-movie means")
        spread.legend(frameon=False)
        plotting.save_svg(fig, path)
        plt.close(fig)


def plot_top_bottom(top: pd.DataFrame, bottom: pd.DataFrame, path: Path) -> None:
    """The top and bottom lists as horizontal bars of the mean rating with 95%
    interval whiskers, the first of each list at the top."""
    rows = max(len(top), len(bottom), 1)
    with plt.style.context(plotting.STYLE):
        fig, (upper, lower) = plt.subplots(
            2, 1, figsize=(8.0, 1.4 + 0.55 * rows), layout="constrained"
        )
        ranked_bars(upper, top, "Top by mean rating", plotting.OKABE_ITO[2])
        ranked_bars(lower, bottom, "Bottom by mean rating", plotting.OKABE_ITO[3])
        lower.set_xlabel("mean rating (stars), whiskers: 95% interval")
        plotting.save_svg(fig, path)
        plt.close(fig)


def ranked_bars(
    axes: Axes, ranked_movies: pd.DataFrame, title: str, colour: str
) -> None:
    """One list as horizontal bars labelled with title and number of ratings."""
    axes.set_title(title, loc="left")
    axes.set_xlim(0, 5.4)
    axes.grid(axis="y", visible=False)
    if ranked_movies.empty:
        axes.set_yticks([])
        axes.text(0.5, 0.5, "no movie qualifies", ha="center", transform=axes.transAxes)
        return
    means = ranked_movies["mean_rating"].astype("float64").to_numpy()
    low = ranked_movies["ci_low"].astype("float64").to_numpy()
    high = ranked_movies["ci_high"].astype("float64").to_numpy()
    # A movie with one rating has no interval; draw no whisker rather than zero.
    whiskers = np.vstack([means - low, high - means])
    positions = np.arange(len(ranked_movies))
    axes.barh(positions, means, color=colour, height=0.65)
    axes.errorbar(
        means, positions, xerr=whiskers, fmt="none", ecolor="#333333", capsize=2
    )
    axes.set_yticks(
        positions,
        [
            f"{short_title(title)} (n={n:,})"
            for title, n in zip(
                ranked_movies["title"],
                ranked_movies["n_ratings"].astype("int64"),
                strict=True,
            )
        ],
    )
    axes.invert_yaxis()


def plot_mean_vs_count(
    movies: pd.DataFrame,
    ranking: Mapping[str, pd.DataFrame],
    min_ratings: int,
    path: Path,
) -> None:
    """Each rated movie's mean against its number of ratings (log scale), the
    ``min_ratings`` threshold as a vertical line and the listed movies marked."""
    rated = movies[movies["n_ratings"] > 0]
    listed_top = rated["movie_id"].isin(ranking["top"]["movie_id"])
    listed_bottom = rated["movie_id"].isin(ranking["bottom"]["movie_id"])
    others = rated[~(listed_top | listed_bottom)]
    with plotting.figure(7.0, 4.2) as (fig, axes):
        for subset, label, colour, size, alpha in (
            (others, "other movies", plotting.OKABE_ITO[4], 10, 0.45),
            (rated[listed_top], "top list", plotting.OKABE_ITO[2], 22, 1.0),
            (rated[listed_bottom], "bottom list", plotting.OKABE_ITO[3], 22, 1.0),
        ):
            axes.scatter(
                subset["n_ratings"].astype("float64"),
                subset["mean_rating"].astype("float64"),
                s=size,
                alpha=alpha,
                color=colour,
                label=label,
                linewidths=0,
            )
        axes.axvline(
            min_ratings,
            color=plotting.OKABE_ITO[7],
            linestyle="--",
            linewidth=1,
            label=f"min_ratings = {min_ratings:,}",
        )
        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))
        axes.set_ylim(0.8, 5.2)
        axes.set_xlabel("number of ratings (log scale)")
        axes.set_ylabel("mean rating (stars)")
        axes.legend(frameon=False, loc="lower right")
        plotting.save_svg(fig, path)
