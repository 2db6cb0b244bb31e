"""The query model against plain pandas, by hand, and its errors and filter data.

The synthetic tests recompute every query with pandas straight from the raw
``u.data``, ``u.item`` and ``u.user`` files: a second route to the same answer
that shares no code with the Hail one but the ZIP database. The micro data set of
``microdata.py`` is small enough to work the answers out by hand:

* users: 1 is a 24-year-old male technician in 85711 (AZ); 2 a 53-year-old
  female "other" in 02138 (MA); 3 a 23-year-old male writer with the Canadian
  code T8H1N (no state);
* movies: 1 Toy Story (1995), Animation|Comedy; 2 Usual Suspects, The (1995),
  Crime|Thriller; 3 Café au lait (1993), Comedy; 4 unknown, no genre, no year;
* ratings (user, movie, stars): (1,1,5) (1,2,3) (2,1,4) (2,3,1) (3,1,3), so the
  mean of all ratings is 16 / 5 = 3.2 and with a prior weight of 10 the damped
  mean of a movie is (sum + 32) / (n + 10).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import zipcodes
from microdata import write_grouplens

from movielens_hail import ingest, query, synth
from movielens_hail.analyses import saved_queries
from movielens_hail.query import Criteria, QueryError, QueryTables, Vocabulary
from movielens_hail.readers import GENRES, read_movielens

PRIOR_WEIGHT = 10
AGE_BINS = [1, 18, 25, 35, 45, 50, 56]
SORT_COLUMNS = {
    "mean": (["mean_rating", "n_ratings", "movie_id"], [False, False, True]),
    "count": (["n_ratings", "mean_rating", "movie_id"], [False, False, True]),
    "damped_mean": (["damped_mean", "n_ratings", "movie_id"], [False, False, True]),
}


def write_tables(raw: Path, folder: Path) -> Path:
    """Ingest the raw files at ``raw`` into Hail tables under ``folder/hail``."""
    tables = ingest.to_hail(read_movielens(raw), folder / "staging")
    for name, table in tables.items():
        table.write(str(folder / "hail" / f"{name}.ht"))
    return folder / "hail"


def filter_data_of(
    tables: QueryTables, tmp_path: Path, **options: Any
) -> dict[str, Any]:
    """The filter data of ``tables``, with the default age groups unless
    ``options`` say otherwise."""
    options = {"age_bins": AGE_BINS, **options}
    return query.write_filter_data(
        tables, tmp_path / "filter_data.json", PRIOR_WEIGHT, **options
    )


@pytest.fixture(scope="module")
def synthetic(hail: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("query")
    raw = folder / "raw"
    synth.generate(raw, users=80, movies=120, ratings=4000, seed=5)
    hail_dir = write_tables(raw, folder)
    return {
        "folder": folder,
        "hail_dir": hail_dir,
        "tables": query.load_tables(hail_dir),
        "raw": raw_ratings(raw),
    }


@pytest.fixture(scope="module")
def micro(hail: Any, tmp_path_factory: pytest.TempPathFactory) -> QueryTables:
    folder = tmp_path_factory.mktemp("query_micro")
    return query.load_tables(write_tables(write_grouplens(folder / "raw"), folder))


def state_of(zipcode: str) -> str | None:
    """The state of a 5-digit US ZIP in the ZIP database, else None."""
    if not re.fullmatch(r"\d{5}", zipcode):
        return None
    records = zipcodes.matching(zipcode)  # type: ignore[no-untyped-call]
    return str(records[0]["state"]) if records else None


def raw_ratings(raw: Path) -> pd.DataFrame:
    """Every rating with its user and movie, read from the raw files by pandas."""
    ratings = pd.read_csv(
        raw / "u.data", sep="\t", names=["user_id", "movie_id", "rating", "timestamp"]
    )
    users = pd.read_csv(
        raw / "u.user",
        sep="|",
        names=["user_id", "age", "sex", "occupation", "zipcode"],
        dtype={"zipcode": str},
        keep_default_na=False,
    )
    users["state"] = users["zipcode"].map(state_of)
    items = pd.read_csv(
        raw / "u.item",
        sep="|",
        header=None,
        encoding="latin-1",
        dtype=str,
        keep_default_na=False,
    )
    # The last 19 columns are the genre flags, "unknown" first.
    flags = items.iloc[:, -18:].to_numpy() == "1"
    title_year = items[1].str.extract(r"\((\d{4})\)\s*$")[0]
    date_year = items[2].str.extract(r"-(\d{4})$")[0]
    movies = pd.DataFrame(
        {
            "movie_id": items[0].astype(int),
            "title": items[1],
            "release_year": pd.to_numeric(title_year.fillna(date_year)).astype("Int64"),
            "genre_set": [
                {genre for genre, flag in zip(GENRES, row, strict=True) if flag}
                for row in flags
            ],
        }
    )
    return ratings.merge(users, on="user_id").merge(movies, on="movie_id")


def pandas_query(
    raw: pd.DataFrame, criteria: Criteria, prior_weight: float
) -> pd.DataFrame:
    """The query computed with pandas alone."""
    keep = pd.Series(True, index=raw.index)
    genre_set = raw["genre_set"]
    if criteria.genres_any:
        keep &= genre_set.map(lambda genres: bool(genres & set(criteria.genres_any)))
    if criteria.genres_all:
        keep &= genre_set.map(lambda genres: set(criteria.genres_all) <= genres)
    if criteria.sex is not None:
        keep &= raw["sex"] == criteria.sex
    if criteria.age_min is not None:
        keep &= raw["age"] >= criteria.age_min
    if criteria.age_max is not None:
        keep &= raw["age"] <= criteria.age_max
    if criteria.occupations:
        keep &= raw["occupation"].isin(criteria.occupations)
    if criteria.states:
        keep &= raw["state"].isin(criteria.states)
    if criteria.zip_prefix is not None:
        keep &= raw["zipcode"].str.startswith(criteria.zip_prefix)
    year = raw["release_year"]
    if criteria.year_min is not None:
        keep &= (year >= criteria.year_min).fillna(False).astype(bool)
    if criteria.year_max is not None:
        keep &= (year <= criteria.year_max).fillna(False).astype(bool)
    if criteria.title is not None:
        needle = criteria.title.lower()
        keep &= raw["title"].map(lambda title: needle in title.lower())
    if criteria.rating_min is not None:
        keep &= raw["rating"] >= criteria.rating_min
    if criteria.rating_max is not None:
        keep &= raw["rating"] <= criteria.rating_max

    global_mean = raw["rating"].sum() / len(raw)
    movies = (
        raw[keep]
        .groupby("movie_id")
        .agg(
            title=("title", "first"),
            release_year=("release_year", "first"),
            genre_set=("genre_set", "first"),
            n_ratings=("rating", "size"),
            sum_rating=("rating", "sum"),
        )
        .reset_index()
    )
    movies = movies[movies["n_ratings"] >= criteria.min_count].copy()
    movies["mean_rating"] = movies["sum_rating"] / movies["n_ratings"]
    if criteria.min_mean is not None:
        movies = movies[movies["mean_rating"] >= criteria.min_mean].copy()
    movies["damped_mean"] = (movies["sum_rating"] + prior_weight * global_mean) / (
        movies["n_ratings"] + prior_weight
    )
    movies["genres"] = movies["genre_set"].map(
        lambda genres: "|".join(genre for genre in GENRES if genre in genres)
    )
    columns, ascending = SORT_COLUMNS[criteria.sort]
    movies = movies.sort_values(columns, ascending=ascending, kind="mergesort")
    movies = movies.head(criteria.limit).reset_index(drop=True)
    movies.insert(0, "rank", range(1, len(movies) + 1))
    return movies[query.RESULT_COLUMNS]


CASES = {
    "everything": Criteria(),
    "any_genre_by_count": Criteria(genres_any=("Comedy", "Drama"), sort="count"),
    "all_genres": Criteria(genres_all=("Drama", "Romance"), limit=50),
    "women": Criteria(sex="F", min_count=3),
    "age_range_damped": Criteria(age_min=25, age_max=40, sort="damped_mean"),
    "age_open_above": Criteria(age_min=45, limit=200),
    "occupations": Criteria(occupations=("student", "programmer")),
    "states": Criteria(states=("CA", "MA", "IL"), sort="count"),
    "zip_prefix": Criteria(zip_prefix="9", limit=200),
    "years": Criteria(year_min=1980, year_max=1995, min_count=5),
    "up_to_1970": Criteria(year_max=1970, limit=200),
    "title": Criteria(title="THE", limit=200),
    "high_ratings": Criteria(rating_min=4, sort="count"),
    "low_ratings": Criteria(rating_max=2, sort="damped_mean", limit=200),
    "three_stars": Criteria(rating_min=3, rating_max=3),
    "popular_and_good": Criteria(min_count=40, min_mean=3.5, limit=200),
    "all_movies_ties": Criteria(limit=500),
    "everything_at_once": Criteria(
        genres_any=("Drama", "Comedy", "Action"),
        sex="M",
        age_max=40,
        rating_min=2,
        year_min=1950,
        min_count=2,
        sort="damped_mean",
        limit=5,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_query_matches_pandas(synthetic: dict[str, Any], name: str) -> None:
    criteria = CASES[name]
    expected = pandas_query(synthetic["raw"], criteria, PRIOR_WEIGHT)

    result = query.run_query(synthetic["tables"], criteria, PRIOR_WEIGHT)

    assert len(expected) > 0
    assert list(result.columns) == query.RESULT_COLUMNS
    pd.testing.assert_frame_equal(
        result,
        expected,
        check_dtype=False,
        check_exact=False,
        rtol=0,
        atol=1e-9,
    )


def test_no_match_is_an_empty_frame(synthetic: dict[str, Any]) -> None:
    result = query.run_query(
        synthetic["tables"], Criteria(title="no such title"), PRIOR_WEIGHT
    )

    assert result.empty
    assert list(result.columns) == query.RESULT_COLUMNS


def test_browser_arithmetic_gives_the_same_doubles(
    synthetic: dict[str, Any], tmp_path: Path
) -> None:
    """Recompute every movie's means from filter_data.json the way the report's
    JavaScript does, in plain double arithmetic: the values must be identical,
    not merely close."""
    data = filter_data_of(synthetic["tables"], tmp_path)
    sums: dict[int, list[int]] = {}
    for packed in data["ratings"]["packed"]:
        movie_id = data["movies"]["id"][packed // 8]
        sums.setdefault(movie_id, [0, 0])
        sums[movie_id][0] += 1
        sums[movie_id][1] += packed % 8
    prior = data["prior_weight"] * data["global_mean"]

    result = query.run_query(synthetic["tables"], Criteria(limit=1000), PRIOR_WEIGHT)

    assert len(result) == len(sums)
    for movie in result.to_dict("records"):
        n, total = sums[movie["movie_id"]]
        assert movie["n_ratings"] == n
        assert movie["mean_rating"] == total / n
        assert movie["damped_mean"] == (total + prior) / (n + data["prior_weight"])


def expect(
    movie_id: int, n: int, total: int, title: str, year: int | None, genres: str
) -> dict[str, Any]:
    """One expected result row from a movie's matching ratings, worked by hand."""
    return {
        "movie_id": movie_id,
        "title": title,
        "release_year": year,
        "genres": genres,
        "n_ratings": n,
        "mean_rating": total / n,
        "damped_mean": (total + 32) / (n + 10),
    }


