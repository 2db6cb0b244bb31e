"""User-based collaborative filtering, its recommendations and its evaluation.

Hail reads the ratings, picks the users and movies evaluated and assigns the
seeded folds (:mod:`movielens_hail.evaluation`); the neighbourhood maths runs
on the resulting users x movies matrix (:mod:`movielens_hail.neighbours`).

Rating prediction is judged by k-fold cross-validation against four baselines
(global mean, user mean, movie mean, damped user + movie bias) and both ways of
centring; top-N ranking by the per-user hold-out against the most-rated unseen
movies. Recommendations for the configured users use all their ratings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from movielens_hail import neighbours, plotting
from movielens_hail.evaluation import (
    POPULARITY,
    RatingMatrix,
    Settings,
    evaluation_ratings,
    popularity_scores,
    published_table,
    ranking_scores,
    rating_errors,
    top_unseen,
)
from movielens_hail.runner import read_table, write_json, write_tsv

logger = logging.getLogger(__name__)

CENTRING_LABELS = {
    "user_mean": "User-based CF, mean-centred",
    "baseline": "User-based CF, bias-centred",
}
CF_RATING_SIMILARITY = "User-based CF, rating similarity"
CF_CO_RATING = "User-based CF, co-rating similarity"

Predictor = Callable[[neighbours.Baseline, np.ndarray, np.ndarray], np.ndarray]


def run(
    ratings_path: Path,
    movies_path: Path,
    settings: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    outputs: Mapping[str, Path],
) -> dict[str, Any]:
    """Evaluate, recommend and write every output; return the summary.

    :param settings: the ``collaborative_filtering`` section of the config.
    :param evaluation: the ``evaluation`` section of the config.
    :param outputs: paths by the rule's output names.
    """
    split = Settings.from_config(evaluation)
    matrix = RatingMatrix.from_frame(
        evaluation_ratings(read_table(ratings_path), split)
    )
    movies = read_table(movies_path).select("title").to_pandas()

    folds = cross_validate(matrix, settings, split)
    prediction = prediction_table(folds, settings)
    ranking = ranking_table(matrix, settings, split)
    recommendations, pairs = recommend(matrix, settings, split, movies)

    write_tsv(prediction, outputs["rating_prediction"])
    write_tsv(folds, outputs["folds"])
    write_tsv(ranking, outputs["ranking"])
    write_tsv(
        published_table(["rmse", f"precision_at_{split.k}"]), outputs["published"]
    )
    write_tsv(recommendations, outputs["recommendations"])
    write_tsv(pairs, outputs["similar_pairs"])
    plot_evaluation(folds, ranking, split, outputs["evaluation"])
    summary = summarize(prediction, ranking, matrix, settings, split)
    write_json(summary, outputs["summary"])
    logger.info("collaborative_filtering: %s", summary["headline"])
    return summary


def rating_models() -> dict[str, Predictor]:
    """The baseline rating predictors, by label."""
    return {
        "Global mean": lambda fit, users, movies: np.full(len(users), fit.mu),
        "User mean": lambda fit, users, movies: fit.user_mean[users],
        "Movie mean": lambda fit, users, movies: fit.movie_mean[movies],
        "User + movie bias": lambda fit, users, movies: (
            fit.mu + fit.b_user[users] + fit.b_movie[movies]
        ),
    }


def cross_validate(
    matrix: RatingMatrix, settings: Mapping[str, Any], split: Settings
) -> pd.DataFrame:
    """RMSE and MAE of every model on every fold.

    :return: one row per model and fold: ``model``, ``fold``, ``rmse``,
        ``mae``, ``n_test`` and, for CF, ``no_neighbour`` (test ratings that
        fell back to the baseline).
    """
    rows = []
    baselines = rating_models()
    for fold in range(split.folds):
        train = matrix.folds != fold
        test = ~train
        users, movies, actual = (
            matrix.users[test],
            matrix.movies[test],
            matrix.ratings[test],
        )
        values, rated = matrix.dense(train)
        baseline = neighbours.Baseline.fit(
            values, rated, split.user_damping, split.movie_damping
        )
        for label, model in baselines.items():
            predicted = np.clip(model(baseline, users, movies), 1.0, 5.0)
            rmse, mae = rating_errors(predicted, actual)
            rows.append(
                {"model": label, "fold": fold + 1, "rmse": rmse, "mae": mae}
                | {"n_test": int(test.sum()), "no_neighbour": None}
            )
        for centring, label in CENTRING_LABELS.items():
            expected = baseline.expected(centring)  # type: ignore[arg-type]
            residual = neighbours.residuals(values, rated, expected)
            sims, _ = neighbours.similarity(
                residual, rated, settings["similarity"], settings["shrinkage"]
            )
            predicted, used = neighbours.predict(
                sims,
                residual,
                rated,
                expected,
                users,
                movies,
                settings["neighbours"],
            )
            rmse, mae = rating_errors(predicted, actual)
            rows.append(
                {"model": label, "fold": fold + 1, "rmse": rmse, "mae": mae}
                | {"n_test": int(test.sum()), "no_neighbour": int((used == 0).sum())}
            )
        logger.info(
            "collaborative_filtering: fold %d of %d done", fold + 1, split.folds
        )
    return pd.DataFrame(rows)


def prediction_table(folds: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    """Per model: mean RMSE and MAE over the folds, their spread, and whether
    it is the configured CF model; best RMSE first."""
    grouped = folds.groupby("model", sort=False)
    table = grouped.agg(
        rmse=("rmse", "mean"),
        rmse_sd=("rmse", "std"),
        rmse_min=("rmse", "min"),
        rmse_max=("rmse", "max"),
        mae=("mae", "mean"),
        mae_sd=("mae", "std"),
        folds=("fold", "count"),
    ).reset_index()
    table["configured"] = table["model"] == CENTRING_LABELS[settings["prediction"]]
    return table.sort_values(["rmse", "model"], ignore_index=True)


def ranking_table(
    matrix: RatingMatrix, settings: Mapping[str, Any], split: Settings
) -> pd.DataFrame:
    """Top-k ranking metrics on the per-user hold-out for popularity and both
    CF neighbourhoods; best precision first."""
    values, rated = matrix.dense(~matrix.ranking_test)
    relevant = matrix.relevant()
    scores = {
        POPULARITY: popularity_scores(rated),
        CF_RATING_SIMILARITY: rating_votes(values, rated, settings, split),
        CF_CO_RATING: neighbours.neighbourhood_votes(
            neighbours.co_rating_similarity(rated),
            rated,
            settings["ranking_neighbours"],
        ),
    }
    rows = [
        {"model": label}
        | ranking_scores(matrix.rankings(score, rated, split.k), relevant, split.k)
        for label, score in scores.items()
    ]
    table = pd.DataFrame(rows)
    return table.sort_values(
        [f"precision_at_{split.k}", "model"], ascending=[False, True], ignore_index=True
    )


def rating_votes(
    values: np.ndarray,
    rated: np.ndarray,
    settings: Mapping[str, Any],
    split: Settings,
) -> np.ndarray:
    """Neighbourhood votes with neighbours chosen by rating similarity."""
    baseline = neighbours.Baseline.fit(
        values, rated, split.user_damping, split.movie_damping
    )
    residual = neighbours.residuals(
        values, rated, baseline.expected(settings["prediction"])
    )
    sims, _ = neighbours.similarity(
        residual, rated, settings["similarity"], settings["shrinkage"]
    )
    return neighbours.neighbourhood_votes(sims, rated, settings["ranking_neighbours"])


def recommend(
    matrix: RatingMatrix,
    settings: Mapping[str, Any],
    split: Settings,
    movies: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The configured users' top unseen movies, and the most similar pairs.

    Movies are ranked by the votes of the user's co-rating neighbours, the
    model that ranks best on the hold-out. Each row also gives the rating the
    configured rating model predicts and the three most similar neighbours who
    rated the movie, with their ratings.
    """
    values, rated = matrix.dense(np.ones(len(matrix.ratings), dtype=bool))
    co_rating = neighbours.co_rating_similarity(rated)
    k = settings["ranking_neighbours"]
    votes = neighbours.neighbourhood_votes(co_rating, rated, k)
    baseline = neighbours.Baseline.fit(
        values, rated, split.user_damping, split.movie_damping
    )
    expected = baseline.expected(settings["prediction"])
    residual = neighbours.residuals(values, rated, expected)
    sims, common = neighbours.similarity(
        residual, rated, settings["similarity"], settings["shrinkage"]
    )

    titles = movies.set_index("id")["title"]
    known = {int(user): row for row, user in enumerate(matrix.user_ids)}
    missing = [user for user in settings["users"] if user not in known]
    if missing:
        logger.warning(
            "collaborative_filtering: users %s have no ratings evaluated; "
            "no recommendations for them",
            missing,
        )
    rows = []
    for user in [user for user in settings["users"] if user in known]:
        row = known[user]
        (ranked,) = top_unseen(
            votes[row : row + 1],
            rated[row : row + 1],
            settings["top_n"],
            matrix.movie_ids,
        )
        nearest = neighbours.top_k(co_rating[row : row + 1], k)[0]
        nearest = nearest[nearest >= 0]
        for rank, movie_id in enumerate(ranked, start=1):
            column = int(np.searchsorted(matrix.movie_ids, movie_id))
            predicted, _ = neighbours.predict(
                sims,
                residual,
                rated,
                expected,
                np.array([row]),
                np.array([column]),
                settings["neighbours"],
            )
            raters = nearest[rated[nearest, column]][:3]
            rows.append(
                {
                    "user_id": user,
                    "rank": rank,
                    "movie_id": movie_id,
                    "title": titles.get(movie_id, ""),
                    "votes": round(float(votes[row, column]), 4),
                    "predicted_rating": round(float(predicted[0]), 2),
                    "neighbours": "; ".join(
                        f"user {int(matrix.user_ids[other])} rated "
                        f"{int(values[other, column])}"
                        for other in raters
                    ),
                }
            )
    return pd.DataFrame(rows, columns=RECOMMENDATION_COLUMNS), similar_pairs(
        sims, common, matrix, settings
    )


