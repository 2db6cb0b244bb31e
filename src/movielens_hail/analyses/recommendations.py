"""A profile recommender: each user's taste in genres against each movie's genres.

A user's profile is the genre mix of the movies they rated, each movie weighted
by how the user rated it against their own mean: ``max(0, 1 + (r - mean) / 2)``,
so a film rated a star above the mean counts 1.5 times, one rated two stars
below counts not at all. A movie's match is the cosine of the profile and the
movie's genre flags. Match alone would put any one-rating film of the right
genre on top, so the score blends it with the movie's damped mean rating,
scaled to 0-1: ``match_weight * match + (1 - match_weight) * quality``. Movies
the user rated are never recommended.

It is judged on the same per-user hold-out as collaborative filtering
(:mod:`movielens_hail.evaluation`), against the most-rated unseen movies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from movielens_hail import plotting
from movielens_hail.evaluation import (
    POPULARITY,
    RatingMatrix,
    Settings,
    evaluation_ratings,
    popularity_scores,
    ranking_scores,
    top_unseen,
)
from movielens_hail.runner import read_table, write_json, write_tsv

logger = logging.getLogger(__name__)

PROFILE = "Genre profile + damped mean"


def genre_matrix(
    movies: pd.DataFrame, movie_ids: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """movies x genres flags for ``movie_ids``, and the genres in order.

    :param movies: ``id`` and ``genres`` (a list of names) per movie.
    """
    genres_of = dict(zip(movies["id"], movies["genres"], strict=True))
    names = sorted({genre for genres in movies["genres"] for genre in genres})
    column = {name: position for position, name in enumerate(names)}
    flags = np.zeros((len(movie_ids), len(names)))
    for row, movie in enumerate(movie_ids):
        for genre in genres_of.get(int(movie), []):
            flags[row, column[genre]] = 1.0
    return flags, names


def profiles(values: np.ndarray, rated: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """users x genres: each user's weighted share of each genre (rows sum to 1,
    or are 0 for a user with no weighted rating)."""
    counts = rated.sum(axis=1)
    means = np.divide(
        np.where(rated, values, 0).sum(axis=1),
        counts,
        out=np.zeros(len(counts)),
        where=counts > 0,
    )
    weights = np.where(rated, np.maximum(0.0, 1 + (values - means[:, None]) / 2), 0.0)
    mix = weights @ flags
    totals = mix.sum(axis=1, keepdims=True)
    return np.divide(mix, totals, out=np.zeros_like(mix), where=totals > 0)


def damped_means(
    values: np.ndarray, rated: np.ndarray, prior_weight: float
) -> np.ndarray:
    """Each movie's mean after ``prior_weight`` pseudo-ratings at the global mean."""
    counts = rated.sum(axis=0)
    sums = np.where(rated, values, 0).sum(axis=0)
    prior = sums.sum() / max(counts.sum(), 1)
    total = counts + prior_weight
    damped = sums + prior_weight * prior
    return np.divide(damped, total, out=np.full(len(counts), prior), where=total > 0)


