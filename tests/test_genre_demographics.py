"""Genre preferences by age group x sex, checked against hand arithmetic.

Age bins [18, 30] give the groups 18-29 and 30+. Users: u1 20 F, u2 25 M,
u3 40 M, and u4 15 F, younger than the first edge and so in no segment. Movies:
m1 Comedy, m2 Comedy and Drama, m3 no genre, m4 Drama. Ratings (user, movie,
rating) and the genre-ratings they make:

* u1: (m1, 5) (m2, 4) (m3, 3) (m4, 2) -> Comedy [5, 4], Drama [4, 2]; m3 has no
  genre and is left out;
* u2: (m1, 3) (m2, 2) (m4, 4) -> Comedy [3, 2], Drama [2, 4];
* u3: (m2, 5) (m4, 1) -> Comedy [5], Drama [5, 1];
* u4: (m1, 4) -> Comedy [4], counted overall but in no segment.

10 ratings make 12 genre-ratings (m2 counts twice); 1 rating has no genre and 1
has no segment. Overall, Comedy and Drama have 6 genre-ratings each: share 0.5.

* 18-29 F: Comedy 2 / 4 = 0.5, lift 1.0, mean 4.5, sd sqrt(0.5); Drama the
  same share and lift, mean 3, sd sqrt(2). A tie on lift and count: Comedy
  ranks first by name.
* 18-29 M: Comedy and Drama 0.5 each, lift 1.0.
* 30+ F: nobody, so no share and no lift.
* 30+ M: Comedy 1 / 3, lift 2/3, a single rating with no interval; Drama 2 / 3,
  lift 4/3, mean 3, sd sqrt(8), interval 3 ± 12.706205 * sqrt(8) / sqrt(2).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from movielens_hail import report
from movielens_hail.analyses import genre_demographics

ROOT = Path(__file__).resolve().parents[1]
AGE_BINS = [18, 30]
AGE_LABELS = ["18-29", "30+"]
RATINGS = [
    (1, 1, 5),
    (1, 2, 4),
    (1, 3, 3),
    (1, 4, 2),
    (2, 1, 3),
    (2, 2, 2),
    (2, 4, 4),
    (3, 2, 5),
    (3, 4, 1),
    (4, 1, 4),
]


def tables(hl: Any) -> dict[str, Any]:
    """The ratings, movies and users above as Hail tables."""
    users = hl.Table.parallelize(
        [
            {"id": 1, "age": 20, "sex": "F", "occupation": "student", "zipcode": "1"},
            {"id": 2, "age": 25, "sex": "M", "occupation": "writer", "zipcode": "2"},
            {"id": 3, "age": 40, "sex": "M", "occupation": "artist", "zipcode": "3"},
            {"id": 4, "age": 15, "sex": "F", "occupation": "student", "zipcode": "4"},
        ],
        hl.tstruct(
            id=hl.tint32,
            age=hl.tint32,
            sex=hl.tstr,
            occupation=hl.tstr,
            zipcode=hl.tstr,
        ),
        key="id",
    )
    movies = hl.Table.parallelize(
        [
            {"id": 1, "title": "A (1995)", "genres": ["Comedy"]},
            {"id": 2, "title": "B (1995)", "genres": ["Comedy", "Drama"]},
            {"id": 3, "title": "C (1995)", "genres": []},
            {"id": 4, "title": "D (1995)", "genres": ["Drama"]},
        ],
        hl.tstruct(id=hl.tint32, title=hl.tstr, genres=hl.tarray(hl.tstr)),
        key="id",
    )
    ratings = hl.Table.parallelize(
        [
            {"user_id": user, "movie_id": movie, "rating": rating, "timestamp": 0}
            for user, movie, rating in RATINGS
        ],
        hl.tstruct(
            user_id=hl.tint32, movie_id=hl.tint32, rating=hl.tint32, timestamp=hl.tint64
        ),
        key=["user_id", "movie_id"],
    )
    return {"ratings": ratings, "movies": movies, "users": users}


def test_shares_lift_and_means_by_segment(hail: Any) -> None:
    inputs = tables(hail)
    ratings = genre_demographics.rating_segments(
        inputs["ratings"], inputs["users"], inputs["movies"], AGE_BINS
    )
    aggregates = genre_demographics.segment_genre_aggregates(ratings)
    segments = genre_demographics.segment_table(inputs["users"], AGE_BINS)
    cells = genre_demographics.with_shares(
        genre_demographics.segment_genre_grid(aggregates, segments)
    )

    assert genre_demographics.rating_counts(ratings) == {
        "n_ratings": 10,
        "n_genre_ratings": 12,
        "n_ratings_without_genre": 1,
        "n_ratings_without_segment": 1,
    }
    frame = genre_demographics.cells_frame(cells, AGE_LABELS)
    assert list(frame.columns) == list(genre_demographics.CELL_COLUMNS)
    assert list(zip(frame["age_group"], frame["sex"], frame["genre"], strict=True)) == [
        ("18-29", "F", "Comedy"),
        ("18-29", "F", "Drama"),
        ("18-29", "M", "Comedy"),
        ("18-29", "M", "Drama"),
        ("30+", "F", "Comedy"),
        ("30+", "F", "Drama"),
        ("30+", "M", "Comedy"),
        ("30+", "M", "Drama"),
    ]
    assert list(frame["n_ratings"]) == [2, 2, 2, 2, 0, 0, 1, 2]
    assert list(frame["overall_share"]) == pytest.approx([0.5] * 8)
    shown = frame.drop(index=[4, 5])
    assert list(shown["share"]) == pytest.approx([0.5, 0.5, 0.5, 0.5, 1 / 3, 2 / 3])
    assert list(shown["lift"]) == pytest.approx([1, 1, 1, 1, 2 / 3, 4 / 3])
    assert frame["share"].iloc[4:6].isna().all()
    assert frame["lift"].iloc[4:6].isna().all()
    assert frame["mean_rating"].iloc[0] == pytest.approx(4.5)
    assert frame["sd_rating"].iloc[0] == pytest.approx(math.sqrt(0.5))
    single, pair = frame.iloc[6], frame.iloc[7]
    assert single["mean_rating"] == pytest.approx(5.0)
    assert pd.isna(single["ci_low"])
    half_width = 12.706205 * math.sqrt(8) / math.sqrt(2)
    assert pair["ci_low"] == pytest.approx(3 - half_width, abs=1e-5)
    assert pair["ci_high"] == pytest.approx(3 + half_width, abs=1e-5)


def test_top_genres_by_lift_with_floor_and_ties(hail: Any) -> None:
    """Top 4 with a floor of 20 ratings, on cells given directly.

    18-29 F: Drama, Comedy and Action share lift 1.5; Drama has the most ratings
    (30), and Action beats Comedy (both 25) by name. Horror's lift of 3 does not
    count with 19 ratings; Western, with exactly 20, comes fourth. 18-29 M has
    only a genre below the floor and 30+ F no ratings: one empty row each.
    """
    hl = hail
    cells = [
        ("18-29", "F", "Comedy", 25, 1.5),
        ("18-29", "F", "Drama", 30, 1.5),
        ("18-29", "F", "Action", 25, 1.5),
        ("18-29", "F", "Horror", 19, 3.0),
        ("18-29", "F", "Western", 20, 0.5),
        ("18-29", "M", "Horror", 5, 2.0),
        ("30+", "F", "Drama", 0, None),
    ]
    ht = hl.Table.parallelize(
        [
            {
                "age_group": age_group,
                "sex": sex,
                "genre": genre,
                "n_ratings": n,
                "lift": lift,
                "share": None,
                "mean_rating": 3.0 if n else None,
            }
            for age_group, sex, genre, n, lift in cells
        ],
        hl.tstruct(
            age_group=hl.tstr,
            sex=hl.tstr,
            genre=hl.tstr,
            n_ratings=hl.tint64,
            lift=hl.tfloat64,
            share=hl.tfloat64,
            mean_rating=hl.tfloat64,
        ),
        key=["age_group", "sex", "genre"],
    )

    top = genre_demographics.top_genres_frame(
        genre_demographics.top_genre_table(ht, 4, 20), AGE_LABELS
    )

    assert list(top.columns) == list(genre_demographics.TOP_COLUMNS)
    rows = top[["age_group", "sex", "rank", "genre"]].astype(object)
    ranked = [
        tuple(None if pd.isna(value) else value for value in row)
        for row in rows.itertuples(index=False)
    ]
    assert ranked == [
        ("18-29", "F", 1, "Drama"),
        ("18-29", "F", 2, "Action"),
        ("18-29", "F", 3, "Comedy"),
        ("18-29", "F", 4, "Western"),
        ("18-29", "M", None, None),
        ("30+", "F", None, None),
    ]


def test_run_writes_every_output(hail: Any, tmp_path: Path) -> None:
    for name, table in tables(hail).items():
        table.write(str(tmp_path / f"{name}.ht"))
    folder = tmp_path / "genre_demographics"
    outputs = {
        "segment_genres": folder / "segment_genres.tsv",
        "top_genres": folder / "top_genres.tsv",
        "lift_heatmap": folder / "lift_heatmap.svg",
        "mean_heatmap": folder / "mean_heatmap.svg",
        "summary": folder / "summary.json",
    }

    summary = genre_demographics.run(
        tmp_path / "ratings.ht",
        tmp_path / "movies.ht",
        tmp_path / "users.ht",
        AGE_BINS,
        1,
        outputs,
        min_genre_ratings=2,
    )

    assert json.loads(outputs["summary"].read_text()) == summary
    assert all(path.stat().st_size > 0 for path in outputs.values())
    # Top genre per segment with at least 2 ratings: the Comedy-Drama tie in
    # 18-29 goes to Comedy by name; in 30+ M, Comedy (1 rating) is below the floor.
    top = outputs["top_genres"].read_text().splitlines()
    assert top[0].split("\t") == list(genre_demographics.TOP_COLUMNS)
    assert [line.split("\t")[:4] for line in top[1:]] == [
        ["18-29", "F", "1", "Comedy"],
        ["18-29", "M", "1", "Comedy"],
        ["30+", "F", "", ""],
        ["30+", "M", "1", "Drama"],
    ]
    assert summary["settings"] == {
        "age_bins": AGE_BINS,
        "top_genres": 1,
        "min_genre_ratings": 2,
        "interval_level": 0.95,
    }
    assert summary["n_ratings_without_genre"] == 1
    assert summary["n_segments"] == 4
    assert summary["n_empty_segments"] == 1
    assert summary["n_genres"] == 2
    assert summary["strongest_preference"]["genre"] == "Drama"
    assert summary["strongest_preference"]["lift"] == pytest.approx(4 / 3)
    assert summary["headline"].startswith(
        "The strongest genre preference is Drama among men aged 30+: 66.7%"
    )
    assert "9 ratings make 12 genre-ratings" in summary["findings"][-1]

    section = report.analysis_section(folder, "genre_demographics", "Genres")
    html_path = tmp_path / "report.html"
    report.write_report(
        html_path,
        template_dir=ROOT / "report" / "templates",
        sections=[section],
        config={},
        title="T",
    )
    html = html_path.read_text()
    assert '<section id="genre_demographics">' in html
    assert '<figure id="genre_demographics-lift-heatmap">' in html
    assert "fewer than 2" in html