TOY_STORY = (1, "Toy Story (1995)", 1995, "Animation|Comedy")
SUSPECTS = (2, "Usual Suspects, The (1995)", 1995, "Crime|Thriller")
CAFE = (3, "Café au lait (1993)", 1993, "Comedy")


def row(movie: tuple[int, str, int, str], n: int, total: int) -> dict[str, Any]:
    movie_id, title, year, genres = movie
    return expect(movie_id, n, total, title, year, genres)


MICRO_CASES: list[tuple[Criteria, list[dict[str, Any]]]] = [
    # Every rating: Toy Story 5+4+3, the Suspects 3, Café 1; the unrated movie 4
    # has no row.
    (Criteria(), [row(TOY_STORY, 3, 12), row(SUSPECTS, 1, 3), row(CAFE, 1, 1)]),
    # Comedy by damped mean: Toy Story 44/13 = 3.38, Café 33/11 = 3.
    (
        Criteria(genres_any=("Comedy",), sort="damped_mean"),
        [row(TOY_STORY, 3, 12), row(CAFE, 1, 1)],
    ),
    # Men of 30 or under are users 1 and 3: Toy Story 5+3, the Suspects 3.
    (
        Criteria(sex="M", age_max=30),
        [row(TOY_STORY, 2, 8), row(SUSPECTS, 1, 3)],
    ),
    # AZ and MA are users 1 and 2; "CAFÉ" matches "Café" ignoring case.
    (Criteria(states=("AZ", "MA"), title="CAFÉ"), [row(CAFE, 1, 1)]),
    # Only the Canadian user 3's code starts with T8.
    (Criteria(zip_prefix="T8"), [row(TOY_STORY, 1, 3)]),
    # Ratings of 3 or less: Toy Story 3 and the Suspects 3 tie on mean and count,
    # so the lower id comes first; Café 1 is last.
    (
        Criteria(rating_max=3),
        [row(TOY_STORY, 1, 3), row(SUSPECTS, 1, 3), row(CAFE, 1, 1)],
    ),
    # Released in or after 1994: movie 4 has no year and Café is from 1993.
    (
        Criteria(year_min=1994, sort="count"),
        [row(TOY_STORY, 3, 12), row(SUSPECTS, 1, 3)],
    ),
    # Two or more ratings with a mean of at least 4: Toy Story only.
    (Criteria(min_count=2, min_mean=4.0), [row(TOY_STORY, 3, 12)]),
    # Both Comedy and Animation, from a technician: user 1's 5 for Toy Story.
    (
        Criteria(genres_all=("Comedy", "Animation"), occupations=("technician",)),
        [row(TOY_STORY, 1, 5)],
    ),
    (Criteria(limit=1), [row(TOY_STORY, 3, 12)]),
]


