"""The hand-written micro data set: three users, four movies, five ratings.

Small enough that every expected number in the tests can be worked out by hand
from the lines below.
"""

from __future__ import annotations

from pathlib import Path

from movielens_hail.readers import GENRES

MICRO_USERS = [
    "1|24|M|technician|85711",
    "2|53|F|other|02138",
    "3|23|M|writer|T8H1N",
]
MICRO_RATINGS = [
    "1\t1\t5\t881250949",
    "1\t2\t3\t881250950",
    "2\t1\t4\t881250951",
    "2\t3\t1\t881250952",
    "3\t1\t3\t881250953",
]


def item_line(movie_id: int, title: str, date: str, genres: list[str]) -> str:
    """One u.item line: id, title, dates, URL and the 19 genre flags."""
    flags = ["1" if genres == ["unknown"] else "0"]
    flags += ["1" if genre in genres else "0" for genre in GENRES]
    return "|".join([str(movie_id), title, date, "", "http://example.org", *flags])


MICRO_MOVIES = [
    item_line(1, "Toy Story (1995)", "01-Jan-1995", ["Animation", "Comedy"]),
    item_line(2, "Usual Suspects, The (1995)", "14-Aug-1995", ["Crime", "Thriller"]),
    item_line(3, "Café au lait (1993)", "01-Jan-1993", ["Comedy"]),
    item_line(4, "unknown", "", ["unknown"]),
]


def write_grouplens(
    folder: Path,
    *,
    ratings: list[str] = MICRO_RATINGS,
    movies: list[str] = MICRO_MOVIES,
    users: list[str] = MICRO_USERS,
) -> Path:
    """Write a GroupLens-layout data set (u.item in Latin-1) and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "u.data").write_text("".join(line + "\n" for line in ratings))
    (folder / "u.item").write_bytes(
        "".join(line + "\n" for line in movies).encode("latin-1")
    )
    (folder / "u.user").write_text("".join(line + "\n" for line in users))
    return folder
