"""Top and bottom lists, ties, the threshold and the written outputs, by hand.

The ranking tests use this inline movie table (movie_id: n_ratings, mean):

* 1: 3 ratings, 4.0    * 2: 5 ratings, 4.0    * 3: 5 ratings, 4.0
* 4: 1 rating, 5.0     * 5: 4 ratings, 2.0    * 6: no rating
* 7: 2 ratings, 2.0

With ``min_ratings`` 2, movie 4 (one rating) and movie 6 are out. Movies 1, 2
and 3 tie on 4.0: 2 and 3 have more ratings than 1, and 2 has the lower id of
the two, so the top three are 2, 3, 1. At the bottom 5 and 7 tie on 2.0 and 5
has more ratings, then come 2 and 3 (4.0, 5 ratings) before 1: so 5, 7, 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from movielens_hail import report, stats
from movielens_hail.analyses import popularity
from movielens_hail.runner import write_json, write_tsv

TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"
FIGURES = ("distributions", "top_bottom", "mean_vs_count")

MOVIE_ROWS = [
    (1, "Alpha (1990)", 3, 4.0, 1.0, 3.8),
    (2, "Beta (1991)", 5, 4.0, 0.5, 3.9),
    (3, "Gamma (1992)", 5, 4.0, 0.7, 3.9),
    (4, "Delta (1993)", 1, 5.0, None, 3.7),
    (5, "Epsilon (1994)", 4, 2.0, 1.0, 3.0),
    (6, "Zeta (1995)", 0, None, None, 3.5),
    (7, "Eta (1996)", 2, 2.0, 0.0, 3.2),
]


@pytest.fixture(scope="module")
def movies_ht(hail: Any) -> Any:
    hl = hail
    fields = ("movie_id", "title", "n_ratings", "mean_rating", "sd_rating")
    schema = hl.tstruct(
        movie_id=hl.tint32,
        title=hl.tstr,
        n_ratings=hl.tint64,
        mean_rating=hl.tfloat64,
        sd_rating=hl.tfloat64,
        damped_mean=hl.tfloat64,
    )
    rows = [dict(zip((*fields, "damped_mean"), row, strict=True)) for row in MOVIE_ROWS]
    return hl.Table.parallelize(rows, schema, key="movie_id")


def ids_and_ranks(rows: list[Any]) -> list[tuple[int, int]]:
    return [(row.rank, row.movie_id) for row in rows]


def test_lists_break_ties_by_count_then_id(movies_ht: Any) -> None:
    """By damped mean, 2 and 3 tie on 3.9 with 5 ratings each (lower id first),
    then 1 (3.8); at the bottom 5 (3.0), 7 (3.2), then 4 (3.7) although it has
    one rating. Movie 6 is unrated and its damped mean, 3.5, would come before
    4's: it must not enter."""
    lists = movies_ht.aggregate(popularity.rankings(movies_ht, 3, 2))

    assert ids_and_ranks(lists.top) == [(1, 2), (2, 3), (3, 1)]
    assert ids_and_ranks(lists.bottom) == [(1, 5), (2, 7), (3, 2)]
    assert ids_and_ranks(lists.top_damped) == [(1, 2), (2, 3), (3, 1)]
    assert ids_and_ranks(lists.bottom_damped) == [(1, 5), (2, 7), (3, 4)]
    assert lists.top[0].title == "Beta (1991)"


def test_lists_are_shorter_when_few_movies_pass(movies_ht: Any) -> None:
    """Only movies 2 and 3 have 5 ratings; the list of 10 holds those two."""
    top = movies_ht.aggregate(
        popularity.ranked(movies_ht, "mean_rating", 10, min_ratings=5)
    )

    assert ids_and_ranks(top) == [(1, 2), (2, 3)]


def test_summary_when_no_movie_passes_the_threshold(tmp_path: Path) -> None:
    """Pure pandas: with min_ratings 100 nothing qualifies, and the headline and
    findings say so instead of naming a best movie."""
    movies = pd.DataFrame(
        {
            "movie_id": [1, 2],
            "title": ["Alpha (1990)", "Beta (1991)"],
            "n_ratings": [3, 1],
            "mean_rating": [4.0, 2.0],
            "sd_rating": [1.0, None],
            "ci_low": [1.52, None],
            "ci_high": [6.48, None],
            "damped_mean": [3.8, 3.1],
        }
    )
    empty = movies.iloc[0:0].assign(rank=[])
    damped = movies.assign(rank=[1, 2])
    ranking = {
        "top": empty,
        "bottom": empty,
        "top_damped": damped,
        "bottom_damped": damped.iloc[::-1],
    }

    summary = popularity.summarize(
        movies,
        ranking,
        {1: 0, 2: 1, 3: 1, 4: 1, 5: 1},
        top_n=10,
        min_ratings=100,
        prior_weight=10,
    )

    assert summary["headline"].startswith(
        "None of the 2 movies has at least 100 ratings"
    )
    assert "“Alpha (1990)” (damped mean 3.80" in summary["headline"]
    assert summary["n_eligible"] == 0
    assert summary["best"] is None
    assert summary["findings"][0].startswith("No movie has at least 100 ratings")
    # 4 ratings: values 2 to 5 once each, so the tie for most common goes to 2.
    assert "2 stars is the most common rating (1 of 4, 25.0%)" in " ".join(
        summary["findings"]
    )

    folder = tmp_path / "popularity"
    for name, frame in ranking.items():
        write_tsv(frame, folder / f"{name}.tsv")
    for name in FIGURES:
        (folder / f"{name}.svg").write_text("<svg></svg>")
    write_json(summary, folder / "summary.json")
    html = render_section(folder, tmp_path)
    assert "No movie has at least 100 ratings" in html
    assert 'id="popularity-top-table"' not in html
    assert 'id="popularity-top-damped-table"' in html


