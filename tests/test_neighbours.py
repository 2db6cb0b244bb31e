"""User-based CF against values worked out by hand on a 4-user x 5-movie matrix.

Ratings (rows users 0-3, columns movies 0-4, '-' unrated)::

    u0: 5 4 - 1 2   mean 3, centred  2  1  . -2 -1
    u1: 4 - - 2 -   mean 3, centred  1  .  . -1  .
    u2: 2 5 - 5 -   mean 4, centred -2  1  .  1  .
    u3: - - 3 - -   mean 3, shares no movie with anyone

Cosine over co-rated movies of the centred ratings:

* u0, u1 share movies 0 and 3: (2*1 + -2*-1) / sqrt((4 + 4) * (1 + 1)) = 4/4 = 1;
* u0, u2 share 0, 1, 3: (-4 + 1 - 2) / sqrt(9 * 6) = -5 / sqrt(54);
* u1, u2 share 0 and 3: (-2 - 1) / sqrt(2 * 5) = -3 / sqrt(10);
* u3 with anyone: 0.

Pearson re-centres on the co-rated means: for u0, u2 u0's centred ratings on
movies 0, 1, 3 are 2, 1, -2 (mean 1/3), giving 5/3, 2/3, -7/3; u2's -2, 1, 1 have
mean 0. So (-10/3 + 2/3 - 7/3) / sqrt(78/9 * 6) = -5 / sqrt(52).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from movielens_hail import neighbours

_ = np.nan
RATINGS = np.array(
    [
        [5, 4, _, 1, 2],
        [4, _, _, 2, _],
        [2, 5, _, 5, _],
        [_, _, 3, _, _],
    ]
)
RATED = ~np.isnan(RATINGS)
VALUES = np.nan_to_num(RATINGS)
USER_MEANS = np.array([3.0, 3.0, 4.0, 3.0])


def centred() -> np.ndarray:
    expected = np.repeat(USER_MEANS[:, None], 5, axis=1)
    return neighbours.residuals(VALUES, RATED, expected)


def test_user_means_and_residuals() -> None:
    fit = neighbours.Baseline.fit(VALUES, RATED, user_damping=0, movie_damping=0)
    assert fit.user_mean == pytest.approx(USER_MEANS)
    assert centred()[0] == pytest.approx([2, 1, 0, -2, -1])
    assert centred()[2] == pytest.approx([-2, 1, 0, 1, 0])


def test_cosine_similarity_by_hand() -> None:
    sims, common = neighbours.similarity(centred(), RATED, "cosine", shrinkage=0)
    assert sims[0, 1] == pytest.approx(1.0)
    assert sims[0, 2] == pytest.approx(-5 / math.sqrt(54))
    assert sims[1, 2] == pytest.approx(-3 / math.sqrt(10))
    assert sims[3] == pytest.approx([0, 0, 0, 0])
    assert np.diag(sims) == pytest.approx([0, 0, 0, 0])
    assert sims == pytest.approx(sims.T)
    assert common[0, 1] == 2 and common[0, 2] == 3 and common[0, 3] == 0


def test_pearson_similarity_recentres_on_the_common_movies() -> None:
    sims, _ = neighbours.similarity(centred(), RATED, "pearson", shrinkage=0)
    assert sims[0, 1] == pytest.approx(1.0)
    assert sims[0, 2] == pytest.approx(-5 / math.sqrt(52))


def test_shrinkage_scales_by_movies_in_common() -> None:
    sims, _ = neighbours.similarity(centred(), RATED, "cosine", shrinkage=2)
    assert sims[0, 1] == pytest.approx(1.0 * 2 / 4)
    assert sims[0, 2] == pytest.approx(-5 / math.sqrt(54) * 3 / 5)


def test_top_k_takes_positive_scores_best_first_ties_to_the_lower_column() -> None:
    scores = np.array([[0.5, 0.9, -0.1, 0.9, 0.0]])
    assert neighbours.top_k(scores, 3).tolist() == [[1, 3, 0]]
    assert neighbours.top_k(scores, 5).tolist() == [[1, 3, 0, -1, -1]]


@pytest.mark.parametrize(
    ("user", "movie", "prediction", "used"),
    [
        # u1, movie 1: raters u0 (sim 1, centred 1) and u2 (negative, left out).
        (1, 1, 3 + 1.0, 1),
        # u1, movie 4: only u0 rated it, centred -1.
        (1, 4, 3 - 1.0, 1),
        # u2, movie 4: its only rater u0 is dissimilar: the user's mean.
        (2, 4, 4.0, 0),
        # u0, movie 2: only u3 rated it, and u3 shares nothing with u0.
        (0, 2, 3.0, 0),
        # u3 has no neighbour at all.
        (3, 0, 3.0, 0),
    ],
)
def test_predictions_by_hand(
    user: int, movie: int, prediction: float, used: int
) -> None:
    residual = centred()
    sims, _ = neighbours.similarity(residual, RATED, "cosine", shrinkage=0)
    expected = np.repeat(USER_MEANS[:, None], 5, axis=1)
    predicted, neighbours_used = neighbours.predict(
        sims, residual, RATED, expected, np.array([user]), np.array([movie]), k=2
    )
    assert predicted[0] == pytest.approx(prediction)
    assert neighbours_used[0] == used


def test_prediction_weights_neighbours_by_similarity() -> None:
    # Two raters of the movie with similarities 0.5 and 0.25 and residuals +1
    # and -1: the shift is (0.5 - 0.25) / 0.75 = 1/3; with k=1 only the first.
    sims = np.array([[0, 0.5, 0.25], [0.5, 0, 0], [0.25, 0, 0]])
    residual = np.array([[0.0], [1.0], [-1.0]])
    rated = np.array([[False], [True], [True]])
    expected = np.full((3, 1), 3.0)
    users, movies = np.array([0]), np.array([0])
    both, _ = neighbours.predict(sims, residual, rated, expected, users, movies, k=2)
    one, _ = neighbours.predict(sims, residual, rated, expected, users, movies, k=1)
    assert both[0] == pytest.approx(3 + 1 / 3)
    assert one[0] == pytest.approx(4.0)


def test_bias_baseline_by_hand() -> None:
    # mu = 33 / 10. Movie 0 with damping 1: (1.7 + 0.7 - 1.3) / (3 + 1) = 0.275.
    fit = neighbours.Baseline.fit(VALUES, RATED, user_damping=0, movie_damping=1)
    assert fit.mu == pytest.approx(3.3)
    assert fit.b_movie[0] == pytest.approx(1.1 / 4)
    # u3 rated only movie 2, whose bias is (3 - 3.3) / 2 = -0.15; u3's own
    # offset is what is left: 3 - 3.3 + 0.15 = -0.15.
    assert fit.b_user[3] == pytest.approx(-0.15)


def test_co_rating_similarity_and_votes() -> None:
    sims = neighbours.co_rating_similarity(RATED)
    # u0 rated 4 movies, u1 2, both rated 2: 2 / sqrt(4 * 2).
    assert sims[0, 1] == pytest.approx(2 / math.sqrt(8))
    assert sims[0, 2] == pytest.approx(3 / math.sqrt(12))
    assert sims[3] == pytest.approx([0, 0, 0, 0])
    votes = neighbours.neighbourhood_votes(sims, RATED, k=1)
    # u1 (movies 0, 3) is nearer u2 (0, 1, 3: 2 / sqrt(6) = 0.816) than u0
    # (2 / sqrt(8) = 0.707); with k=1 only u2 votes, for the movies u2 rated.
    assert votes[1] == pytest.approx(2 / math.sqrt(6) * np.array([1, 1, 0, 1, 0]))
