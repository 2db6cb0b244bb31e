"""One evaluation for every recommender: the same seeded splits, the same metrics.

Two protocols, both fixed by the ``evaluation`` settings so that every model and
baseline is judged on exactly the same held-out ratings:

- rating prediction: k-fold cross-validation over all ratings. Each user's
  ratings are shuffled by a seeded hash and dealt round the folds, so the folds
  are disjoint, each holds 1/k of the ratings (to within one rating per user),
  and every user has ratings in every training set.
- top-N ranking: a seeded per-user split holding out ``test_fraction`` of each
  user's ratings; a model ranks the movies the user has not rated in training,
  and every held-out movie counts as relevant.

The split is a pure function of (seed, user, movie): a SplitMix64 hash computed
in Hail, so it does not depend on partitioning, thread count or row order, and
two rules that split the same ratings get the same folds.

Hail does the hashing, the grouping per user and the selection of users and
movies; the split ratings (at most ``max_users`` users' ratings of the
``max_movies`` most-rated movies) reach Python as a pandas frame for the models.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import hail as hl
import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

_UINT64 = 2**64


def _signed(value: int) -> int:
    """An unsigned 64-bit constant as the signed long Hail stores."""
    return value - _UINT64 if value >= 2**63 else value


_GOLDEN = _signed(0x9E3779B97F4A7C15)
_MIX_1 = _signed(0xBF58476D1CE4E5B9)
_MIX_2 = _signed(0x94D049BB133111EB)


def splitmix64(value: hl.Int64Expression) -> hl.Int64Expression:
    """SplitMix64's finaliser: a well-mixed 64-bit hash of ``value``.

    Multiplication wraps around in 64 bits, as on the JVM.
    """
    x = value + _GOLDEN
    x = hl.bit_xor(x, hl.bit_rshift(x, 30, logical=True)) * _MIX_1
    x = hl.bit_xor(x, hl.bit_rshift(x, 27, logical=True)) * _MIX_2
    return hl.bit_xor(x, hl.bit_rshift(x, 31, logical=True))


def split_hash(
    seed: int, user_id: hl.Int32Expression, movie_id: hl.Expression, salt: int
) -> hl.Int64Expression:
    """The seeded hash that orders a user's ratings for one kind of split.

    ``salt`` tells the splits apart, so the folds and the ranking hold-out are
    independent. ``movie_id`` may be missing, for a hash of the user alone.
    """
    x = splitmix64(hl.int64(seed) * 1_000_003 + salt)
    x = splitmix64(hl.bit_xor(x, hl.int64(user_id)))
    return splitmix64(hl.bit_xor(x, hl.or_else(hl.int64(movie_id), hl.int64(-1))))


FOLD_SALT = 1
RANKING_SALT = 2
USER_SALT = 3


@dataclass(frozen=True)
class Settings:
    """The ``evaluation`` section of the config.

    :param folds: number of cross-validation folds.
    :param test_fraction: share of each user's ratings held out for ranking.
    :param k: length of the ranked lists judged (precision@k and the rest).
    :param seed: seed of every split.
    :param max_users: users evaluated; above it a seeded sample is taken.
    :param max_movies: movies kept, the most rated first.
    :param user_damping: pseudo-ratings damping each user's bias.
    :param movie_damping: pseudo-ratings damping each movie's bias.
    """

    folds: int
    test_fraction: float
    k: int
    seed: int
    max_users: int
    max_movies: int
    user_damping: float
    movie_damping: float

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> Settings:
        """The settings from the config's ``evaluation`` section."""
        return cls(
            folds=int(section["folds"]),
            test_fraction=float(section["test_fraction"]),
            k=int(section["k"]),
            seed=int(section["seed"]),
            max_users=int(section["max_users"]),
            max_movies=int(section["max_movies"]),
            user_damping=float(section["user_damping"]),
            movie_damping=float(section["movie_damping"]),
        )


def assign_splits(ratings: hl.Table, settings: Settings) -> hl.Table:
    """Each rating's cross-validation fold and whether ranking holds it out.

    A user's ratings are ordered by their seeded hash and dealt round the folds
    from a starting fold that depends on the user, so the remainders do not all
    land in fold 0. The first ``round(test_fraction * n)`` ratings in a second,
    independent hash order are the user's ranking hold-out.

    :param ratings: keyed by ``(user_id, movie_id)`` with ``rating``.
    :return: one row per rating, keyed by ``(user_id, movie_id)``, with
        ``rating``, ``fold`` (0 to folds - 1) and ``ranking_test``.
    """
    seed = settings.seed
    ht = ratings.select(
        "rating",
        fold_key=split_hash(seed, ratings.user_id, ratings.movie_id, FOLD_SALT),
        rank_key=split_hash(seed, ratings.user_id, ratings.movie_id, RANKING_SALT),
    )
    per_user = ht.group_by(ht.user_id).aggregate(
        items=hl.agg.collect(ht.row_value.annotate(movie_id=ht.movie_id))
    )
    items = per_user.items
    by_fold = hl.sorted(items, key=lambda item: item.fold_key)
    by_rank = hl.sorted(items, key=lambda item: item.rank_key)
    start = hl.int32(
        hl.abs(split_hash(seed, per_user.user_id, hl.missing(hl.tint32), USER_SALT))
        % settings.folds
    )
    n_test = hl.int32(hl.floor(settings.test_fraction * hl.len(items) + 0.5))
    held_out = hl.set(by_rank[:n_test].map(lambda item: item.movie_id))
    per_user = per_user.select(
        items=hl.enumerate(by_fold).map(
            lambda pair: hl.struct(
                movie_id=pair[1].movie_id,
                rating=pair[1].rating,
                fold=(pair[0] + start) % settings.folds,
                ranking_test=held_out.contains(pair[1].movie_id),
            )
        )
    )
    ht = per_user.explode("items")
    ht = ht.select(**ht.items)
    return ht.key_by("user_id", "movie_id")