@pytest.mark.parametrize(("criteria", "rows"), MICRO_CASES)
def test_micro_queries_by_hand(
    micro: QueryTables, criteria: Criteria, rows: list[dict[str, Any]]
) -> None:
    result = query.run_query(micro, criteria, PRIOR_WEIGHT)

    records = result.drop(columns="rank").to_dict("records")
    assert list(result["rank"]) == list(range(1, len(rows) + 1))
    assert [
        {**record, "release_year": int(record["release_year"])} for record in records
    ] == rows


def test_micro_tables_know_their_vocabulary(micro: QueryTables) -> None:
    assert micro.vocabulary == Vocabulary(
        occupations=("other", "technician", "writer"), states=("AZ", "MA")
    )
    assert (micro.n_ratings, micro.global_mean) == (5, 3.2)


def test_run_query_checks_against_the_data(micro: QueryTables) -> None:
    with pytest.raises(QueryError) as caught:
        query.run_query(micro, Criteria(occupations=("astronaut",)), PRIOR_WEIGHT)

    assert str(caught.value) == (
        "occupations: unknown 'astronaut'; the occupations in the data are other, "
        "technician, writer"
    )


GENRE_LIST = ", ".join(GENRES)
VOCABULARY = Vocabulary(occupations=("other", "writer"), states=("AZ", "MA"))


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        (
            Criteria(genres_any=("Comdy",)),
            f"genres_any: unknown 'Comdy'; the genres are {GENRE_LIST}",
        ),
        (
            Criteria(genres_all=("Drama", "unknown")),
            f"genres_all: unknown 'unknown'; the genres are {GENRE_LIST}",
        ),
        (Criteria(sex="X"), "sex: 'X' is not one of F, M"),
        (
            Criteria(age_min=40, age_max=30),
            "age range 40-30 is empty: age_min must not exceed age_max",
        ),
        (
            Criteria(age_min=-1),
            "age_min: -1 is negative; ages are whole numbers from 0",
        ),
        (
            Criteria(age_max=-5),
            "age_max: -5 is negative; ages are whole numbers from 0",
        ),
        (
            Criteria(occupations=("writer", "astronaut")),
            "occupations: unknown 'astronaut'; the occupations in the data are "
            "other, writer",
        ),
        (
            Criteria(states=("ZZ",)),
            "states: unknown 'ZZ'; the states in the data are AZ, MA",
        ),
        (
            Criteria(year_min=2000, year_max=1990),
            "year range 2000-1990 is empty: year_min must not exceed year_max",
        ),
        (Criteria(rating_min=0), "rating_min: 0 is outside 1-5"),
        (Criteria(rating_max=6), "rating_max: 6 is outside 1-5"),
        (
            Criteria(rating_min=5, rating_max=3),
            "rating range 5-3 is empty: rating_min must not exceed rating_max",
        ),
        (
            Criteria(min_count=0),
            "min_count: 0 is below 1; a movie needs at least 1 matching rating",
        ),
        (Criteria(min_mean=float("nan")), "min_mean: nan is not a number of stars"),
        (Criteria(limit=0), "limit: 0 is below 1; list at least 1 movie"),
        (
            Criteria(sort="best"),
            "sort: 'best' is not one of mean, count, damped_mean",
        ),
    ],
)
def test_invalid_criteria_are_named(criteria: Criteria, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        query.validate(criteria, VOCABULARY)

    assert caught.value.problems == [message]
    assert isinstance(caught.value, ValueError)


def test_every_problem_is_reported_at_once() -> None:
    criteria = Criteria(sex="x", limit=0, rating_min=9, states=("ZZ",))

    assert len(query.problems(criteria, VOCABULARY)) == 4
    # Without the data's vocabulary, states are not checked.
    assert len(query.problems(criteria)) == 3


def test_criteria_from_mapping() -> None:
    criteria = query.criteria_from_mapping(
        {
            "genres_any": ["Comedy"],
            "sex": "F",
            "age_min": 18,
            "min_mean": 4,
            "title": None,
        }
    )

    assert criteria == Criteria(
        genres_any=("Comedy",), sex="F", age_min=18, min_mean=4.0
    )
    assert query.criteria_to_mapping(criteria) == {
        "genres_any": ["Comedy"],
        "sex": "F",
        "age_min": 18,
        "min_mean": 4.0,
    }
    assert query.criteria_from_mapping({}) == Criteria()


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"genre": ["Comedy"], "limt": 3},
            "unknown criteria 'genre', 'limt'; the criteria are "
            + ", ".join(query.CRITERIA_KEYS),
        ),
        ({"genres_any": "Comedy"}, "genres_any: 'Comedy' is not a list of names"),
        ({"age_min": "18"}, "age_min: '18' is not a whole number"),
        ({"limit": True}, "limit: True is not a whole number"),
        ({"min_mean": "high"}, "min_mean: 'high' is not a number"),
        ({"sex": 1}, "sex: 1 is not a string"),
        ({"sort": None}, "sort: None is not a string"),
    ],
)
def test_bad_mappings_are_named(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(QueryError) as caught:
        query.criteria_from_mapping(mapping)

    assert caught.value.problems == [message]


@pytest.mark.parametrize(
    ("criteria", "description"),
    [
        (Criteria(), "top 20 by mean rating"),
        (
            Criteria(
                genres_any=("Comedy",), sex="F", age_min=18, age_max=29, min_count=20
            ),
            "genre Comedy; women; aged 18-29; at least 20 matching ratings; "
            "top 20 by mean rating",
        ),
        (
            Criteria(
                genres_all=("Drama", "War"),
                year_max=1959,
                title="the",
                states=("CA", "NY"),
                rating_min=5,
                sort="count",
                limit=5,
            ),
            "genres Drama and War; released 1959 or earlier; title contains 'the'; "
            "states CA or NY; ratings of 5 stars; top 5 by number of ratings",
        ),
        (
            Criteria(
                age_min=60,
                occupations=("retired",),
                zip_prefix="9",
                rating_min=1,
                rating_max=2,
                min_mean=1.5,
                sort="damped_mean",
            ),
            "aged 60 or over; occupation retired; ZIP code starting '9'; "
            "ratings of 1-2 stars; mean at least 1.5; top 20 by damped mean",
        ),
        (
            Criteria(rating_min=3, year_min=1990, year_max=1990, age_max=17),
            "released 1990; aged 17 or under; ratings of 3-5 stars; top 20 by mean "
            "rating",
        ),
        (
            Criteria(
                rating_max=1, genres_any=("Action", "War"), occupations=("a", "b")
            ),
            "genres Action or War; occupations a or b; ratings of 1 star; top 20 by "
            "mean rating",
        ),
    ],
)
def test_describe(criteria: Criteria, description: str) -> None:
    assert query.describe(criteria) == description


def test_filter_data_layout(micro: QueryTables, tmp_path: Path) -> None:
    path = tmp_path / "filter_data.json"

    written = query.write_filter_data(micro, path, PRIOR_WEIGHT, age_bins=AGE_BINS)

    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data == written
    assert text == json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"
    assert data == {
        "prior_weight": 10,
        "global_mean": 3.2,
        "genres": list(GENRES),
        "occupations": ["other", "technician", "writer"],
        "states": ["AZ", "MA"],
        "movies": {
            "id": [1, 2, 3, 4],
            "title": [
                "Toy Story (1995)",
                "Usual Suspects, The (1995)",
                "Café au lait (1993)",
                "unknown",
            ],
            "year": [1995, 1995, 1993, None],
            # Animation (bit 2) + Comedy (4); Crime (5) + Thriller (15); Comedy.
            "genres": [4 + 16, 32 + 32768, 16, 0],
        },
        "users": {
            "id": [1, 2, 3],
            "age": [24, 53, 23],
            "sex": ["M", "F", "M"],
            "occupation": [1, 0, 2],
            "zipcode": ["85711", "02138", "T8H1N"],
            "state": ["AZ", "MA", ""],
        },
        # User 1: movie 1 (index 0) 5, movie 2 (index 1) 3; user 2: movie 1 4,
        # movie 3 (index 2) 1; user 3: movie 1 3.
        "ratings": {"per_user": [2, 2, 1], "packed": [5, 11, 4, 17, 3]},
        "aggregates": None,
        "movies_left_out": None,
    }


def decode(data: dict[str, Any]) -> list[tuple[int, int, int]]:
    """The (user, movie, rating) triples that filter data packs."""
    packed = iter(data["ratings"]["packed"])
    return [
        (user, data["movies"]["id"][value // 8], value % 8)
        for user, count in zip(
            data["users"]["id"], data["ratings"]["per_user"], strict=True
        )
        for value in (next(packed) for _ in range(count))
    ]


def test_filter_data_decodes_to_the_ratings(
    synthetic: dict[str, Any], tmp_path: Path
) -> None:
    data = filter_data_of(synthetic["tables"], tmp_path)
    raw = synthetic["raw"].sort_values(["user_id", "movie_id"])

    assert sum(data["ratings"]["per_user"]) == len(raw) == 4000
    assert decode(data) == list(
        zip(raw["user_id"], raw["movie_id"], raw["rating"], strict=True)
    )
    assert data["global_mean"] == raw["rating"].sum() / 4000
    users = raw.drop_duplicates("user_id").set_index("user_id")
    states = [data["users"]["state"][data["users"]["id"].index(u)] for u in users.index]
    assert states == [state or "" for state in users["state"]]


def filled(counts: list[int]) -> dict[int, int]:
    """The non-empty cells of a flat list of counts, by position."""
    return {cell: n for cell, n in enumerate(counts) if n}


# The micro data set's ratings as cells of the count layout: 2 sexes x 7 age
# groups x 5 ratings per movie, one cell at ((movie * 2 + sex) * 7 + group) * 5
# + rating - 1, movies 0-based. User 1 (M, 24, group 18-24) rated movie 1 5 and
# movie 2 3; user 2 (F, 53, group 50-55) movie 1 4 and movie 3 1; user 3 (M, 23)
# movie 1 3.
MICRO_CELLS = {
    (0 + 1) * 35 + 1 * 5 + 4: 1,
    (2 + 1) * 35 + 1 * 5 + 2: 1,
    (0 + 0) * 35 + 5 * 5 + 3: 1,
    (4 + 0) * 35 + 5 * 5 + 0: 1,
    (0 + 1) * 35 + 1 * 5 + 2: 1,
}
MOVIE_3_CELL = (4 + 0) * 35 + 5 * 5 + 0


def test_too_many_ratings_are_embedded_as_counts_per_sex_and_age_group(
    micro: QueryTables, tmp_path: Path
) -> None:
    data = filter_data_of(micro, tmp_path, max_embedded_ratings=4)

    assert data["ratings"] is None
    assert data["users"] is None
    assert data["movies"]["id"] == [1, 2, 3, 4]
    counts = data["aggregates"].pop("counts")
    assert data["aggregates"] == {
        "n_ratings": 5,
        "limit": 4,
        "sexes": ["F", "M"],
        "age_edges": AGE_BINS,
        "age_groups": ["1-17", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"],
        "ratings": [1, 2, 3, 4, 5],
    }
    assert len(counts) == 4 * 70
    assert filled(counts) == MICRO_CELLS


def test_too_many_movies_keep_the_most_rated(
    micro: QueryTables, tmp_path: Path
) -> None:
    # Movie 1 has 3 ratings, movies 2 and 3 one each, movie 4 none: movie 2
    # wins the tie on its lower id.
    data = filter_data_of(micro, tmp_path, max_embedded_movies=2)

    assert data["movies"]["id"] == [1, 2]
    assert data["movies_left_out"] == {"n_movies": 2, "n_ratings": 1, "most_ratings": 1}
    assert data["ratings"] == {"per_user": [2, 1, 1], "packed": [5, 11, 4, 3]}


def test_too_many_movies_and_ratings_count_the_kept_movies_alone(
    micro: QueryTables, tmp_path: Path
) -> None:
    data = filter_data_of(
        micro, tmp_path, max_embedded_ratings=3, max_embedded_movies=2
    )

    assert data["ratings"] is None
    assert data["aggregates"]["n_ratings"] == 4
    assert len(data["aggregates"]["counts"]) == 2 * 70
    assert filled(data["aggregates"]["counts"]) == {
        cell: n for cell, n in MICRO_CELLS.items() if cell != MOVIE_3_CELL
    }


def group_counts(aggregates: dict[str, Any], movie_ids: list[int]) -> pd.Series:
    """The non-empty cells of the filter data's counts, decoded by the layout
    its docstring states, indexed by (movie_id, sex, age group, rating)."""
    shape = (
        len(movie_ids),
        len(aggregates["sexes"]),
        len(aggregates["age_groups"]),
        len(aggregates["ratings"]),
    )
    cells = {}
    for position, n in enumerate(aggregates["counts"]):
        if n:
            m, s, a, r = np.unravel_index(position, shape)
            key = (
                movie_ids[m],
                aggregates["sexes"][s],
                aggregates["age_groups"][a],
                aggregates["ratings"][r],
            )
            cells[key] = n
    return pd.Series(cells).sort_index()


def test_counts_per_sex_and_age_group_match_pandas(
    synthetic: dict[str, Any], tmp_path: Path
) -> None:
    # A first edge above the youngest age gives those below it a group too.
    data = filter_data_of(
        synthetic["tables"], tmp_path, age_bins=[20, 40], max_embedded_ratings=3999
    )
    raw = synthetic["raw"]
    group = pd.cut(
        raw["age"], [1, 20, 40, 200], right=False, labels=["1-19", "20-39", "40+"]
    )
    expected = raw.groupby(
        [raw["movie_id"], raw["sex"], group.astype(str), raw["rating"]]
    ).size()

    aggregates = data["aggregates"]
    assert aggregates["age_groups"] == ["1-19", "20-39", "40+"]
    assert len(aggregates["counts"]) == 120 * 2 * 3 * 5
    assert sum(aggregates["counts"]) == 4000
    assert group_counts(aggregates, data["movies"]["id"]).to_dict() == (
        expected.sort_index().to_dict()
    )


def test_missing_tables_are_named(tmp_path: Path) -> None:
    (tmp_path / "movies.ht").mkdir()

    with pytest.raises(query.TablesNotFoundError) as caught:
        query.load_tables(tmp_path)

    assert str(caught.value) == (
        f"{tmp_path} does not hold the Hail tables ratings.ht, users.ht; run "
        "`snakemake --cores 2` first to make them, or name the folder that holds "
        "them"
    )


SAVED: dict[str, Any] = {
    "activate": True,
    "max_embedded_ratings": 500_000,
    "queries": {
        "comedy_women": {"genres_any": ["Comedy"], "sex": "F", "limit": 5},
        "californians": {"states": ["CA"], "min_count": 2, "sort": "damped_mean"},
        "nothing": {"title": "no such title"},
    },
}


def saved_outputs(folder: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    outputs = {
        "filter_data": folder / "filter_data.json",
        "summary": folder / "summary.json",
    }
    return outputs, {name: folder / f"{name}.tsv" for name in SAVED["queries"]}


def table_paths(hail_dir: Path) -> dict[str, Path]:
    return {name: hail_dir / f"{name}.ht" for name in ("ratings", "movies", "users")}


def test_saved_queries_write_one_table_each_and_a_summary(
    synthetic: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outputs, query_outputs = saved_outputs(tmp_path)
    caplog.set_level("INFO")

    summary = saved_queries.run(
        table_paths(synthetic["hail_dir"]),
        SAVED,
        PRIOR_WEIGHT,
        AGE_BINS,
        outputs,
        query_outputs,
    )

    assert json.loads(outputs["summary"].read_text()) == summary
    for name, mapping in SAVED["queries"].items():
        criteria = query.criteria_from_mapping(mapping)
        expected = pandas_query(synthetic["raw"], criteria, PRIOR_WEIGHT)
        table = pd.read_csv(query_outputs[name], sep="\t", keep_default_na=False)
        assert list(table.columns) == query.RESULT_COLUMNS
        assert list(table["movie_id"]) == list(expected["movie_id"])
        assert list(table["mean_rating"]) == list(expected["mean_rating"].round(4))
    comedy = pandas_query(
        synthetic["raw"],
        query.criteria_from_mapping(SAVED["queries"]["comedy_women"]),
        10,
    )
    top = comedy.iloc[0]
    ratings = "rating" if top["n_ratings"] == 1 else "ratings"
    assert summary["headline"] == (
        f"3 saved queries; comedy_women's top movie is {top['title']} (mean "
        f"{top['mean_rating']:.2f} over {top['n_ratings']} {ratings}); 1 matches "
        "no movie."
    )
    assert [entry["name"] for entry in summary["queries"]] == list(SAVED["queries"])
    assert summary["queries"][0]["criteria"] == {
        "genres_any": ["Comedy"],
        "sex": "F",
        "limit": 5,
    }
    assert (
        summary["queries"][0]["description"]
        == "genre Comedy; women; top 5 by mean rating"
    )
    assert summary["queries"][0]["n_rows"] == 5
    assert summary["queries"][0]["top_title"] == top["title"]
    assert summary["queries"][2]["n_rows"] == 0
    assert summary["queries"][2]["top_title"] is None
    assert summary["findings"][2] == (
        "nothing (title contains 'no such title'; top 20 by mean rating): 0 movies "
        "from 0 matching ratings."
    )
    assert summary["n_ratings"] == 4000
    assert summary["settings"] == {
        key: value for key, value in SAVED.items() if key != "activate"
    }
    assert summary["live_filter"]["holds"] == "ratings"
    assert json.loads(outputs["filter_data"].read_text())["ratings"] is not None
    n_women_comedy = int(
        (
            (synthetic["raw"]["sex"] == "F")
            & synthetic["raw"]["genre_set"].map(lambda genres: "Comedy" in genres)
        ).sum()
    )
    assert (
        f"saved_queries: comedy_women: 5 movies from {n_women_comedy} matching ratings"
        in caplog.messages
    )


def test_an_invalid_saved_query_stops_before_any_output(
    synthetic: dict[str, Any], tmp_path: Path
) -> None:
    settings = {
        **SAVED,
        "queries": {
            "fine": {"sex": "M"},
            "bad_state": {"states": ["ZZ"], "sort": "best"},
            "bad_key": {"genre": ["Comedy"]},
        },
    }
    outputs, _ = saved_outputs(tmp_path)
    query_outputs = {name: tmp_path / f"{name}.tsv" for name in settings["queries"]}

    with pytest.raises(QueryError) as caught:
        saved_queries.run(
            table_paths(synthetic["hail_dir"]),
            settings,
            PRIOR_WEIGHT,
            AGE_BINS,
            outputs,
            query_outputs,
        )

    problems = caught.value.problems
    assert problems[0].startswith("saved query bad_state: states: unknown 'ZZ'; ")
    assert problems[1] == (
        "saved query bad_state: sort: 'best' is not one of mean, count, damped_mean"
    )
    assert problems[2].startswith("saved query bad_key: unknown criteria 'genre'")
    assert list(tmp_path.iterdir()) == []


def test_too_many_ratings_make_the_live_filter_coarser(
    synthetic: dict[str, Any], tmp_path: Path
) -> None:
    settings = {
        **SAVED,
        "max_embedded_ratings": 100,
        "max_embedded_movies": 100,
        "queries": {},
    }
    outputs, _ = saved_outputs(tmp_path)
    per_movie = (
        synthetic["raw"]["movie_id"].value_counts().reindex(range(1, 121), fill_value=0)
    )
    ranked = per_movie.sort_index().sort_values(ascending=False, kind="stable")
    left_out = ranked.iloc[100:]

    summary = saved_queries.run(
        table_paths(synthetic["hail_dir"]),
        settings,
        PRIOR_WEIGHT,
        [1, 30],
        outputs,
        {},
    )

    data = json.loads(outputs["filter_data"].read_text())
    assert data["ratings"] is None
    assert data["aggregates"]["age_groups"] == ["1-29", "30+"]
    assert data["movies"]["id"] == sorted(ranked.index[:100])
    most = int(left_out.max())
    assert summary["live_filter"] == {
        "holds": "aggregates",
        "n_ratings": 4000 - int(left_out.sum()),
        "limit": 100,
        "n_movies": 100,
        "movie_limit": 100,
        "movies_left_out": {
            "n_movies": 20,
            "n_ratings": int(left_out.sum()),
            "most_ratings": most,
        },
        "age_groups": ["1-29", "30+"],
    }
    assert summary["headline"].startswith("No saved queries are set")
    assert summary["findings"] == [
        "The report's live filter holds rating counts per movie, sex and age "
        f"group, not the {4000 - int(left_out.sum()):,} ratings of the 100 most "
        "rated movies, which exceed saved_queries.max_embedded_ratings (100): it "
        "picks ages by group (1-29, 30+) and cannot filter by occupation, state or "
        "ZIP code; the saved queries and movielens-hail query answer those "
        "exactly. It leaves out 20 movies beyond saved_queries.max_embedded_movies "
        f"(100), with at most {most} ratings each, so it gives the command's "
        f"answer when at least {most + 1} matching ratings are asked for."
    ]


def summary_record(name: str, top: dict[str, Any] | None) -> dict[str, Any]:
    return {"name": name, "top": top}


@pytest.mark.parametrize(
    ("records", "headline"),
    [
        ([], "No saved queries are set in config.yaml (saved_queries.queries)."),
        ([summary_record("a", None)], "1 saved query; no movie matches it."),
        (
            [summary_record("a", None), summary_record("b", None)],
            "2 saved queries; no movie matches any of them.",
        ),
        (
            [
                summary_record("a", None),
                summary_record(
                    "b", {"title": "Babe (1995)", "mean_rating": 4.516, "n_ratings": 1}
                ),
                summary_record("c", None),
            ],
            "3 saved queries; b's top movie is Babe (1995) (mean 4.52 over 1 "
            "rating); 2 match no movie.",
        ),
    ],
)
def test_saved_queries_headline(records: list[dict[str, Any]], headline: str) -> None:
    assert saved_queries.headline(records) == headline
