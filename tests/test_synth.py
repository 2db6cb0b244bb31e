"""Tests for the synthetic MovieLens generator, checked by reading the files back.

The expectations (genre names, occupations, time range, field layout) are written
out here from the GroupLens ml-100k README rather than imported from the module
under test, so a mistake in the generator's tables cannot hide itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from movielens_hail.synth import generate

SMALL = {"users": 60, "movies": 120, "ratings": 3000}
SEED = 20240501

REAL_GENRES = [
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
ITEM_COLUMNS = [
    "movie_id",
    "title",
    "release_date",
    "video_release_date",
    "imdb_url",
    "unknown",
    *REAL_GENRES,
]
OCCUPATIONS = {
    "administrator",
    "artist",
    "doctor",
    "educator",
    "engineer",
    "entertainment",
    "executive",
    "healthcare",
    "homemaker",
    "lawyer",
    "librarian",
    "marketing",
    "none",
    "other",
    "programmer",
    "retired",
    "salesman",
    "scientist",
    "student",
    "technician",
    "writer",
}
FIRST_TIMESTAMP = 874724710
LAST_TIMESTAMP = 893286638
DATA_FILES = ("u.data", "u.item", "u.user")


def read_ratings(data_dir: Path) -> pd.DataFrame:
    """Read u.data the way the GroupLens README describes it."""
    return pd.read_csv(
        data_dir / "u.data",
        sep="\t",
        header=None,
        names=["user_id", "movie_id", "rating", "timestamp"],
    )


def read_item_fields(data_dir: Path) -> list[list[str]]:
    """Split u.item into fields by hand, decoding it strictly as Latin-1."""
    text = (data_dir / "u.item").read_bytes().decode("latin-1")
    return [line.split("|") for line in text.splitlines()]


def read_movies(data_dir: Path) -> pd.DataFrame:
    """Read u.item into a table with the README's column names."""
    movies: pd.DataFrame = pd.DataFrame(
        read_item_fields(data_dir), columns=ITEM_COLUMNS
    )
    movies["movie_id"] = movies["movie_id"].astype(int)
    return movies