def evaluation_ratings(ratings: hl.Table, settings: Settings) -> pd.DataFrame:
    """The ratings every model is evaluated on, with their splits, as a frame.

    At most ``max_users`` users (a seeded sample when there are more) and the
    ``max_movies`` most-rated movies (ties to the lower id) are kept, which
    bounds the memory of the all-pairs user similarity at
    ``max_users ** 2`` numbers whatever the size of the data.

    :return: ``user_id``, ``movie_id``, ``rating``, ``fold``, ``ranking_test``,
        sorted by user and movie.
    """
    counts = ratings.aggregate(
        hl.struct(
            users=hl.agg.counter(ratings.user_id),
            movies=hl.agg.counter(ratings.movie_id),
        )
    )
    users = sorted(counts.users)
    if len(users) > settings.max_users:
        users = _sample_users(users, settings)
    movies = sorted(counts.movies, key=lambda movie: (-counts.movies[movie], movie))
    movies = sorted(movies[: settings.max_movies])

    kept = ratings.filter(
        hl.literal(set(users)).contains(ratings.user_id)
        & hl.literal(set(movies)).contains(ratings.movie_id)
    )
    frame = assign_splits(kept, settings).to_pandas()
    frame = frame.sort_values(["user_id", "movie_id"], ignore_index=True)
    logger.info(
        "evaluation: %d ratings of %d of %d users and %d of %d movies; "
        "%d folds, %d ratings held out for ranking (seed %d)",
        len(frame),
        len(users),
        len(counts.users),
        len(movies),
        len(counts.movies),
        settings.folds,
        int(frame["ranking_test"].sum()),
        settings.seed,
    )
    return frame.astype({"rating": "float64", "fold": "int64", "ranking_test": bool})


def _sample_users(users: Sequence[int], settings: Settings) -> list[int]:
    """The ``max_users`` users with the smallest seeded hash."""
    ht = hl.Table.parallelize(
        [{"user_id": user} for user in users], hl.tstruct(user_id=hl.tint32)
    )
    ht = ht.annotate(
        order=split_hash(settings.seed, ht.user_id, hl.missing(hl.tint32), USER_SALT)
    )
    chosen = ht.order_by(ht.order, ht.user_id).head(settings.max_users)
    return sorted(chosen.user_id.collect())


