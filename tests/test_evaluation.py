"""The shared evaluation: metrics on hand-made rankings, and the seeded splits."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from movielens_hail import evaluation
from movielens_hail.evaluation import Settings

MASK = 2**64 - 1


def splitmix64_reference(value: int) -> int:
    """SplitMix64's finaliser in plain Python integers, as a signed 64-bit int."""
    x = (value + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    x = x ^ (x >> 31)
    return x - 2**64 if x >= 2**63 else x


# Ranked 1..5 against relevant {2, 5, 9}: hits at ranks 2 and 5.
RANKED = [1, 2, 3, 4, 5]
RELEVANT = {2, 5, 9}


def test_precision_and_recall_by_hand() -> None:
    assert evaluation.precision_at_k(RANKED, RELEVANT, 5) == pytest.approx(2 / 5)
    assert evaluation.recall_at_k(RANKED, RELEVANT, 5) == pytest.approx(2 / 3)
    # A short list still divides by k.
    assert evaluation.precision_at_k([2], RELEVANT, 5) == pytest.approx(1 / 5)
    assert evaluation.recall_at_k(RANKED, set(), 5) == 0.0


def test_ndcg_by_hand() -> None:
    gain = 1 / math.log2(3) + 1 / math.log2(6)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert evaluation.ndcg_at_k(RANKED, RELEVANT, 5) == pytest.approx(gain / ideal)
    assert evaluation.ndcg_at_k([2, 5, 9], RELEVANT, 5) == pytest.approx(1.0)
    assert evaluation.ndcg_at_k([7, 8], RELEVANT, 5) == 0.0


def test_average_precision_by_hand() -> None:
    # Precision 1/2 at the first hit, 2/5 at the second, over min(5, 3) = 3.
    assert evaluation.average_precision_at_k(RANKED, RELEVANT, 5) == pytest.approx(
        (1 / 2 + 2 / 5) / 3
    )
    assert evaluation.average_precision_at_k([2, 5, 9], RELEVANT, 3) == pytest.approx(1)


def test_ranking_scores_average_over_users_with_a_hold_out() -> None:
    rankings = {1: [1, 2], 2: [3, 4]}
    relevant = {1: {2}, 2: {9}, 3: set()}
    scores = evaluation.ranking_scores(rankings, relevant, 2)
    assert scores["users"] == 2
    assert scores["precision_at_2"] == pytest.approx((1 / 2 + 0) / 2)
    assert scores["recall_at_2"] == pytest.approx((1 + 0) / 2)


def test_rating_errors_by_hand() -> None:
    rmse, mae = evaluation.rating_errors(np.array([3.0, 4.0, 5.0]), np.array([4, 4, 3]))
    assert rmse == pytest.approx(math.sqrt((1 + 0 + 4) / 3))
    assert mae == pytest.approx(1.0)


def test_top_unseen_skips_seen_movies_and_breaks_ties_by_column() -> None:
    scores = np.array([[0.9, 0.5, 0.5, 0.1], [1.0, 2.0, 3.0, 4.0]])
    seen = np.array([[True, False, False, False], [False, False, False, True]])
    movie_ids = np.array([10, 20, 30, 40])
    assert evaluation.top_unseen(scores, seen, 2, movie_ids) == [[20, 30], [30, 20]]
    # Fewer unseen movies than k: the list is shorter.
    everything = np.ones_like(seen)
    assert evaluation.top_unseen(scores, everything, 2, movie_ids) == [[], []]


def test_published_figures_are_labelled_with_their_protocol() -> None:
    table = evaluation.published_table(["rmse"])
    assert set(table["metric"]) == {"rmse"}
    assert table.loc[table["model"] == "SVD", "value"].item() == 0.934
    assert (table["protocol"] == "5-fold CV").all()


SETTINGS = Settings(
    folds=5,
    test_fraction=0.25,
    k=10,
    seed=7,
    max_users=1000,
    max_movies=1000,
    user_damping=10,
    movie_damping=25,
)


@pytest.fixture(scope="module")
def ratings(hail: Any) -> Any:
    """Eight users with 1 to 40 ratings each, every rating 1-5."""
    rows = [
        {"user_id": user, "movie_id": movie, "rating": 1 + (user * movie) % 5}
        for user in range(1, 9)
        for movie in range(1, 1 + [1, 2, 3, 4, 7, 12, 25, 40][user - 1])
    ]
    schema = hail.tstruct(user_id=hail.tint32, movie_id=hail.tint32, rating=hail.tint32)
    return hail.Table.parallelize(rows, schema, key=["user_id", "movie_id"])


def test_splitmix64_matches_a_plain_python_implementation(hail: Any) -> None:
    values = [0, 1, 42, -1, 2**40 + 7, -(2**62)]
    hashes = [evaluation.splitmix64(hail.int64(value)) for value in values]
    hashed = hail.eval(hail.array(hashes))
    assert hashed == [splitmix64_reference(v & MASK) for v in values]


def test_folds_are_disjoint_balanced_per_user_and_seeded(ratings: Any) -> None:
    frame = evaluation.assign_splits(ratings, SETTINGS).to_pandas()
    original = ratings.to_pandas()
    assert len(frame) == len(original)
    merged = original.merge(frame, on=["user_id", "movie_id"], suffixes=("", "_s"))
    assert (merged["rating"] == merged["rating_s"]).all()
    assert frame["fold"].between(0, SETTINGS.folds - 1).all()
    per_user = frame.groupby("user_id")["fold"]
    for user, folds in per_user:
        sizes = np.bincount(folds, minlength=SETTINGS.folds)
        assert sizes.max() - sizes.min() <= 1, user
    n = frame.groupby("user_id").size()
    held = frame.groupby("user_id")["ranking_test"].sum()
    assert (held == np.floor(0.25 * n + 0.5)).all()


def test_splits_repeat_under_a_seed_and_change_with_it(ratings: Any, hail: Any) -> None:
    first = evaluation.assign_splits(ratings, SETTINGS).to_pandas()
    again = evaluation.assign_splits(ratings.repartition(3), SETTINGS).to_pandas()
    pd.testing.assert_frame_equal(first, again)
    other_seed = Settings(**{**vars(SETTINGS), "seed": 8})
    other = evaluation.assign_splits(ratings, other_seed).to_pandas()
    assert not first["fold"].equals(other["fold"])


def test_evaluation_ratings_caps_users_and_movies(ratings: Any) -> None:
    capped = Settings(**{**vars(SETTINGS), "max_users": 3, "max_movies": 5})
    frame = evaluation.evaluation_ratings(ratings, capped)
    assert frame["user_id"].nunique() == 3
    # Movies 1-5 are the most rated (every user rated movie 1 ...).
    assert set(frame["movie_id"]) <= {1, 2, 3, 4, 5}
    again = evaluation.evaluation_ratings(ratings, capped)
    pd.testing.assert_frame_equal(frame, again)