RECOMMENDATION_COLUMNS = [
    "user_id",
    "rank",
    "movie_id",
    "title",
    "votes",
    "predicted_rating",
    "neighbours",
]


def similar_pairs(
    sims: np.ndarray,
    common: np.ndarray,
    matrix: RatingMatrix,
    settings: Mapping[str, Any],
) -> pd.DataFrame:
    """The most similar user pairs sharing at least ``min_common`` movies."""
    upper = np.triu(np.ones_like(sims, dtype=bool), k=1) & (
        common >= settings["min_common"]
    )
    first, second = np.nonzero(upper)
    frame = pd.DataFrame(
        {
            "user_a": matrix.user_ids[first],
            "user_b": matrix.user_ids[second],
            "similarity": sims[first, second],
            "common_movies": common[first, second].astype("int64"),
        }
    )
    frame = frame.sort_values(
        ["similarity", "user_a", "user_b"], ascending=[False, True, True]
    )
    return frame.head(settings["top_pairs"]).reset_index(drop=True)


def plot_evaluation(
    folds: pd.DataFrame, ranking: pd.DataFrame, split: Settings, path: Path
) -> None:
    """RMSE per model with each fold as a dot, beside precision@k per model."""
    order = folds.groupby("model", sort=False)["rmse"].mean().sort_values()
    with plt.style.context(plotting.STYLE):
        fig, (left, right) = plt.subplots(
            1, 2, figsize=(9.0, 3.6), layout="constrained", width_ratios=[3, 2]
        )
        positions = np.arange(len(order))
        left.barh(positions, order.to_numpy(), color=plotting.OKABE_ITO[0], alpha=0.35)
        for position, model in enumerate(order.index):
            values = folds.loc[folds["model"] == model, "rmse"]
            left.plot(
                values,
                np.full(len(values), position),
                "o",
                ms=3,
                color=plotting.OKABE_ITO[0],
            )
        left.set_yticks(positions, order.index)
        left.invert_yaxis()
        left.set_xlim(order.min() - 0.05, order.max() + 0.03)
        left.set_xlabel(f"RMSE, {split.folds}-fold cross-validation (lower is better)")

        metric = f"precision_at_{split.k}"
        ranked = ranking.sort_values(metric)
        right.barh(ranked["model"], ranked[metric], color=plotting.OKABE_ITO[2])
        right.set_xlabel(f"precision@{split.k} on the hold-out (higher is better)")
        plotting.save_svg(fig, path)
        plt.close(fig)


