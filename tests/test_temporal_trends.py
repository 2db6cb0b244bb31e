"""Temporal trends, checked against values worked out by hand.

The tiny catalogue has five movies: 1 (1955), 2 (1958), 3 (1995), 4 (1997, never
rated) and 5 (no release year). The seven ratings (user, movie, stars, month):

    (1, 1, 5, Sep)  (2, 1, 4, Sep)  (3, 2, 3, Nov)  (1, 3, 3, Sep)
    (2, 3, 2, Nov)  (3, 3, 1, Nov)  (1, 5, 4, Sep)

Timestamps: 1997-09-01 00:00 UTC is 873,072,000 s (27 years after 1970 with 7
leap days, 9,862 days, plus 243 days from January to August: 10,105 days of
86,400 s). 875,663,999 is the last second of September; 1997-11-01 00:00 UTC is
61 days later than September 1st, 873,072,000 + 61 * 86,400 = 878,342,400.

* 1955: movie 1, ratings 5 and 4: mean 4.5, sd sqrt(0.5);
* 1958: movie 2, rating 3: mean 3, no sd;
* 1995: movie 3, ratings 3, 2, 1: mean 2, sd 1;
* 1997: movie 4 and no rating: n 0, no mean;
* no year: movie 5, rating 4.
* 1950s: 2 movies, ratings 5, 4, 3: mean 4, sd 1; 1990s: 2 movies (3 and 4),
  ratings 3, 2, 1: mean 2, sd 1.
* September: ratings 5, 4, 3, 4 by users 1, 2, 1, 1: 4 ratings, 2 raters, mean
  16 / 4 = 4, sd sqrt((1 + 0 + 1 + 0) / 3) = sqrt(2/3); October: none;
  November: ratings 3, 2, 1 by users 3, 2, 3: 3 ratings, 2 raters, mean 2, sd 1.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from movielens_hail.analyses import temporal_trends

SEPTEMBER = 873_072_000
END_OF_SEPTEMBER = 875_663_999
NOVEMBER = 878_342_400

MOVIES = [
    (1, "Old One (1955)", 1955),
    (2, "Old Two (1958)", 1958),
    (3, "New One (1995)", 1995),
    (4, "New Two (1997)", 1997),
    (5, "unknown", None),
]
RATINGS = [
    (1, 1, 5, SEPTEMBER),
    (2, 1, 4, END_OF_SEPTEMBER),
    (3, 2, 3, NOVEMBER),
    (1, 3, 3, SEPTEMBER + 60),
    (2, 3, 2, NOVEMBER + 60),
    (3, 3, 1, NOVEMBER + 120),
    (1, 5, 4, SEPTEMBER + 120),
]
# Student's t quantiles for a 95% interval, from a printed t table.
T_1, T_2, T_4, T_8 = 12.706, 4.303, 2.776, 2.306


def movies_table(hl: Any) -> Any:
    rows: list[dict[str, Any]] = [
        {
            "id": movie_id,
            "title": title,
            "genres": [],
            "release_date": None,
            "release_year": year,
        }
        for movie_id, title, year in MOVIES
    ]
    schema = hl.tstruct(
        id=hl.tint32,
        title=hl.tstr,
        genres=hl.tarray(hl.tstr),
        release_date=hl.tstr,
        release_year=hl.tint32,
    )
    return hl.Table.parallelize(rows, schema, key="id")


def ratings_table(hl: Any) -> Any:
    rows = [
        {"user_id": user, "movie_id": movie, "rating": stars, "timestamp": time}
        for user, movie, stars, time in RATINGS
    ]
    schema = hl.tstruct(
        user_id=hl.tint32, movie_id=hl.tint32, rating=hl.tint32, timestamp=hl.tint64
    )
    return hl.Table.parallelize(rows, schema, key=["user_id", "movie_id"])


@pytest.fixture(scope="module")
def rated(hail: Any) -> Any:
    """The ratings with their release years, looked up once for the module."""
    return temporal_trends.with_release_year(ratings_table(hail), movies_table(hail))


def test_release_years_count_unrated_and_yearless_movies(hail: Any, rated: Any) -> None:
    ht = temporal_trends.by_release_year(rated, movies_table(hail))

    rows = {row.release_year: row for row in ht.collect()}
    assert list(ht.key) == ["release_year"]
    assert sorted(rows, key=str) == [1955, 1958, 1995, 1997, None]
    assert [rows[y].n_movies for y in (1955, 1958, 1995, 1997, None)] == [1] * 5
    assert [rows[y].n_ratings for y in (1955, 1958, 1995, 1997, None)] == [
        2,
        1,
        3,
        0,
        1,
    ]
    assert rows[1955].mean_rating == 4.5
    assert rows[1955].sd_rating == pytest.approx(math.sqrt(0.5))
    assert rows[1958].sd_rating is None
    assert rows[1995].sd_rating == pytest.approx(1.0)
    assert rows[1997].mean_rating is None
    assert rows[None].mean_rating == 4.0


def test_decades_pool_their_years(hail: Any, rated: Any) -> None:
    ht = temporal_trends.by_decade(rated, movies_table(hail))

    rows = {row.decade: row for row in ht.collect()}
    assert sorted(rows, key=str) == [1950, 1990, None]
    assert (rows[1950].n_movies, rows[1950].n_ratings) == (2, 3)
    assert (rows[1990].n_movies, rows[1990].n_ratings) == (2, 3)
    assert (rows[None].n_movies, rows[None].n_ratings) == (1, 1)
    assert rows[1950].mean_rating == 4.0
    assert rows[1990].mean_rating == 2.0
    assert rows[1950].sd_rating == pytest.approx(1.0)


def test_months_are_utc_and_count_distinct_raters(hail: Any) -> None:
    ht = temporal_trends.by_month(ratings_table(hail))

    rows = {row.month: row for row in ht.collect()}
    assert sorted(rows) == ["1997-09", "1997-11"]
    assert (rows["1997-09"].n_ratings, rows["1997-09"].n_users) == (4, 2)
    assert (rows["1997-11"].n_ratings, rows["1997-11"].n_users) == (3, 2)
    assert rows["1997-09"].mean_rating == 4.0
    assert rows["1997-09"].sd_rating == pytest.approx(math.sqrt(2 / 3))
    assert rows["1997-11"].mean_rating == 2.0


def test_eras_split_at_the_recent_decade(rated: Any) -> None:
    ht = temporal_trends.by_era(rated, 1990)

    rows = {row.era: row for row in ht.collect()}
    assert sorted(rows) == ["older", "recent"]
    older, recent = rows["older"], rows["recent"]
    assert (older.n_ratings, older.n_movies, older.mean_rating) == (3, 2, 4.0)
    assert (older.first_year, older.last_year) == (1955, 1958)
    assert (recent.n_ratings, recent.n_movies, recent.mean_rating) == (3, 1, 2.0)
    assert (recent.first_year, recent.last_year) == (1995, 1995)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_run_writes_every_output(hail: Any, tmp_path: Path) -> None:
    """With ``min_ratings`` 2: 1955 (2 ratings, at the threshold) and 1995 are
    solid, every other year of 1955-1997 is thin; 40 of the 43 years have no
    rating. Older films (5, 4, 3) average 2 stars above the 1990s (3, 2, 1);
    Welch's interval of the difference: standard error sqrt(1/3 + 1/3), 4
    degrees of freedom, so 2 ± 2.776 * 0.8165 = 2 ± 2.267."""
    movies_table(hail).write(str(tmp_path / "movies.ht"))
    ratings_table(hail).write(str(tmp_path / "ratings.ht"))
    names = ["by_release_year", "by_decade", "by_month", "summary"]
    names += ["release_year", "decade", "month"]
    suffixes = dict.fromkeys(names, ".svg") | {
        "by_release_year": ".tsv",
        "by_decade": ".tsv",
        "by_month": ".tsv",
        "summary": ".json",
    }
    outputs = {name: tmp_path / "out" / f"{name}{suffixes[name]}" for name in names}

    summary = temporal_trends.run(
        tmp_path / "ratings.ht",
        tmp_path / "movies.ht",
        {"activate": True, "min_ratings": 2},
        outputs,
    )

    assert json.loads(outputs["summary"].read_text()) == summary
    for name in ("release_year", "decade", "month"):
        assert "<svg" in outputs[name].read_text()

    years = read_tsv(outputs["by_release_year"])
    assert [int(row["release_year"]) for row in years] == list(range(1955, 1998))
    by_year = {int(row["release_year"]): row for row in years}
    assert by_year[1956] == {
        "release_year": "1956",
        "n_movies": "0",
        "n_ratings": "0",
        "mean_rating": "",
        "sd_rating": "",
        "ci_low": "",
        "ci_high": "",
        "thin": "True",
    }
    assert [by_year[y]["thin"] for y in (1955, 1958, 1995, 1997)] == [
        "False",
        "True",
        "False",
        "True",
    ]
    # 4.5 ± 12.706 * sqrt(0.5) / sqrt(2) = 4.5 ± 6.353
    assert float(by_year[1955]["ci_low"]) == pytest.approx(4.5 - T_1 / 2, abs=1e-3)
    assert by_year[1958]["ci_low"] == ""

    decades = read_tsv(outputs["by_decade"])
    assert [row["decade_label"] for row in decades] == [
        "1950s",
        "1960s",
        "1970s",
        "1980s",
        "1990s",
    ]
    assert decades[1]["n_ratings"] == "0"
    assert decades[1]["thin"] == "True"

    months = read_tsv(outputs["by_month"])
    assert [row["month"] for row in months] == ["1997-09", "1997-10", "1997-11"]
    assert (months[1]["n_ratings"], months[1]["n_users"]) == ("0", "0")
    assert months[1]["mean_rating"] == ""

    assert summary["settings"] == {"min_ratings": 2}
    assert (summary["n_movies"], summary["n_ratings"]) == (5, 7)
    assert summary["n_movies_without_year"] == 1
    assert summary["n_ratings_without_year"] == 1
    assert (summary["first_release_year"], summary["last_release_year"]) == (
        1955,
        1997,
    )
    assert (summary["n_thin_years"], summary["n_years_without_ratings"]) == (41, 40)
    assert (summary["first_month"], summary["last_month"]) == ("1997-09", "1997-11")
    assert summary["n_months"] == 3

    comparison = summary["comparison"]
    assert comparison["recent_label"] == "1990s"
    assert comparison["difference"] == pytest.approx(2.0)
    welch = T_4 * math.sqrt(2 / 3)
    assert comparison["difference_ci_low"] == pytest.approx(2 - welch, abs=1e-3)
    assert comparison["difference_ci_high"] == pytest.approx(2 + welch, abs=1e-3)
    # 4 ± 4.303 / sqrt(3) = 4 ± 2.484
    older_half_width = T_2 / math.sqrt(3)
    assert comparison["older"]["ci_low"] == pytest.approx(
        4 - older_half_width, abs=1e-3
    )
    assert "about the same (difference +2.00 stars" in summary["headline"]
    assert "-0.27 to +4.27" in summary["headline"]
    assert len(summary["findings"]) == 4
    assert "1950s rate highest, 4.00" in summary["findings"][0]
    assert "1 movie with 1 rating has no release year" in summary["findings"][3]


def test_release_year_table_fills_gaps_and_marks_thin_years() -> None:
    """Localized rows for 1990 (29 ratings), 1992 (30) and the missing-year row:
    1991 is added with zero counts; at ``min_ratings`` 30, 29 ratings are thin
    and exactly 30 are not."""
    rows = pd.DataFrame(
        {
            "release_year": pd.array([1990, 1992, None], dtype="Int32"),
            "n_movies": pd.array([2, 3, 1], dtype="Int64"),
            "n_ratings": pd.array([29, 30, 5], dtype="Int64"),
            "sum_rating": pd.array([87, 120, 15], dtype="Int64"),
            "mean_rating": pd.array([3.0, 4.0, 3.0], dtype="Float64"),
            "sd_rating": pd.array([1.0, 1.0, 1.0], dtype="Float64"),
        }
    )

    table = temporal_trends.release_year_table(rows, min_ratings=30)

    assert list(table["release_year"]) == [1990, 1991, 1992]
    assert list(table["n_movies"]) == [2, 0, 3]
    assert list(table["n_ratings"]) == [29, 0, 30]
    assert list(table["thin"]) == [True, True, False]
    assert math.isnan(table["mean_rating"][1])
    assert temporal_trends.unplaced_counts(rows, "release_year") == (1, 5)


def test_difference_interval_by_hand() -> None:
    """Two groups of 5 with sd 1: standard error sqrt(1/5 + 1/5) = 0.6325 and
    Welch's degrees of freedom (0.4^2) / (2 * 0.2^2 / 4) = 8, so the difference
    4 - 3 = 1 has the interval 1 ± 2.306 * 0.6325 = 1 ± 1.458."""
    first = {"n_ratings": 5, "mean_rating": 4.0, "sd_rating": 1.0}
    second = {"n_ratings": 5, "mean_rating": 3.0, "sd_rating": 1.0}

    low, high = temporal_trends.difference_interval(first, second)

    assert low == pytest.approx(1 - T_8 * math.sqrt(0.4), abs=1e-3)
    assert high == pytest.approx(1 + T_8 * math.sqrt(0.4), abs=1e-3)
    single = {"n_ratings": 1, "mean_rating": 5.0, "sd_rating": None}
    assert all(
        math.isnan(bound)
        for bound in temporal_trends.difference_interval(single, second)
    )


def test_headline_reads_in_the_direction_of_the_difference() -> None:
    side = {"mean_rating": 3.5, "ci_low": 3.4, "ci_high": 3.6, "n_ratings": 1200}
    comparison = {
        "recent_label": "1990s",
        "older": side,
        "recent": side | {"mean_rating": 4.0},
        "difference": -0.5,
        "difference_ci_low": -0.7,
        "difference_ci_high": -0.3,
    }

    text = temporal_trends.headline(comparison, n_ratings=2400)

    assert text.startswith(
        "Films released before the 1990s are rated 0.50 stars lower on average "
        "(95% CI 0.30 to 0.70) than films of the 1990s: 3.50 (95% CI 3.40–3.60; "
        "1,200 ratings) against 4.00"
    )
    assert "no older film" in temporal_trends.headline(
        comparison | {"older": None}, n_ratings=1200
    )