@dataclass(frozen=True)
class RatingMatrix:
    """The evaluation ratings as positions in a dense users x movies matrix.

    :param user_ids: the user of each matrix row, ascending.
    :param movie_ids: the movie of each matrix column, ascending.
    :param users: each rating's row.
    :param movies: each rating's column.
    :param ratings: each rating's value.
    :param folds: each rating's cross-validation fold.
    :param ranking_test: whether ranking holds each rating out.
    """

    user_ids: np.ndarray
    movie_ids: np.ndarray
    users: np.ndarray
    movies: np.ndarray
    ratings: np.ndarray
    folds: np.ndarray
    ranking_test: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> RatingMatrix:
        """From :func:`evaluation_ratings`' frame."""
        user_ids = np.unique(frame["user_id"].to_numpy())
        movie_ids = np.unique(frame["movie_id"].to_numpy())
        return cls(
            user_ids=user_ids,
            movie_ids=movie_ids,
            users=np.searchsorted(user_ids, frame["user_id"].to_numpy()),
            movies=np.searchsorted(movie_ids, frame["movie_id"].to_numpy()),
            ratings=frame["rating"].to_numpy(dtype="float64"),
            folds=frame["fold"].to_numpy(),
            ranking_test=frame["ranking_test"].to_numpy(dtype=bool),
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(users, movies)."""
        return len(self.user_ids), len(self.movie_ids)

    def dense(self, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ratings selected by ``train`` as a dense matrix (0 where
        unrated) and the matrix of where they are."""
        values = np.zeros(self.shape)
        rated = np.zeros(self.shape, dtype=bool)
        values[self.users[train], self.movies[train]] = self.ratings[train]
        rated[self.users[train], self.movies[train]] = True
        return values, rated

    def relevant(self) -> dict[int, set[int]]:
        """Each user's ranking hold-out, as movie ids by user id."""
        held: dict[int, set[int]] = {}
        for user, movie in zip(
            self.users[self.ranking_test], self.movies[self.ranking_test], strict=True
        ):
            held.setdefault(int(self.user_ids[user]), set()).add(
                int(self.movie_ids[movie])
            )
        return held

    def rankings(
        self, scores: np.ndarray, seen: np.ndarray, k: int
    ) -> dict[int, list[int]]:
        """Each user's top ``k`` unseen movies by ``scores``, by user id."""
        ranked = top_unseen(scores, seen, k, self.movie_ids)
        return {
            int(user): items for user, items in zip(self.user_ids, ranked, strict=True)
        }


def rating_errors(predicted: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    """Root mean squared error and mean absolute error of predicted ratings."""
    errors = np.asarray(predicted, dtype="float64") - np.asarray(actual, "float64")
    return float(np.sqrt(np.mean(errors**2))), float(np.mean(np.abs(errors)))


def precision_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Share of the first ``k`` ranked items that are relevant; a list shorter
    than ``k`` still divides by ``k``."""
    return sum(item in relevant for item in ranked[:k]) / k


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Share of the relevant items found in the first ``k``."""
    if not relevant:
        return 0.0
    return sum(item in relevant for item in ranked[:k]) / len(relevant)


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Normalised discounted cumulative gain with binary relevance: hits count
    ``1 / log2(position + 1)``, divided by the best achievable with
    ``min(k, len(relevant))`` hits."""
    gain = sum(
        1 / math.log2(position + 2)
        for position, item in enumerate(ranked[:k])
        if item in relevant
    )
    ideal = sum(
        1 / math.log2(position + 2) for position in range(min(k, len(relevant)))
    )
    return gain / ideal if ideal else 0.0


def average_precision_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Mean of the precision at each hit within the first ``k``, divided by
    ``min(k, len(relevant))`` so missing hits count against the list."""
    hits = 0
    total = 0.0
    for position, item in enumerate(ranked[:k]):
        if item in relevant:
            hits += 1
            total += hits / (position + 1)
    denominator = min(k, len(relevant))
    return total / denominator if denominator else 0.0


RANKING_METRICS = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "ndcg": ndcg_at_k,
    "map": average_precision_at_k,
}


def ranking_scores(
    rankings: Mapping[int, Sequence[int]], relevant: Mapping[int, set[int]], k: int
) -> dict[str, float]:
    """Each ranking metric at ``k``, averaged over the users with a relevant
    item; a user with no ranking scores 0."""
    users = [user for user, items in relevant.items() if items]
    scores: dict[str, float] = {}
    for name, metric in RANKING_METRICS.items():
        values = [metric(rankings.get(user, []), relevant[user], k) for user in users]
        scores[f"{name}_at_{k}"] = float(np.mean(values)) if values else float("nan")
    scores["users"] = len(users)
    return scores


POPULARITY = "Most rated (popularity)"


def popularity_scores(rated: np.ndarray) -> np.ndarray:
    """The ranking baseline: every movie scored by its number of training
    ratings, the same for every user."""
    counts = rated.sum(axis=0).astype("float64")
    return np.broadcast_to(counts, rated.shape)


def top_unseen(
    scores: np.ndarray, seen: np.ndarray, k: int, movie_ids: np.ndarray
) -> list[list[int]]:
    """Per row, the ``k`` highest-scoring columns not seen, as movie ids.

    Ties go to the lower column, so the lists are stable run to run.

    :param scores: users x movies.
    :param seen: users x movies, true where a movie is excluded.
    """
    masked = np.where(seen, -np.inf, scores)
    order = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    rankings = []
    for row, columns in enumerate(order):
        keep = columns[np.isfinite(masked[row, columns])]
        rankings.append([int(movie) for movie in movie_ids[keep]])
    return rankings


@dataclass(frozen=True)
class Published:
    """A figure published elsewhere on MovieLens 100K, for context."""

    model: str
    metric: str
    value: float
    protocol: str
    source: str


PUBLISHED = (
    Published("KNNBasic", "rmse", 0.980, "5-fold CV", "Surprise benchmark"),
    Published("KNNWithMeans", "rmse", 0.951, "5-fold CV", "Surprise benchmark"),
    Published("BaselineOnly", "rmse", 0.944, "5-fold CV", "Surprise benchmark"),
    Published("SVD", "rmse", 0.934, "5-fold CV", "Surprise benchmark"),
    Published("KNNBaseline", "rmse", 0.931, "5-fold CV", "Surprise benchmark"),
    Published(
        "SAR",
        "precision_at_10",
        0.33,
        "per-user 75/25 split",
        "Microsoft Recommenders",
    ),
    Published(
        "BPR",
        "precision_at_10",
        0.39,
        "per-user 75/25 split",
        "Microsoft Recommenders",
    ),
)
"""Published 5-fold RMSE (the Surprise library's benchmark table) and top-10
precision (the Microsoft Recommenders repository's MovieLens 100K comparison)."""


def published_table(metrics: Iterable[str]) -> pd.DataFrame:
    """The published figures for the given metrics, as a table."""
    wanted = set(metrics)
    rows = [vars(item) for item in PUBLISHED if item.metric in wanted]
    return pd.DataFrame(
        rows, columns=["model", "metric", "value", "protocol", "source"]
    )
