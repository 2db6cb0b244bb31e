"""Ingest: the micro data set as Hail tables with the declared schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from movielens_hail import ingest
from movielens_hail.readers import read_movielens


def test_tables_have_the_declared_schema(
    hail: Any, grouplens_dir: Path, tmp_path: Path
) -> None:
    hl = hail
    tables = ingest.to_hail(read_movielens(grouplens_dir), tmp_path / "staging")

    movies, ratings, users = tables["movies"], tables["ratings"], tables["users"]
    assert dict(movies.row.dtype) == {
        "id": hl.tint32,
        "title": hl.tstr,
        "genres": hl.tarray(hl.tstr),
        "release_date": hl.tstr,
        "release_year": hl.tint32,
    }
    assert list(movies.key) == ["id"]
    assert dict(ratings.row.dtype) == {
        "user_id": hl.tint32,
        "movie_id": hl.tint32,
        "rating": hl.tint32,
        "timestamp": hl.tint64,
    }
    assert list(ratings.key) == ["user_id", "movie_id"]
    assert dict(users.row.dtype) == {
        "id": hl.tint32,
        "age": hl.tint32,
        "sex": hl.tstr,
        "occupation": hl.tstr,
        "zipcode": hl.tstr,
    }
    assert list(users.key) == ["id"]


def test_values_survive_the_trip_into_hail(
    hail: Any, grouplens_dir: Path, tmp_path: Path
) -> None:
    tables = ingest.to_hail(read_movielens(grouplens_dir), tmp_path / "staging")

    movies = {row.id: row for row in tables["movies"].collect()}
    assert movies[1].genres == ["Animation", "Comedy"]
    assert movies[3].title == "Café au lait (1993)"
    assert movies[4].genres == []
    assert movies[4].release_year is None
    assert movies[4].release_date is None
    assert [(r.user_id, r.movie_id, r.rating) for r in tables["ratings"].collect()] == [
        (1, 1, 5),
        (1, 2, 3),
        (2, 1, 4),
        (2, 3, 1),
        (3, 1, 3),
    ]
    assert [u.zipcode for u in tables["users"].collect()] == ["85711", "02138", "T8H1N"]


def test_run_writes_tables_and_the_data_summary(
    hail: Any, grouplens_dir: Path, tmp_path: Path
) -> None:
    hl = hail
    tables = {name: tmp_path / f"{name}.ht" for name in ("movies", "ratings", "users")}
    reports = {
        "summary": tmp_path / "summary.json",
        "distribution": tmp_path / "distribution.tsv",
        "figure": tmp_path / "distribution.svg",
        "rejected": tmp_path / "rejected.tsv",
    }

    ingest.run(grouplens_dir, "strict", tables, reports, tmp_path / "staging")

    assert hl.read_table(str(tables["ratings"])).count() == 5
    assert not list(tmp_path.glob("*.partial"))
    summary = json.loads(reports["summary"].read_text())
    assert summary["n_ratings"] == 5
    assert summary["n_users"] == 3
    assert summary["n_movies"] == 4
    assert summary["mean_rating"] == 16 / 5
    assert summary["rating_distribution"] == {"1": 1, "3": 2, "4": 1, "5": 1}
    assert summary["density"] == 5 / 12
    assert reports["distribution"].read_text().splitlines() == [
        "rating\tn_ratings\tshare",
        "1\t1\t0.2",
        "2\t0\t0.0",
        "3\t2\t0.4",
        "4\t1\t0.2",
        "5\t1\t0.2",
    ]
    assert reports["rejected"].read_text() == "file\tline\treason\n"
    assert reports["figure"].read_text().lstrip().startswith("<?xml")
