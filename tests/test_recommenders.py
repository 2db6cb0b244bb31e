"""Both recommender rules on synthetic data, and the genre profile by hand.

The baselines' errors are recomputed here with plain pandas from the raw
``u.data`` and the folds, and every recommendation is checked against the
user's own ratings in ``u.data``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from movielens_hail import ingest, synth
from movielens_hail.analyses import collaborative_filtering, recommendations
from movielens_hail.evaluation import Settings, assign_splits
from movielens_hail.readers import read_movielens

EVALUATION = {
    "folds": 3,
    "test_fraction": 0.25,
    "k": 5,
    "seed": 11,
    "max_users": 1000,
    "max_movies": 1000,
    "user_damping": 10,
    "movie_damping": 25,
}
CF_SETTINGS = {
    "activate": True,
    "similarity": "cosine",
    "prediction": "user_mean",
    "shrinkage": 10,
    "neighbours": 10,
    "ranking_neighbours": 10,
    "users": [1, 2, 999],
    "top_n": 5,
    "top_pairs": 4,
    "min_common": 3,
}
PROFILE_SETTINGS = {"activate": True, "users": [1, 2], "top_n": 5, "match_weight": 0.5}


@pytest.fixture(scope="module")
def data(hail: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("recommenders")
    synth.generate(folder / "raw", users=40, movies=60, ratings=1200, seed=3)
    tables = ingest.to_hail(read_movielens(folder / "raw"), folder / "staging")
    for name in ("ratings", "movies"):
        tables[name].write(str(folder / f"{name}.ht"))
    raw = pd.read_csv(
        folder / "raw" / "u.data",
        sep="\t",
        names=["user_id", "movie_id", "rating", "timestamp"],
    )
    return {"folder": folder, "raw": raw}


def outputs_for(folder: Path, names: dict[str, str]) -> dict[str, Path]:
    return {name: folder / f"{name}.{suffix}" for name, suffix in names.items()}


def test_collaborative_filtering_outputs_and_baselines(
    hail: Any, data: dict[str, Any]
) -> None:
    folder = data["folder"]
    outputs = outputs_for(
        folder / "cf",
        {
            "rating_prediction": "tsv",
            "folds": "tsv",
            "ranking": "tsv",
            "published": "tsv",
            "recommendations": "tsv",
            "similar_pairs": "tsv",
            "evaluation": "svg",
            "summary": "json",
        },
    )
    summary = collaborative_filtering.run(
        folder / "ratings.ht", folder / "movies.ht", CF_SETTINGS, EVALUATION, outputs
    )
    assert json.loads(outputs["summary"].read_text()) == summary

    # The global-mean and user-mean baselines, fold by fold, in plain pandas.
    ratings = hail.read_table(str(folder / "ratings.ht"))
    splits = assign_splits(ratings, Settings.from_config(EVALUATION)).to_pandas()
    folds = pd.read_csv(outputs["folds"], sep="\t")
    for fold in range(3):
        train = splits[splits["fold"] != fold]
        test = splits[splits["fold"] == fold]
        global_rmse = np.sqrt(((test["rating"] - train["rating"].mean()) ** 2).mean())
        user_mean = test["user_id"].map(train.groupby("user_id")["rating"].mean())
        user_rmse = np.sqrt(((test["rating"] - user_mean) ** 2).mean())
        row = folds[folds["fold"] == fold + 1].set_index("model")
        assert row.loc["Global mean", "rmse"] == pytest.approx(global_rmse)
        assert row.loc["User mean", "rmse"] == pytest.approx(user_rmse)
        assert row.loc["Global mean", "n_test"] == len(test)

    prediction = pd.read_csv(outputs["rating_prediction"], sep="\t")
    assert len(prediction) == 6
    assert prediction["rmse"].is_monotonic_increasing
    assert prediction["configured"].sum() == 1

    picks = pd.read_csv(outputs["recommendations"], sep="\t", keep_default_na=False)
    assert set(picks["user_id"]) == {1, 2}
    seen = set(zip(data["raw"]["user_id"], data["raw"]["movie_id"], strict=True))
    assert not any(
        (user, movie) in seen
        for user, movie in zip(picks["user_id"], picks["movie_id"], strict=True)
    )
    assert (
        picks.groupby("user_id")["rank"].apply(list).tolist() == [[1, 2, 3, 4, 5]] * 2
    )

    pairs = pd.read_csv(outputs["similar_pairs"], sep="\t")
    assert len(pairs) <= 4 and (pairs["common_movies"] >= 3).all()
    assert pairs["similarity"].is_monotonic_decreasing
    ranking = pd.read_csv(outputs["ranking"], sep="\t")
    assert set(ranking["model"]) == {
        "Most rated (popularity)",
        "User-based CF, rating similarity",
        "User-based CF, co-rating similarity",
    }
    assert ranking["precision_at_5"].between(0, 1).all()


def test_profile_recommender_outputs(hail: Any, data: dict[str, Any]) -> None:
    folder = data["folder"]
    outputs = outputs_for(
        folder / "profile",
        {
            "ranking": "tsv",
            "recommendations": "tsv",
            "profiles": "tsv",
            "profiles_figure": "svg",
            "summary": "json",
        },
    )
    summary = recommendations.run(
        folder / "ratings.ht",
        folder / "movies.ht",
        PROFILE_SETTINGS,
        EVALUATION,
        10.0,
        outputs,
    )
    assert "precision@5" in summary["headline"]
    picks = pd.read_csv(outputs["recommendations"], sep="\t", keep_default_na=False)
    seen = set(zip(data["raw"]["user_id"], data["raw"]["movie_id"], strict=True))
    assert len(picks) == 10
    assert not any(
        (user, movie) in seen
        for user, movie in zip(picks["user_id"], picks["movie_id"], strict=True)
    )
    assert (
        picks.groupby("user_id")["score"]
        .apply(lambda scores: scores.is_monotonic_decreasing)
        .all()
    )
    profiles = pd.read_csv(outputs["profiles"], sep="\t")
    # Shares are written to four decimals, each off by at most half the last one.
    per_user = profiles.groupby("user_id")["share"]
    assert per_user.sum().to_numpy() == pytest.approx(
        1, abs=5e-5 * per_user.size().max()
    )


def test_genre_profile_by_hand() -> None:
    # One user rated three films, mean 3: a Comedy at 5 (weight 1 + 2/2 = 2), a
    # Drama at 3 (weight 1) and a Comedy|Drama at 1 (weight max(0, 1 - 1) = 0).
    values = np.array([[5.0, 3.0, 1.0, 0.0]])
    rated = np.array([[True, True, True, False]])
    flags = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    taste = recommendations.profiles(values, rated, flags)
    assert taste[0] == pytest.approx([2 / 3, 1 / 3])

    scores, _, match = recommendations.profile_scores(
        values, rated, flags, match_weight=1.0, prior_weight=0.0
    )
    # The unseen Comedy: cosine of (2/3, 1/3) with (1, 0) = 2 / sqrt(5).
    assert match[0, 3] == pytest.approx(2 / np.sqrt(5))
    assert scores[0, 3] == pytest.approx(2 / np.sqrt(5))


def test_damped_mean_by_hand() -> None:
    # Movie 0 rated 5 and 3, movie 1 rated 4; global mean 4; two pseudo-ratings.
    values = np.array([[5.0, 4.0], [3.0, 0.0]])
    rated = np.array([[True, True], [True, False]])
    means = recommendations.damped_means(values, rated, prior_weight=2)
    assert means == pytest.approx([(8 + 8) / 4, (4 + 8) / 3])
