"""Per-movie and per-user aggregates, checked against values worked out by hand.

The micro ratings are (user, movie, rating): (1,1,5) (1,2,3) (2,1,4) (2,3,1)
(3,1,3). The global mean is 16 / 5 = 3.2. With a prior weight of 2:

* movie 1: ratings 5, 4, 3 -> mean 4, sample sd 1, damped (12 + 6.4) / 5 = 3.68;
* movie 2: rating 3 -> mean 3, no sd, damped (3 + 6.4) / 3;
* movie 3: rating 1 -> mean 1, damped (1 + 6.4) / 3;
* movie 4: unrated -> n 0, no mean, damped 6.4 / 2 = 3.2;
* user 1: 5, 3 -> mean 4, sd sqrt(2); user 2: 4, 1 -> mean 2.5, sd sqrt(4.5);
* user 3: 3 -> mean 3, no sd, damped (3 + 6.4) / 3.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from movielens_hail import ingest, stats
from movielens_hail.readers import read_movielens


@pytest.fixture
def micro_tables(hail: Any, grouplens_dir: Path, tmp_path: Path) -> dict[str, Any]:
    return ingest.to_hail(read_movielens(grouplens_dir), tmp_path / "staging")


def test_movie_stats_by_hand(hail: Any, micro_tables: dict[str, Any]) -> None:
    ht = stats.movie_stats(micro_tables["ratings"], micro_tables["movies"], 2)

    rows = {row.movie_id: row for row in ht.collect()}
    assert list(ht.key) == ["movie_id"]
    assert [rows[m].n_ratings for m in (1, 2, 3, 4)] == [3, 1, 1, 0]
    assert rows[1].mean_rating == 4.0
    assert rows[1].sd_rating == pytest.approx(1.0)
    assert rows[2].sd_rating is None
    assert rows[4].mean_rating is None
    assert rows[1].damped_mean == pytest.approx(3.68)
    assert rows[2].damped_mean == pytest.approx(9.4 / 3)
    assert rows[3].damped_mean == pytest.approx(7.4 / 3)
    assert rows[4].damped_mean == pytest.approx(3.2)
    assert rows[2].title == "Usual Suspects, The (1995)"
    assert hail.eval(ht.global_mean) == pytest.approx(3.2)


def test_user_stats_by_hand(micro_tables: dict[str, Any]) -> None:
    ht = stats.user_stats(micro_tables["ratings"], micro_tables["users"], 2)

    rows = {row.user_id: row for row in ht.collect()}
    assert [rows[u].n_ratings for u in (1, 2, 3)] == [2, 2, 1]
    assert [rows[u].mean_rating for u in (1, 2, 3)] == [4.0, 2.5, 3.0]
    assert rows[1].sd_rating == pytest.approx(math.sqrt(2))
    assert rows[2].sd_rating == pytest.approx(math.sqrt(4.5))
    assert rows[3].sd_rating is None
    assert rows[3].damped_mean == pytest.approx(9.4 / 3)
    assert rows[2].sex == "F"


def test_zero_prior_weight_gives_the_plain_mean(micro_tables: dict[str, Any]) -> None:
    ht = stats.movie_stats(micro_tables["ratings"], micro_tables["movies"], 0)

    rows = {row.movie_id: row for row in ht.collect()}
    assert rows[1].damped_mean == pytest.approx(4.0)
    assert rows[4].damped_mean is None


def test_run_writes_table_and_summary(
    hail: Any, grouplens_dir: Path, tmp_path: Path
) -> None:
    hl = hail
    tables = ingest.to_hail(read_movielens(grouplens_dir), tmp_path / "staging")
    for name, table in tables.items():
        table.write(str(tmp_path / f"{name}.ht"))

    summary = stats.run(
        "movie",
        tmp_path / "ratings.ht",
        tmp_path / "movies.ht",
        2,
        table_path=tmp_path / "movie_stats.ht",
        summary_path=tmp_path / "movie_stats.json",
    )

    assert hl.read_table(str(tmp_path / "movie_stats.ht")).count() == 4
    assert json.loads((tmp_path / "movie_stats.json").read_text()) == summary
    assert summary["n"] == 4
    assert summary["n_unrated"] == 1
    assert summary["min_ratings"] == 0
    assert summary["max_ratings"] == 3
    assert summary["median_ratings"] == 1.0
