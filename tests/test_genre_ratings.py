"""Per-genre counts, the Kruskal-Wallis test from counts, and the outputs.

The inline data: movie 1 is Comedy and Drama, movie 2 Drama, movie 3 has no
genre, movie 4 is Horror but unrated. Ratings (user, movie, rating):
(1,1,5) (2,1,3) (1,2,4) (3,2,2) (1,3,1) (2,3,5). So

* Comedy: movie 1's 5 and 3 -> n 2, mean 4, 1 movie, one 3 and one 5;
* Drama: movie 1's 5, 3 and movie 2's 4, 2 -> n 4, mean 3.5, 2 movies, one each
  of 2, 3, 4, 5; sd sqrt((1.5**2 + 0.5**2 + 0.5**2 + 1.5**2) / 3) = sqrt(5 / 3);
* no genre: movie 3's 1 and 5 -> n 2, mean 3, 1 movie;
* Horror: no row, since nobody rated movie 4.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from scipy import stats

from movielens_hail import report
from movielens_hail.analyses import genre_ratings

TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"


@pytest.fixture(scope="module")
def tables(hail: Any) -> dict[str, Any]:
    hl = hail
    ratings = hl.Table.parallelize(
        [
            {"user_id": user, "movie_id": movie, "rating": rating}
            for user, movie, rating in [
                (1, 1, 5),
                (2, 1, 3),
                (1, 2, 4),
                (3, 2, 2),
                (1, 3, 1),
                (2, 3, 5),
            ]
        ],
        hl.tstruct(user_id=hl.tint32, movie_id=hl.tint32, rating=hl.tint32),
        key=["user_id", "movie_id"],
    )
    movies = hl.Table.parallelize(
        [
            {"id": 1, "title": "Alpha (1990)", "genres": ["Comedy", "Drama"]},
            {"id": 2, "title": "Beta (1991)", "genres": ["Drama"]},
            {"id": 3, "title": "Gamma (1992)", "genres": []},
            {"id": 4, "title": "Delta (1993)", "genres": ["Horror"]},
        ],
        hl.tstruct(id=hl.tint32, title=hl.tstr, genres=hl.tarray(hl.tstr)),
        key="id",
    )
    return {"ratings": ratings, "movies": movies}


def test_each_genre_counts_every_rating_of_its_movies(tables: dict[str, Any]) -> None:
    counts = genre_ratings.genre_rating_counts(
        tables["ratings"], tables["movies"]
    ).to_pandas()

    genres, no_genre = genre_ratings.genre_table(counts)

    assert list(genres["genre"]) == ["Comedy", "Drama"]
    assert list(genres["n_ratings"]) == [2, 4]
    assert list(genres["n_movies"]) == [1, 2]
    assert list(genres["mean_rating"]) == [4.0, 3.5]
    assert genres["sd_rating"][1] == pytest.approx((5 / 3) ** 0.5)
    assert genres[genre_ratings.VALUE_COLUMNS].to_numpy().tolist() == [
        [0, 0, 1, 0, 1],
        [0, 1, 1, 1, 1],
    ]
    assert no_genre == {"n_ratings": 2, "n_movies": 1, "mean_rating": 3.0}


def test_kruskal_wallis_by_hand_with_ties() -> None:
    """A = 1, 1, 2 and B = 2, 3, 3: each value is tied twice, so the mid-ranks
    are 1.5, 3.5 and 5.5. Rank sums: A 1.5 + 1.5 + 3.5 = 6.5, B 14.5. With N 6:
    12 / 42 * (6.5**2 + 14.5**2) / 3 - 21 = 64 / 21; the tie correction is
    1 - 3 * (2**3 - 2) / (6**3 - 6) = 32 / 35; H = (64 / 21) / (32 / 35) = 10 / 3.
    """
    test = genre_ratings.kruskal_wallis([[2, 1, 0, 0, 0], [0, 1, 2, 0, 0]])

    assert test is not None
    assert test.h == pytest.approx(10 / 3)
    assert test.tie_correction == pytest.approx(32 / 35)
    assert (test.df, test.n, test.groups) == (1, 6, 2)


def test_kruskal_wallis_without_ties_by_hand() -> None:
    """A = 1, 2 and B = 4, 5: ranks 1, 2 and 3, 4; H = 12 / 20 * (9 / 2 + 49 / 2)
    - 15 = 2.4 with 1 df; the chi-square tail is 2 * (1 - Phi(sqrt 2.4)) = 0.1213.
    eta squared is (2.4 - 2 + 1) / (4 - 2) = 0.7."""
    test = genre_ratings.kruskal_wallis([[1, 1, 0, 0, 0], [0, 0, 0, 1, 1]])

    assert test is not None
    assert test.h == pytest.approx(2.4)
    assert test.tie_correction == 1.0
    assert test.p_value == pytest.approx(0.1213, abs=1e-4)
    assert test.eta_squared == pytest.approx(0.7)


def test_kruskal_wallis_matches_scipy_on_the_raw_values() -> None:
    """The same groups expanded back into one value per rating, given to scipy,
    which ranks the raw values itself; an empty group drops out of both."""
    counts = [[2, 1, 0, 3, 1], [0, 2, 2, 1, 0], [1, 0, 4, 2, 3], [0, 0, 0, 0, 0]]
    raw = [
        [value for value, n in enumerate(row, start=1) for _ in range(n)]
        for row in counts
        if sum(row)
    ]

    test = genre_ratings.kruskal_wallis(counts)
    expected = stats.kruskal(*raw)

    assert test is not None
    assert test.groups == 3
    assert test.h == pytest.approx(expected.statistic, rel=1e-12)
    assert test.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_kruskal_wallis_is_undefined_without_two_groups_or_spread() -> None:
    assert genre_ratings.kruskal_wallis([]) is None
    assert genre_ratings.kruskal_wallis([[1, 2, 3, 0, 0]]) is None
    assert genre_ratings.kruskal_wallis([[0, 0, 3, 0, 0], [0, 0, 2, 0, 0]]) is None


def test_run_writes_table_figure_and_summary(
    tables: dict[str, Any], tmp_path: Path
) -> None:
    """Comedy is best (4.0) and Drama worst (3.5): a spread of 0.5. The test is
    Comedy's 3, 5 against Drama's 2, 3, 4, 5. Mid-ranks of 2, 3, 3, 4, 5, 5 are
    1, 2.5, 2.5, 4, 5.5, 5.5: rank sums 8 and 13, so 12 / 42 * (64 / 2 + 169 / 4)
    - 21 = 3 / 14; two pairs of ties give 1 - 12 / 210 = 33 / 35, and
    H = (3 / 14) / (33 / 35) = 0.227, which scipy confirms."""
    tables["ratings"].write(str(tmp_path / "ratings.ht"))
    tables["movies"].write(str(tmp_path / "movies.ht"))
    outputs = {
        "genres": tmp_path / "out" / "genres.tsv",
        "genre_means": tmp_path / "out" / "genre_means.svg",
        "summary": tmp_path / "out" / "summary.json",
    }

    summary = genre_ratings.run(
        tmp_path / "ratings.ht", tmp_path / "movies.ht", {"activate": True}, outputs
    )

    written = pd.read_csv(outputs["genres"], sep="\t")
    assert list(written.columns) == genre_ratings.GENRE_COLUMNS
    assert list(written["genre"]) == ["Comedy", "Drama"]
    assert outputs["genre_means"].read_text().lstrip().startswith("<?xml")
    assert json.loads(outputs["summary"].read_text()) == summary

    expected = stats.kruskal([3, 5], [2, 3, 4, 5])
    assert summary["kruskal_wallis"]["h"] == pytest.approx(105 / 462)
    assert summary["kruskal_wallis"]["h"] == pytest.approx(expected.statistic)
    assert summary["kruskal_wallis"]["df"] == 1
    assert summary["settings"] == {}
    assert summary["n_ratings"] == 6
    assert summary["mean_rating"] == pytest.approx(20 / 6)
    assert summary["n_genre_ratings"] == 6
    assert summary["genres_per_rating"] == pytest.approx(6 / 4)
    assert summary["no_genre"] == {"n_ratings": 2, "n_movies": 1, "mean_rating": 3.0}
    assert summary["spread"] == pytest.approx(0.5)
    assert (summary["best"]["genre"], summary["worst"]["genre"]) == ("Comedy", "Drama")
    assert summary["headline"].startswith(
        "Mean ratings of the 2 genres run from Comedy (4.00"
    )
    assert any(
        "2 ratings of 1 movie with no genre (mean 3.00)" in finding
        for finding in summary["findings"]
    )

    section = report.analysis_section(tmp_path / "out", "genre_ratings", "Genres")
    report.write_report(
        tmp_path / "report.html",
        template_dir=TEMPLATES,
        sections=[section],
        config={},
        title="T",
    )
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="genre_ratings-genres-table"' in html
    assert "H = 0.2 with" in html
