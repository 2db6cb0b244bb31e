"""Engagement by age group, sex and occupation, checked against hand arithmetic.

Six users with age bins [5, 18, 25] (groups 5-17, 18-24, 25+); the ratings behind
each user's count, sum and sample sd are in brackets, with the sum of squares
that ``with_sum_of_squares`` must recover from count, sum and sd:

* u1: 20, F, student, [5, 3]: n 2, sum 8, sd sqrt(2), squares 25 + 9 = 34;
* u2: 22, M, student, [4]: n 1, sum 4, no sd, squares 16;
* u3: 30, M, writer, [2, 2, 5]: n 3, sum 9, sd sqrt(3), squares 33;
* u4: 40, F, writer, no ratings: n 0, squares 0;
* u5: 60, M, writer, [4]: n 1, sum 4, squares 16;
* u6: 3, M, student, [1]: younger than the first edge, so in no age group.

Over all users: 6 users, 8 ratings, sum 26, squares 100: mean 3.25.

* 5-17 is empty: 0 users, no means.
* 18-24 (u1, u2): 2 of 6 users, 3 of 8 ratings -> activity (3/8) / (2/6) =
  1.125; ratings [5, 3, 4]: mean 4, sd 1 ((50 - 3 * 16) / 2 = 1), t interval
  4 ± 4.302653 / sqrt(3) = 4 ± 2.484138; 1.5 ratings per user, median 1.5.
* 25+ (u3, u4, u5): 3 of 6 users, 4 of 8 ratings -> activity 1.0; ratings
  [2, 2, 5, 4]: mean 3.25, sd 1.5 ((49 - 4 * 3.25²) / 3 = 2.25); per user
  [3, 0, 1]: mean 4/3, median 1.
* F (u1, u4): 2 users, 2 ratings -> activity (2/8) / (2/6) = 0.75, mean 4.
  M (u2, u3, u5, u6): 4 users, 6 ratings -> activity 1.125; ratings
  [4, 2, 2, 5, 4, 1]: mean 3, sd sqrt((66 - 6 * 9) / 5) = sqrt(2.4).
* student (u1, u2, u6): 3 users, ratings [5, 3, 4, 1], mean 3.25.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from movielens_hail import report
from movielens_hail.analyses import engagement

ROOT = Path(__file__).resolve().parents[1]
AGE_BINS = [5, 18, 25]
AGE_LABELS = ["5-17", "18-24", "25+"]
USERS = [
    # user_id, age, sex, occupation, n_ratings, sum_rating, sd_rating
    (1, 20, "F", "student", 2, 8, math.sqrt(2)),
    (2, 22, "M", "student", 1, 4, None),
    (3, 30, "M", "writer", 3, 9, math.sqrt(3)),
    (4, 40, "F", "writer", 0, 0, None),
    (5, 60, "M", "writer", 1, 4, None),
    (6, 3, "M", "student", 1, 1, None),
]


def user_stats(hl: Any) -> Any:
    """The six users as a ``user_stats`` table."""
    schema = hl.tstruct(
        user_id=hl.tint32,
        age=hl.tint32,
        sex=hl.tstr,
        occupation=hl.tstr,
        n_ratings=hl.tint64,
        sum_rating=hl.tint64,
        mean_rating=hl.tfloat64,
        sd_rating=hl.tfloat64,
    )
    rows = [
        {
            "user_id": user_id,
            "age": age,
            "sex": sex,
            "occupation": occupation,
            "n_ratings": n,
            "sum_rating": total,
            "mean_rating": total / n if n else None,
            "sd_rating": sd,
        }
        for user_id, age, sex, occupation, n, total, sd in USERS
    ]
    return hl.Table.parallelize(rows, schema, key="user_id")


def prepared_users(hl: Any) -> Any:
    ht = engagement.with_age_group(user_stats(hl), AGE_BINS)
    return engagement.with_sum_of_squares(ht)


@pytest.fixture(scope="module")
def frames(hail: Any) -> dict[str, pd.DataFrame]:
    """Every segment table of the six users, computed once for the module."""
    ht = engagement.all_segment_stats(prepared_users(hail), AGE_LABELS)
    return engagement.segment_frames(ht, AGE_LABELS)


def test_sum_of_squares_from_count_sum_and_sd(hail: Any) -> None:
    rows = {row.user_id: row for row in prepared_users(hail).collect()}

    assert [rows[user].sum_squares for user in range(1, 7)] == pytest.approx(
        [34, 16, 33, 0, 16, 1]
    )
    assert [rows[user].age_group for user in range(1, 7)] == [
        "18-24",
        "18-24",
        "25+",
        "25+",
        "25+",
        None,
    ]


def test_age_groups_youngest_first_with_empty_group(
    frames: dict[str, pd.DataFrame],
) -> None:
    by_age = frames["by_age_group"]

    # "5-17" sorts last as text; the table must still put it first.
    assert list(by_age["age_group"]) == AGE_LABELS
    assert list(by_age["n_users"]) == [0, 2, 3]
    assert list(by_age["n_ratings"]) == [0, 3, 4]
    assert list(by_age["share_users"]) == pytest.approx([0, 2 / 6, 3 / 6])
    assert list(by_age["share_ratings"]) == pytest.approx([0, 3 / 8, 4 / 8])
    empty, young, old = (by_age.iloc[position] for position in range(3))
    assert pd.isna(empty["activity_index"])
    assert pd.isna(empty["mean_rating"])
    assert pd.isna(empty["ci_low"])
    assert young["activity_index"] == pytest.approx(1.125)
    assert young["mean_rating"] == pytest.approx(4.0)
    assert young["sd_rating"] == pytest.approx(1.0)
    assert young["ci_low"] == pytest.approx(4 - 2.484138, abs=1e-5)
    assert young["ci_high"] == pytest.approx(4 + 2.484138, abs=1e-5)
    assert young["ratings_per_user"] == pytest.approx(1.5)
    assert young["median_ratings_per_user"] == pytest.approx(1.5)
    assert old["activity_index"] == pytest.approx(1.0)
    assert old["mean_rating"] == pytest.approx(3.25)
    assert old["sd_rating"] == pytest.approx(1.5)
    assert old["ratings_per_user"] == pytest.approx(4 / 3)
    assert old["median_ratings_per_user"] == pytest.approx(1.0)
    assert list(by_age.columns) == ["age_group", *engagement.MEASURES]


def test_sex_occupation_and_cross_tables(frames: dict[str, pd.DataFrame]) -> None:
    by_sex = frames["by_sex"].set_index("sex")
    assert list(by_sex.index) == ["F", "M"]
    assert by_sex.loc["F", "activity_index"] == pytest.approx(0.75)
    assert by_sex.loc["F", "mean_rating"] == pytest.approx(4.0)
    assert by_sex.loc["M", "activity_index"] == pytest.approx(1.125)
    assert by_sex.loc["M", "sd_rating"] == pytest.approx(math.sqrt(2.4))

    by_occupation = frames["by_occupation"]
    assert list(by_occupation["occupation"]) == ["student", "writer"]
    assert list(by_occupation["mean_rating"]) == pytest.approx([3.25, 3.25])

    # Every age group x sex cell appears; u6 is in no age group, so 5-17 M is
    # empty, and u4 makes 25+ F a segment with a user but no ratings.
    cross = frames["by_age_group_sex"]
    assert list(zip(cross["age_group"], cross["sex"], strict=True)) == [
        ("5-17", "F"),
        ("5-17", "M"),
        ("18-24", "F"),
        ("18-24", "M"),
        ("25+", "F"),
        ("25+", "M"),
    ]
    assert list(cross["n_users"]) == [0, 0, 1, 1, 1, 2]
    assert list(cross["n_ratings"]) == [0, 0, 2, 1, 0, 4]
    no_ratings = cross.iloc[4]
    assert no_ratings["activity_index"] == pytest.approx(0.0)
    assert pd.isna(no_ratings["mean_rating"])
    single = cross.iloc[3]
    assert single["mean_rating"] == pytest.approx(4.0)
    assert pd.isna(single["sd_rating"])
    assert pd.isna(single["ci_low"])


def test_overall_stats_and_histogram(hail: Any) -> None:
    users = prepared_users(hail)

    overall = engagement.overall_stats(users)
    # Ratings per user, sorted: [0, 1, 1, 1, 2, 3]; their median is 1.
    assert overall["n_users"] == 6
    assert overall["n_ratings"] == 8
    assert overall["n_users_without_ratings"] == 1
    assert overall["n_users_without_age_group"] == 1
    assert overall["median_ratings_per_user"] == pytest.approx(1.0)
    assert overall["min_ratings_per_user"] == 0
    assert overall["max_ratings_per_user"] == 3
    assert overall["mean_rating"] == pytest.approx(26 / 8)
    assert overall["sd_rating"] == pytest.approx(math.sqrt((100 - 26**2 / 8) / 7))

    # Ten bins per decade: 1 rating is bin 0, 2 is bin 3 (log10 2 = 0.301), 3 is
    # bin 4 (log10 3 = 0.477); u4 without ratings has no bin.
    histogram = engagement.ratings_per_user_histogram(users).collect()
    assert {row.log_bin: row.n_users for row in histogram} == {0: 3, 3: 1, 4: 1}


def test_run_writes_every_output(hail: Any, tmp_path: Path) -> None:
    user_stats(hail).write(str(tmp_path / "user_stats.ht"))
    folder = tmp_path / "engagement"
    outputs = {
        name: folder / f"{name}.{suffix}"
        for name, suffix in [
            *((name, "tsv") for name in engagement.DIMENSIONS),
            ("segments", "svg"),
            ("ratings_per_user", "svg"),
            ("summary", "json"),
        ]
    }

    summary = engagement.run(tmp_path / "user_stats.ht", AGE_BINS, outputs, min_users=2)

    assert json.loads(outputs["summary"].read_text()) == summary
    assert all(path.stat().st_size > 0 for path in outputs.values())
    header = outputs["by_age_group"].read_text().splitlines()[0].split("\t")
    assert header == ["age_group", *engagement.MEASURES]
    assert summary["settings"] == {
        "age_bins": AGE_BINS,
        "min_users_for_findings": 2,
        "interval_level": 0.95,
    }
    assert summary["n_empty_age_groups"] == 1
    # With at least 2 users: 18-24 (1.125) beats 25+ (1.0) among age groups, men
    # (1.125) beat women (0.75), and the headline names the highest index of all,
    # men aged 25+ (u3, u5): 4 of 8 ratings from 2 of 6 users, (4/8) / (2/6) = 1.5.
    assert summary["most_active"]["by_age_group"]["age_group"] == "18-24"
    assert summary["least_active"]["by_age_group"]["age_group"] == "25+"
    assert summary["most_active"]["by_sex"]["segment"] == "men"
    assert summary["headline"] == (
        "The median user rated 1 movie; men aged 25+ rate most for their number, "
        "giving 50.0% of all 8 ratings as 33.3% of users (activity index 1.50)."
    )
    assert 2 <= len(summary["findings"]) <= 4

    section = report.analysis_section(folder, "engagement", "Engagement")
    html_path = tmp_path / "report.html"
    report.write_report(
        html_path,
        template_dir=ROOT / "report" / "templates",
        sections=[section],
        config={},
        title="T",
    )
    html = html_path.read_text()
    assert '<section id="engagement">' in html
    assert summary["headline"] in html
    assert '<figure id="engagement-ratings-per-user">' in html