def read_users(data_dir: Path) -> pd.DataFrame:
    """Read u.user, keeping ZIP codes as text so leading zeros survive."""
    return pd.read_csv(
        data_dir / "u.user",
        sep="|",
        header=None,
        names=["user_id", "age", "gender", "occupation", "zip_code"],
        dtype={"zip_code": str},
        keep_default_na=False,
    )


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small data set shared by the read-only tests below."""
    data_dir = tmp_path_factory.mktemp("synth_small")
    generate(data_dir, seed=SEED, **SMALL)
    return data_dir


def test_same_seed_writes_identical_files(tmp_path: Path) -> None:
    generate(tmp_path / "first", seed=SEED, **SMALL)
    generate(tmp_path / "second", seed=SEED, **SMALL)
    for name in DATA_FILES:
        first = (tmp_path / "first" / name).read_bytes()
        assert first == (tmp_path / "second" / name).read_bytes(), name


def test_different_seed_changes_ratings(tmp_path: Path) -> None:
    generate(tmp_path / "first", seed=SEED, **SMALL)
    generate(tmp_path / "second", seed=SEED + 1, **SMALL)
    first = (tmp_path / "first" / "u.data").read_bytes()
    assert first != (tmp_path / "second" / "u.data").read_bytes()


def test_returns_and_writes_requested_counts(tmp_path: Path) -> None:
    counts = generate(tmp_path / "nested" / "out", seed=SEED, **SMALL)

    assert counts == SMALL
    data_dir = tmp_path / "nested" / "out"
    assert len(read_ratings(data_dir)) == SMALL["ratings"]
    assert read_users(data_dir)["user_id"].tolist() == list(
        range(1, SMALL["users"] + 1)
    )
    assert read_movies(data_dir)["movie_id"].tolist() == list(
        range(1, SMALL["movies"] + 1)
    )


def test_u_data_layout(small_dir: Path) -> None:
    raw = (small_dir / "u.data").read_bytes()
    assert raw.isascii()
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    lines = raw.decode("ascii").splitlines()
    assert all(re.fullmatch(r"\d+\t\d+\t[1-5]\t\d{9}", line) for line in lines)


def test_no_user_rates_a_movie_twice(small_dir: Path) -> None:
    ratings = read_ratings(small_dir)
    assert not ratings.duplicated(["user_id", "movie_id"]).any()


def test_ratings_reference_existing_users_and_movies(small_dir: Path) -> None:
    ratings = read_ratings(small_dir)
    assert set(ratings["user_id"]) <= set(read_users(small_dir)["user_id"])
    assert set(ratings["movie_id"]) <= set(read_movies(small_dir)["movie_id"])


def test_every_user_rates_at_least_one_movie(small_dir: Path) -> None:
    ratings = read_ratings(small_dir)
    assert set(ratings["user_id"]) == set(range(1, SMALL["users"] + 1))


def test_rating_values_cover_one_to_five(small_dir: Path) -> None:
    assert sorted(read_ratings(small_dir)["rating"].unique()) == [1, 2, 3, 4, 5]


def test_timestamps_fall_in_collection_period(small_dir: Path) -> None:
    timestamps = read_ratings(small_dir)["timestamp"]
    assert timestamps.between(FIRST_TIMESTAMP, LAST_TIMESTAMP).all()


def test_u_item_has_24_latin1_fields(small_dir: Path) -> None:
    raw = (small_dir / "u.item").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("latin-1")
    assert not text.isascii()
    assert all(len(fields) == 24 for fields in read_item_fields(small_dir))


def test_genre_flags_are_zero_or_one(small_dir: Path) -> None:
    movies = read_movies(small_dir)
    flags = movies[["unknown", *REAL_GENRES]]
    assert flags.isin(["0", "1"]).all().all()


def test_every_real_genre_appears(small_dir: Path) -> None:
    movies = read_movies(small_dir)
    assert all((movies[genre] == "1").any() for genre in REAL_GENRES)


def test_exactly_one_unknown_placeholder(small_dir: Path) -> None:
    movies = read_movies(small_dir)
    placeholders = movies[movies["unknown"] == "1"]

    assert len(placeholders) == 1
    placeholder = placeholders.iloc[0]
    assert placeholder["title"] == "unknown"
    assert placeholder["release_date"] == ""
    assert placeholder["imdb_url"] == ""
    assert (placeholder[REAL_GENRES] == "0").all()


@pytest.mark.parametrize("movies", [18, 7])
def test_every_real_genre_appears_in_a_tiny_catalogue(
    tmp_path: Path, movies: int
) -> None:
    generate(tmp_path, users=3, movies=movies, ratings=12, seed=SEED)
    movies_table = read_movies(tmp_path)
    assert (movies_table["unknown"] == "1").sum() == 1
    real = movies_table[movies_table["unknown"] == "0"]
    assert all((real[genre] == "1").any() for genre in REAL_GENRES)
    assert (real[REAL_GENRES] == "1").sum(axis=1).between(1, 3).all()


def test_real_movies_have_one_to_three_genres(small_dir: Path) -> None:
    movies = read_movies(small_dir)
    real = movies[movies["unknown"] == "0"]
    genre_counts = (real[REAL_GENRES] == "1").sum(axis=1)
    assert genre_counts.between(1, 3).all()


def test_title_year_matches_release_year(small_dir: Path) -> None:
    movies = read_movies(small_dir)
    real = movies[movies["unknown"] == "0"]
    month = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
    for title, release_date, url in real[["title", "release_date", "imdb_url"]].values:
        title_match = re.search(r" \((\d{4})\)$", title)
        date_match = re.fullmatch(rf"(\d{{2}})-({month})-(\d{{4}})", release_date)
        assert title_match and date_match, (title, release_date)
        assert title_match.group(1) == date_match.group(3)
        assert 1920 <= int(date_match.group(3)) <= 1998
        assert url.startswith("http://us.imdb.com/M/title-exact?")
        assert " " not in url


def test_u_user_fields(small_dir: Path) -> None:
    users = read_users(small_dir)
    assert users["age"].between(7, 73).all()
    assert set(users["gender"]) <= {"M", "F"}
    assert set(users["occupation"]) == OCCUPATIONS
    assert (users["zip_code"].str.len() <= 5).all()


def test_full_rating_matrix(tmp_path: Path) -> None:
    generate(tmp_path, users=5, movies=6, ratings=30, seed=SEED)
    ratings = read_ratings(tmp_path)
    pairs = set(zip(ratings["user_id"], ratings["movie_id"], strict=True))
    assert pairs == {(user, movie) for user in range(1, 6) for movie in range(1, 7)}


def test_smallest_possible_data_set(tmp_path: Path) -> None:
    assert generate(tmp_path, users=1, movies=1, ratings=1, seed=SEED) == {
        "ratings": 1,
        "users": 1,
        "movies": 1,
    }
    assert read_ratings(tmp_path)[["user_id", "movie_id"]].values.tolist() == [[1, 1]]


@pytest.mark.parametrize(
    ("users", "movies", "ratings", "message"),
    [
        (0, 10, 10, "users"),
        (10, 0, 10, "movies"),
        (10, 10, 0, "ratings"),
        (10, 10, 9, "at least users"),
        (10, 10, 101, "users \\* movies"),
    ],
)
def test_impossible_counts_are_rejected(
    tmp_path: Path, users: int, movies: int, ratings: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        generate(tmp_path, users=users, movies=movies, ratings=ratings, seed=SEED)
    assert not (tmp_path / "u.data").exists()


def test_ml_100k_sized_data_set(tmp_path: Path) -> None:
    counts = generate(tmp_path, users=943, movies=1682, ratings=100_000, seed=SEED)

    assert counts == {"ratings": 100_000, "users": 943, "movies": 1682}
    ratings = read_ratings(tmp_path)
    assert len(ratings) == 100_000
    assert ratings["user_id"].nunique() == 943
    assert not ratings.duplicated(["user_id", "movie_id"]).any()
    assert len(read_users(tmp_path)) == 943
    assert len(read_movies(tmp_path)) == 1682
    assert 3.3 <= ratings["rating"].mean() <= 3.8
    # Popularity is skewed: the busiest tenth of the movies draws a large share.
    per_movie = ratings["movie_id"].value_counts()
    assert per_movie.head(168).sum() > 0.3 * len(ratings)