def summarize(
    prediction: pd.DataFrame,
    ranking: pd.DataFrame,
    matrix: RatingMatrix,
    settings: Mapping[str, Any],
    split: Settings,
) -> dict[str, Any]:
    """The headline numbers and sentences of the section."""
    by_model = prediction.set_index("model")
    configured = CENTRING_LABELS[settings["prediction"]]
    cf = by_model.loc[configured]
    bias = by_model.loc["User + movie bias"]
    metric = f"precision_at_{split.k}"
    ranks = ranking.set_index("model")[metric]
    best_ranker = str(ranking.iloc[0]["model"])
    headline = (
        f"{configured} predicts held-out ratings with RMSE {cf['rmse']:.3f} "
        f"({split.folds}-fold, spread {cf['rmse_min']:.3f}-{cf['rmse_max']:.3f}), "
        f"{bias['rmse'] - cf['rmse']:.3f} below the bias baseline; for top-"
        f"{split.k} lists, {best_ranker} reaches precision@{split.k} "
        f"{ranks[best_ranker]:.2f} against {ranks[POPULARITY]:.2f} for popularity."
    )
    users, movies = matrix.shape
    return {
        "headline": headline,
        "findings": [
            f"Rating prediction: {len(prediction)} models on {len(matrix.ratings)} "
            f"ratings of {users} users and {movies} movies, {split.folds} folds.",
            f"Best RMSE: {prediction.iloc[0]['model']} "
            f"({prediction.iloc[0]['rmse']:.3f}).",
            f"Ranking: precision@{split.k} {ranks[CF_CO_RATING]:.2f} with co-rating "
            f"neighbours, {ranks[CF_RATING_SIMILARITY]:.2f} with rating-similarity "
            "neighbours.",
        ],
        "rmse": float(cf["rmse"]),
        "mae": float(cf["mae"]),
        "rmse_bias_baseline": float(bias["rmse"]),
        metric: float(ranks[best_ranker]),
        "ranking_model": best_ranker,
        "popularity_" + metric: float(ranks[POPULARITY]),
        "n_ratings": len(matrix.ratings),
        "n_users": users,
        "n_movies": movies,
        "settings": dict(settings),
        "evaluation": vars(split),
    }
