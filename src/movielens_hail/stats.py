"""Per-movie and per-user rating aggregates shared by the analyses.

Each table holds the number of ratings, their mean and sample standard deviation,
and a damped mean: the mean after adding ``prior_weight`` pseudo-ratings at the
global mean, ``(sum + prior_weight * global_mean) / (n + prior_weight)``. It
ranks a movie rated 5 by two people below one rated 4.6 by three hundred.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import hail as hl

from movielens_hail.runner import read_table, write_json, write_table

logger = logging.getLogger(__name__)


def run(
    kind: Literal["movie", "user"],
    ratings_path: Path,
    entities_path: Path,
    prior_weight: float,
    table_path: Path,
    summary_path: Path,
) -> dict[str, Any]:
    """Write the ``movie_stats`` or ``user_stats`` table and a JSON summary of it.

    The summary holds how ratings spread over movies or users (least, median and
    most ratings, and how many have none), which the report shows without a JVM.
    """
    ratings = read_table(ratings_path)
    entities = read_table(entities_path)
    build = movie_stats if kind == "movie" else user_stats
    write_table(build(ratings, entities, prior_weight), table_path)

    ht = read_table(table_path)
    summary = dict(
        ht.aggregate(
            hl.struct(
                n=hl.agg.count(),
                n_unrated=hl.agg.count_where(ht.n_ratings == 0),
                min_ratings=hl.agg.min(ht.n_ratings),
                median_ratings=hl.median(hl.agg.collect(hl.float64(ht.n_ratings))),
                max_ratings=hl.agg.max(ht.n_ratings),
            )
        )
    )
    summary.update(global_mean=hl.eval(ht.global_mean), prior_weight=prior_weight)
    write_json(summary, summary_path)
    logger.info(
        "%s_stats: %d %ss, %d with no rating; median %s ratings each",
        kind,
        summary["n"],
        kind,
        summary["n_unrated"],
        summary["median_ratings"],
    )
    return summary


def rating_aggregates(rating: hl.Int32Expression) -> hl.StructExpression:
    """Count, sum, mean and sample standard deviation of ``rating``.

    The standard deviation is missing for fewer than two ratings.
    """
    n = hl.agg.count()
    total = hl.agg.sum(rating)
    squares = hl.agg.sum(rating * rating)
    mean = total / n
    variance = (squares - n * mean * mean) / (n - 1)
    return hl.struct(
        n_ratings=n,
        sum_rating=total,
        mean_rating=mean,
        sd_rating=hl.or_missing(n > 1, hl.sqrt(hl.max(variance, 0.0))),
    )


def global_mean(ratings: hl.Table) -> float:
    """Mean of all ratings."""
    return ratings.aggregate(hl.agg.mean(ratings.rating))


def genres_by_movie(movies: hl.Table) -> hl.DictExpression:
    """Each movie's genres by movie id, as one dictionary that travels with the
    query that uses it.

    The ratings are keyed by ``(user_id, movie_id)``, so joining ``movies`` on
    ``movie_id`` would re-key, and so sort, every rating; the movies, a small
    table beside the ratings, cost less shipped whole to every partition.
    """
    return movies.aggregate(
        hl.dict(hl.agg.collect((movies.id, movies.genres))), _localize=False
    )


def movie_stats(ratings: hl.Table, movies: hl.Table, prior_weight: float) -> hl.Table:
    """One row per movie, keyed by ``movie_id``, with its rating aggregates.

    Movies nobody rated keep a row with ``n_ratings`` 0, a missing mean and the
    global mean as damped mean. Title, genres and release year come along so the
    analyses need not join ``movies`` again.
    """
    return _stats_by(ratings, movies, "movie_id", prior_weight)


def user_stats(ratings: hl.Table, users: hl.Table, prior_weight: float) -> hl.Table:
    """One row per user, keyed by ``user_id``, with rating aggregates and
    demographics (age, sex, occupation, ZIP code)."""
    return _stats_by(ratings, users, "user_id", prior_weight)


def _stats_by(
    ratings: hl.Table, entities: hl.Table, key: str, prior_weight: float
) -> hl.Table:
    """Aggregate ``ratings`` by ``key`` onto every row of ``entities`` (keyed by
    ``id``, renamed to ``key``), with the damped mean and its settings as globals.
    """
    prior = global_mean(ratings)
    aggregates = ratings.group_by(ratings[key]).aggregate(
        **rating_aggregates(ratings.rating)
    )
    ht = entities.rename({"id": key})
    ht = ht.annotate(**aggregates[ht[key]])
    ht = ht.annotate(
        n_ratings=hl.or_else(ht.n_ratings, hl.int64(0)),
        sum_rating=hl.or_else(ht.sum_rating, hl.int64(0)),
    )
    pseudo_total = ht.sum_rating + prior_weight * prior
    ht = ht.annotate(
        damped_mean=hl.or_missing(
            ht.n_ratings + prior_weight > 0,
            pseudo_total / (ht.n_ratings + prior_weight),
        )
    )
    return ht.annotate_globals(global_mean=prior, prior_weight=hl.float64(prior_weight))
