"""User-based collaborative filtering on a dense user x movie rating matrix.

Written from the formulas, with no recommender library:

- residuals: each training rating less the user's mean (``user_mean``), or less
  the baseline ``mu + b_user + b_movie`` (``baseline``), 0 where unrated;
- similarity of users u and v over the movies both rated: cosine of their
  residuals, or Pearson (the residuals re-centred on the co-rated means); shrunk
  by ``n / (n + shrinkage)`` for ``n`` co-rated movies, so a pair agreeing on
  two films does not outrank one agreeing on fifty;
- prediction of u's rating of movie i: the k users most similar to u (positive
  similarity only) among those who rated i; their residuals on i, weighted by
  similarity, added to u's own baseline. With no such neighbour the prediction
  is the baseline alone.
- ranking for u: the k users most similar to u overall vote for each movie they
  rated with their similarity; unseen movies are ranked by the votes.

The matrices are users x movies, ``max_users`` x ``max_movies`` at most (see
:mod:`movielens_hail.evaluation`), so memory is bounded by the settings, not by
the size of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Centring = Literal["user_mean", "baseline"]
SimilarityKind = Literal["cosine", "pearson"]


@dataclass(frozen=True)
class Baseline:
    """Global mean and damped user and movie offsets from one training set.

    ``b_movie = sum(r - mu) / (n_movie + movie_damping)`` and then
    ``b_user = sum(r - mu - b_movie) / (n_user + user_damping)``: the simple
    two-step estimate of the user and item biases.
    """

    mu: float
    b_user: np.ndarray
    b_movie: np.ndarray
    user_mean: np.ndarray
    movie_mean: np.ndarray

    @classmethod
    def fit(
        cls,
        ratings: np.ndarray,
        rated: np.ndarray,
        user_damping: float,
        movie_damping: float,
    ) -> Baseline:
        """Fit on a users x movies matrix, ``rated`` true where a rating is."""
        n_user = rated.sum(axis=1)
        n_movie = rated.sum(axis=0)
        mu = float(ratings[rated].mean()) if rated.any() else 0.0
        offset = np.where(rated, ratings - mu, 0.0)
        b_movie = offset.sum(axis=0) / (n_movie + movie_damping)
        offset = np.where(rated, ratings - mu - b_movie[None, :], 0.0)
        b_user = offset.sum(axis=1) / (n_user + user_damping)
        values = np.where(rated, ratings, 0.0)
        return cls(
            mu=mu,
            b_user=b_user,
            b_movie=b_movie,
            user_mean=_mean_or(values.sum(axis=1), n_user, mu),
            movie_mean=_mean_or(values.sum(axis=0), n_movie, mu),
        )

    def expected(self, centring: Centring) -> np.ndarray:
        """Every user's expected rating of every movie, users x movies."""
        if centring == "user_mean":
            return np.repeat(self.user_mean[:, None], len(self.b_movie), axis=1)
        return self.mu + self.b_user[:, None] + self.b_movie[None, :]


def _mean_or(sums: np.ndarray, counts: np.ndarray, default: float) -> np.ndarray:
    """``sums / counts``, or ``default`` where the count is 0."""
    return np.divide(sums, counts, out=np.full(len(counts), default), where=counts > 0)


def residuals(
    ratings: np.ndarray, rated: np.ndarray, expected: np.ndarray
) -> np.ndarray:
    """Ratings less their expected value, 0 where unrated."""
    return np.where(rated, ratings - expected, 0.0)


def similarity(
    residual: np.ndarray,
    rated: np.ndarray,
    kind: SimilarityKind,
    shrinkage: float,
) -> tuple[np.ndarray, np.ndarray]:
    """User x user similarity over co-rated movies, and the co-rated counts.

    A pair with no co-rated movie, or whose co-rated residuals are all zero,
    has similarity 0. The diagonal is 0: a user is not their own neighbour.
    """
    mask = rated.astype("float64")
    common = mask @ mask.T
    if kind == "cosine":
        products = residual @ residual.T
        squares = (residual**2) @ mask.T
        scale = squares * squares.T
    else:
        sums = residual @ mask.T
        safe = np.maximum(common, 1)
        products = residual @ residual.T - sums * sums.T / safe
        squares = (residual**2) @ mask.T - sums**2 / safe
        scale = np.maximum(squares, 0) * np.maximum(squares.T, 0)
    sims = np.divide(
        products, np.sqrt(scale), out=np.zeros_like(products), where=scale > 1e-12
    )
    sims *= common / (common + shrinkage) if shrinkage > 0 else 1.0
    np.fill_diagonal(sims, 0.0)
    return np.clip(sims, -1.0, 1.0), common


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the columns of the ``k`` highest positive scores, best first;
    -1 pads rows with fewer. Ties go to the lower column."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    positive = np.take_along_axis(scores, order, axis=1) > 0
    return np.where(positive, order, -1)


def predict(
    sims: np.ndarray,
    residual: np.ndarray,
    rated: np.ndarray,
    expected: np.ndarray,
    users: np.ndarray,
    movies: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted ratings of (users[j], movies[j]) pairs from their neighbours.

    :param sims: user x user similarity.
    :param residual: training residuals, users x movies, 0 where unrated.
    :param rated: true where a training rating is.
    :param expected: the baseline each prediction starts from.
    :return: the predictions (clipped to 1-5) and how many neighbours each used.
    """
    predictions = expected[users, movies].astype("float64")
    used = np.zeros(len(users), dtype="int64")
    for movie in np.unique(movies):
        pairs = np.flatnonzero(movies == movie)
        raters = np.flatnonzero(rated[:, movie])
        if len(raters) == 0:
            continue
        weights = sims[np.ix_(users[pairs], raters)]
        chosen = top_k(weights, k)
        valid = chosen >= 0
        picked = np.where(
            valid, np.take_along_axis(weights, np.maximum(chosen, 0), 1), 0
        )
        deviations = residual[raters[np.maximum(chosen, 0)], movie]
        total = picked.sum(axis=1)
        shift = np.divide(
            (picked * deviations).sum(axis=1),
            total,
            out=np.zeros(len(pairs)),
            where=total > 0,
        )
        predictions[pairs] += shift
        used[pairs] = valid.sum(axis=1)
    return np.clip(predictions, 1.0, 5.0), used


def neighbourhood_votes(sims: np.ndarray, rated: np.ndarray, k: int) -> np.ndarray:
    """users x movies: summed similarity of each user's k nearest neighbours
    (positive similarity only) who rated the movie."""
    chosen = top_k(sims, k)
    weights = np.zeros_like(sims)
    rows = np.repeat(np.arange(len(sims)), chosen.shape[1])
    columns = chosen.ravel()
    keep = columns >= 0
    weights[rows[keep], columns[keep]] = sims[rows[keep], columns[keep]]
    return weights @ rated.astype("float64")


def co_rating_similarity(rated: np.ndarray) -> np.ndarray:
    """User x user cosine of who-rated-what, ignoring the ratings' values:
    ``common / sqrt(n_u * n_v)``. It predicts which films a user will watch,
    which is what a ranking hold-out measures. The diagonal is 0."""
    mask = rated.astype("float64")
    common = mask @ mask.T
    counts = mask.sum(axis=1)
    scale = np.sqrt(np.outer(counts, counts))
    sims = np.divide(common, scale, out=np.zeros_like(common), where=scale > 0)
    np.fill_diagonal(sims, 0.0)
    return sims