def render_section(folder: Path, out_dir: Path) -> str:
    """The report with only the popularity section read from ``folder``."""
    section = report.analysis_section(folder, "popularity", "Movie popularity")
    out = out_dir / "report.html"
    report.write_report(
        out, template_dir=TEMPLATES, sections=[section], config={}, title="T"
    )
    return out.read_text(encoding="utf-8")


def test_run_writes_lists_figures_and_summary(hail: Any, tmp_path: Path) -> None:
    """Ratings (user, movie, rating), prior weight 2:

    * movie 1: 5, 4, 3 -> n 3, mean 4, sd 1; t(0.975, 2) = 4.3027, so the
      interval is 4 -/+ 4.3027 / sqrt(3) = 1.5159 to 6.4841;
    * movie 2: 5, 5 -> mean 5, sd 0, interval 5 to 5;
    * movie 3: 1, 2 -> mean 1.5;  movie 4: 4 -> mean 4, no interval;
    * movie 5: unrated.

    The global mean is 29 / 8 = 3.625, so the damped means are 1: 19.25 / 5 =
    3.85, 2: 17.25 / 4 = 4.3125, 3: 10.25 / 4 = 2.5625, 4: 11.25 / 3 = 3.75.
    With top_n 2 and min_ratings 2, movies 1-3 pass: top 2, 1; bottom 3, 1 (so
    movie 1 is in both); by damped mean top 2, 1 and bottom 3, 4.
    """
    hl = hail
    ratings = hl.Table.parallelize(
        [
            {"user_id": user, "movie_id": movie, "rating": rating}
            for user, movie, rating in [
                (1, 1, 5),
                (2, 1, 4),
                (3, 1, 3),
                (1, 2, 5),
                (2, 2, 5),
                (1, 3, 1),
                (2, 3, 2),
                (3, 4, 4),
            ]
        ],
        hl.tstruct(user_id=hl.tint32, movie_id=hl.tint32, rating=hl.tint32),
        key=["user_id", "movie_id"],
    )
    movies = hl.Table.parallelize(
        [
            {"id": movie, "title": f"Movie {movie} (1990)", "genres": ["Drama"]}
            for movie in range(1, 6)
        ],
        hl.tstruct(id=hl.tint32, title=hl.tstr, genres=hl.tarray(hl.tstr)),
        key="id",
    )
    stats.movie_stats(ratings, movies, 2).write(str(tmp_path / "movie_stats.ht"))
    ratings.write(str(tmp_path / "ratings.ht"))
    names = ["movies", "top", "bottom", "top_damped", "bottom_damped"]
    outputs = {name: tmp_path / "out" / f"{name}.tsv" for name in names}
    outputs.update({name: tmp_path / "out" / f"{name}.svg" for name in FIGURES})
    outputs["summary"] = tmp_path / "out" / "summary.json"

    summary = popularity.run(
        tmp_path / "movie_stats.ht",
        tmp_path / "ratings.ht",
        {"activate": True, "top_n": 2, "min_ratings": 2},
        outputs,
    )

    tables = {name: pd.read_csv(outputs[name], sep="\t") for name in names}
    assert list(tables["movies"]["movie_id"]) == [1, 2, 3, 4, 5]
    assert list(tables["top"]["movie_id"]) == [2, 1]
    assert list(tables["bottom"]["movie_id"]) == [3, 1]
    assert list(tables["top_damped"]["movie_id"]) == [2, 1]
    assert list(tables["bottom_damped"]["movie_id"]) == [3, 4]
    assert list(tables["top"].columns) == ["rank", *popularity.MOVIE_COLUMNS]
    first = tables["movies"].set_index("movie_id")
    assert first.loc[1, "ci_low"] == pytest.approx(1.5159, abs=1e-4)
    assert first.loc[1, "ci_high"] == pytest.approx(6.4841, abs=1e-4)
    assert (first.loc[2, "ci_low"], first.loc[2, "ci_high"]) == (5.0, 5.0)
    assert pd.isna(first.loc[4, "ci_low"])
    assert pd.isna(first.loc[5, "mean_rating"])
    assert first.loc[3, "damped_mean"] == pytest.approx(2.5625)
    for name in FIGURES:
        assert outputs[name].read_text().lstrip().startswith("<?xml")

    assert json.loads(outputs["summary"].read_text()) == summary
    assert summary["settings"] == {"top_n": 2, "min_ratings": 2}
    assert summary["rating_distribution"] == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 3}
    assert summary["mean_rating"] == pytest.approx(3.625)
    assert (summary["n_movies"], summary["n_rated"], summary["n_eligible"]) == (5, 4, 3)
    assert (summary["n_shared_top"], summary["n_shared_bottom"]) == (2, 1)
    assert summary["n_top_in_bottom"] == 1
    assert summary["best"]["movie_id"] == 2
    assert summary["headline"].startswith(
        "Of 5 movies, 3 have at least 2 ratings; among them “Movie 2 (1990)” "
        "(mean 5.00, 95% CI 5.00–5.00; 2 ratings) rates highest and "
        "“Movie 3 (1990)” (mean 1.50"
    )
    assert "1 movie is in both the top and the bottom list" in summary["findings"][0]
    assert 2 <= len(summary["findings"]) <= 4

    html = render_section(tmp_path / "out", tmp_path)
    assert "“Movie 2 (1990)”" in html
    assert 'id="popularity-top-table"' in html