def profile_scores(
    values: np.ndarray,
    rated: np.ndarray,
    flags: np.ndarray,
    match_weight: float,
    prior_weight: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """users x movies scores, and the profiles and matches they came from."""
    taste = profiles(values, rated, flags)
    norms = np.outer(np.linalg.norm(taste, axis=1), np.linalg.norm(flags, axis=1))
    match = np.divide(taste @ flags.T, norms, out=np.zeros_like(norms), where=norms > 0)
    quality = (damped_means(values, rated, prior_weight) - 1.0) / 4.0
    score = match_weight * match + (1 - match_weight) * quality[None, :]
    return score, taste, match


def run(
    ratings_path: Path,
    movies_path: Path,
    settings: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    prior_weight: float,
    outputs: Mapping[str, Path],
) -> dict[str, Any]:
    """Evaluate the profile recommender, recommend for the configured users and
    write every output; return the summary.

    :param settings: the ``recommendations`` section of the config.
    :param evaluation: the ``evaluation`` section of the config.
    :param prior_weight: pseudo-ratings of the damped mean (``stats``).
    :param outputs: paths by the rule's output names.
    """
    split = Settings.from_config(evaluation)
    matrix = RatingMatrix.from_frame(
        evaluation_ratings(read_table(ratings_path), split)
    )
    movies = read_table(movies_path).select("title", "genres").to_pandas()
    flags, genres = genre_matrix(movies, matrix.movie_ids)

    values, rated = matrix.dense(~matrix.ranking_test)
    scores, _, _ = profile_scores(
        values, rated, flags, settings["match_weight"], prior_weight
    )
    relevant = matrix.relevant()
    ranking = pd.DataFrame(
        [
            {"model": label}
            | ranking_scores(matrix.rankings(score, rated, split.k), relevant, split.k)
            for label, score in (
                (PROFILE, scores),
                (POPULARITY, popularity_scores(rated)),
            )
        ]
    )

    values, rated = matrix.dense(np.ones(len(matrix.ratings), dtype=bool))
    scores, taste, match = profile_scores(
        values, rated, flags, settings["match_weight"], prior_weight
    )
    picks = recommend(
        matrix, settings, scores, taste, match, flags, genres, values, rated, movies
    )
    profile_table = user_profiles(matrix, settings["users"], taste, genres)

    write_tsv(ranking, outputs["ranking"])
    write_tsv(picks, outputs["recommendations"])
    write_tsv(profile_table, outputs["profiles"])
    plot_profiles(profile_table, outputs["profiles_figure"])
    summary = summarize(ranking, matrix, settings, split)
    write_json(summary, outputs["summary"])
    logger.info("recommendations: %s", summary["headline"])
    return summary


def recommend(
    matrix: RatingMatrix,
    settings: Mapping[str, Any],
    scores: np.ndarray,
    taste: np.ndarray,
    match: np.ndarray,
    flags: np.ndarray,
    genres: Sequence[str],
    values: np.ndarray,
    rated: np.ndarray,
    movies: pd.DataFrame,
) -> pd.DataFrame:
    """Each configured user's top unseen movies, with the genres that explain
    each pick (the movie's genres the user's profile weighs most)."""
    titles = movies.set_index("id")["title"]
    quality = damped_means(values, rated, 0.0)
    known = {int(user): row for row, user in enumerate(matrix.user_ids)}
    rows = []
    for user in [user for user in settings["users"] if user in known]:
        row = known[user]
        (ranked,) = top_unseen(
            scores[row : row + 1],
            rated[row : row + 1],
            settings["top_n"],
            matrix.movie_ids,
        )
        for rank, movie_id in enumerate(ranked, start=1):
            column = int(np.searchsorted(matrix.movie_ids, movie_id))
            shared = [
                (taste[row, genre], genres[int(genre)])
                for genre in np.flatnonzero(flags[column])
                if taste[row, genre] > 0
            ]
            rows.append(
                {
                    "user_id": user,
                    "rank": rank,
                    "movie_id": movie_id,
                    "title": titles.get(movie_id, ""),
                    "score": round(float(scores[row, column]), 4),
                    "match": round(float(match[row, column]), 4),
                    "mean_rating": round(float(quality[column]), 2),
                    "n_ratings": int(rated[:, column].sum()),
                    "because": ", ".join(
                        f"{name} ({share:.0%} of profile)"
                        for share, name in sorted(shared, reverse=True)[:3]
                    ),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "user_id",
            "rank",
            "movie_id",
            "title",
            "score",
            "match",
            "mean_rating",
            "n_ratings",
            "because",
        ],
    )


def user_profiles(
    matrix: RatingMatrix,
    users: Sequence[int],
    taste: np.ndarray,
    genres: Sequence[str],
) -> pd.DataFrame:
    """The configured users' profiles: one row per user and genre."""
    rows = [
        {"user_id": int(user), "genre": genre, "share": round(float(share), 4)}
        for row, user in enumerate(matrix.user_ids)
        if int(user) in set(users)
        for genre, share in zip(genres, taste[row], strict=True)
    ]
    return pd.DataFrame(rows, columns=["user_id", "genre", "share"])


def plot_profiles(table: pd.DataFrame, path: Path) -> None:
    """A heat map of the configured users' genre profiles."""
    grid = table.pivot(index="user_id", columns="genre", values="share").fillna(0.0)
    with plt.style.context(plotting.STYLE):
        height = 1.2 + 0.35 * max(len(grid), 1)
        fig, axes = plt.subplots(figsize=(8.0, height), layout="constrained")
        image = axes.imshow(grid.to_numpy(), aspect="auto", cmap="Blues", vmin=0)
        axes.set_xticks(range(len(grid.columns)), grid.columns, rotation=60, ha="right")
        axes.set_yticks(range(len(grid)), [f"user {user}" for user in grid.index])
        axes.grid(False)
        fig.colorbar(image, ax=axes, label="share of weighted ratings")
        plotting.save_svg(fig, path)
        plt.close(fig)


def summarize(
    ranking: pd.DataFrame,
    matrix: RatingMatrix,
    settings: Mapping[str, Any],
    split: Settings,
) -> dict[str, Any]:
    """The headline numbers and sentences of the section."""
    metric = f"precision_at_{split.k}"
    by_model = ranking.set_index("model")
    profile = float(by_model.loc[PROFILE, metric])
    popularity = float(by_model.loc[POPULARITY, metric])
    verdict = "above" if profile > popularity else "below"
    return {
        "headline": (
            f"The genre-profile recommender reaches precision@{split.k} "
            f"{profile:.2f} on the held-out ratings, {verdict} the "
            f"{popularity:.2f} of recommending the most-rated unseen movies."
        ),
        "findings": [
            f"Judged on {len(matrix.ratings)} ratings of {matrix.shape[0]} users, "
            f"{int(matrix.ranking_test.sum())} held out.",
            f"Recall@{split.k}: {by_model.loc[PROFILE, f'recall_at_{split.k}']:.3f} "
            f"(popularity {by_model.loc[POPULARITY, f'recall_at_{split.k}']:.3f}).",
        ],
        metric: profile,
        "popularity_" + metric: popularity,
        "settings": dict(settings),
        "evaluation": vars(split),
    }
