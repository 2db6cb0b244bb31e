"""The raw-layout readers on the hand-written micro data set and on broken copies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from microdata import MICRO_MOVIES, MICRO_RATINGS, MICRO_USERS, write_grouplens

from movielens_hail.readers import (
    RECBOLE_HEADERS,
    MalformedInputError,
    detect_layout,
    read_movielens,
    verify_checksums,
)


def write_recbole(folder: Path) -> Path:
    """The micro data set as RecBole atomic files (UTF-8, typed header rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "ml-100k.inter": [RECBOLE_HEADERS["ratings"], *MICRO_RATINGS],
        "ml-100k.item": [
            RECBOLE_HEADERS["movies"],
            "1\tToy Story\t1995\tAnimation Comedy",
            "2\tUsual Suspects, The\t1995\tCrime Thriller",
            "3\tCafé au lait\t1993\tComedy",
            "4\tunkonwn\tunkonwn\tunknown",
        ],
        "ml-100k.user": [
            RECBOLE_HEADERS["users"],
            *(line.replace("|", "\t") for line in MICRO_USERS),
        ],
    }
    for name, lines in files.items():
        (folder / name).write_text("".join(line + "\n" for line in lines))
    return folder


def test_grouplens_layout_reads_every_field(grouplens_dir: Path) -> None:
    data = read_movielens(grouplens_dir)

    assert data.layout == "grouplens"
    assert data.rows_read == {"u.data": 5, "u.item": 4, "u.user": 3}
    assert data.ratings.to_dict("list") == {
        "user_id": [1, 1, 2, 2, 3],
        "movie_id": [1, 2, 1, 3, 1],
        "rating": [5, 3, 4, 1, 3],
        "timestamp": [881250949, 881250950, 881250951, 881250952, 881250953],
    }
    assert data.users.to_dict("list") == {
        "id": [1, 2, 3],
        "age": [24, 53, 23],
        "sex": ["M", "F", "M"],
        "occupation": ["technician", "other", "writer"],
        "zipcode": ["85711", "02138", "T8H1N"],
    }
    movies = data.movies.set_index("id")
    assert movies.loc[3, "title"] == "Café au lait (1993)"
    assert movies.loc[2, "genres"] == ("Crime", "Thriller")
    assert movies.loc[2, "release_date"] == "14-Aug-1995"
    assert movies.loc[4, "genres"] == ()
    assert pd.isna(movies.loc[4, "release_year"])
    assert movies["release_year"].tolist()[:3] == [1995, 1995, 1993]
    assert data.rejected.empty


def test_recbole_layout_gives_the_same_tables(
    grouplens_dir: Path, tmp_path: Path
) -> None:
    grouplens = read_movielens(grouplens_dir)
    recbole = read_movielens(write_recbole(tmp_path / "recbole"))

    assert recbole.layout == "recbole"
    pd.testing.assert_frame_equal(recbole.ratings, grouplens.ratings)
    pd.testing.assert_frame_equal(recbole.users, grouplens.users)
    pd.testing.assert_frame_equal(
        recbole.movies.drop(columns="release_date"),
        grouplens.movies.drop(columns="release_date"),
    )
    assert recbole.movies["release_date"].isna().all()


def test_recbole_label_in_year_field_stays_in_the_title(tmp_path: Path) -> None:
    folder = write_recbole(tmp_path / "recbole")
    item = folder / "ml-100k.item"
    item.write_text(
        item.read_text().replace(
            "3\tCafé au lait\t1993", "3\tLand Before Time III (1995)\tV"
        )
    )

    movies = read_movielens(folder).movies.set_index("id")

    assert movies.loc[3, "title"] == "Land Before Time III (1995) (V)"
    assert movies.loc[3, "release_year"] == 1995


def test_title_year_wins_over_release_date(tmp_path: Path) -> None:
    movies = [*MICRO_MOVIES[:3], "4|Odd One (1950)|01-Jan-1951||u|0" + "|0" * 18]
    movies[3] = movies[3].replace("|0|0", "|0|1", 1)
    data = read_movielens(write_grouplens(tmp_path, movies=movies))

    assert data.movies.set_index("id").loc[4, "release_year"] == 1950


def test_no_files_names_both_layouts(tmp_path: Path) -> None:
    with pytest.raises(MalformedInputError, match=r"u\.data.*ml-100k\.inter"):
        detect_layout(tmp_path)


@pytest.mark.parametrize(
    ("file", "lines", "line", "problem"),
    [
        ("u.data", ["1\t1\t5\t881250949", "1\t2\t3"], 2, "expected 4 tab-separated"),
        (
            "u.data",
            ["1\t1\t5\t881250949", "1\t2\t3\t881250949\t9"],
            2,
            "expected 4 tab-separated fields, found 5",
        ),
        ("u.data", ["1,1,5,881250949"], 1, "expected 4 tab-separated fields, found 1"),
        ("u.data", ["1\t1\t5\t881250949", "x\t2\t3\t1"], 2, "user id 'x' is not"),
        ("u.data", ["1\t1\t6\t881250949"], 1, "rating 6 is outside 1-5"),
        ("u.data", ["1\t1\t4.5\t881250949"], 1, "rating '4.5' is not 1-5"),
        ("u.data", ["9\t1\t4\t881250949"], 1, "user 9 is not in the users file"),
        ("u.data", ["1\t7\t4\t881250949"], 1, "movie 7 is not in the movies file"),
        (
            "u.data",
            ["1\t1\t4\t881250949", "2\t2\t4\t1", "1\t1\t2\t881250950"],
            3,
            "user 1 rated movie 1 already on line 1",
        ),
        ("u.data", ["1\t1\t4\t1", "", "2\t1\t4\t1"], 2, "blank line"),
        (
            "u.user",
            ["1|24|M|technician|85711", "1|30|F|other|1"],
            2,
            "user id 1 appears",
        ),
        ("u.user", ["1|240|M|technician|85711"], 1, "age 240 is outside 1-120"),
        ("u.user", ["1|24|X|technician|85711"], 1, "sex 'X' is not F or M"),
        ("u.user", ["1|24|M||85711"], 1, "occupation is empty"),
        ("u.user", ["1,24,M,technician,85711"], 1, "expected 5 pipe-separated"),
    ],
)
def test_strict_mode_names_file_line_and_problem(
    tmp_path: Path, file: str, lines: list[str], line: int, problem: str
) -> None:
    tables = {"u.data": "ratings", "u.item": "movies", "u.user": "users"}
    folder = write_grouplens(tmp_path, **{tables[file]: lines})

    with pytest.raises(MalformedInputError) as caught:
        read_movielens(folder)

    assert caught.value.path == folder / file
    assert caught.value.line == line
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{folder / file}, line {line}: ")


def test_bad_genre_flag_is_named(tmp_path: Path) -> None:
    movies = [MICRO_MOVIES[0].replace("|0|0|1|", "|0|2|1|", 1), *MICRO_MOVIES[1:]]
    with pytest.raises(MalformedInputError, match=r"line 1: genre flag .* is '2'"):
        read_movielens(write_grouplens(tmp_path, movies=movies))


def test_truncated_file_is_refused_in_both_modes(grouplens_dir: Path) -> None:
    ratings = grouplens_dir / "u.data"
    ratings.write_bytes(ratings.read_bytes()[:-8])

    for mode in ("strict", "lenient"):
        with pytest.raises(MalformedInputError, match=r"line 5: file ends mid-line"):
            read_movielens(grouplens_dir, mode=mode)


def test_empty_file_is_refused(grouplens_dir: Path) -> None:
    (grouplens_dir / "u.user").write_text("")

    with pytest.raises(MalformedInputError, match=r"u\.user: file is empty"):
        read_movielens(grouplens_dir)


def test_wrong_recbole_header_is_refused(tmp_path: Path) -> None:
    folder = write_recbole(tmp_path)
    inter = folder / "ml-100k.inter"
    inter.write_text("user\titem\trating\ttime\n" + "\n".join(MICRO_RATINGS) + "\n")

    with pytest.raises(MalformedInputError, match=r"line 1: header is 'user"):
        read_movielens(folder)


def test_undecodable_text_is_refused_with_its_line(tmp_path: Path) -> None:
    folder = write_recbole(tmp_path)
    item = folder / "ml-100k.item"
    item.write_bytes(item.read_bytes().replace("Café".encode(), b"Caf\xe9"))

    with pytest.raises(MalformedInputError, match=r"line 4: not valid utf-8 text"):
        read_movielens(folder)


def test_each_repeated_pair_names_the_line_it_first_appeared_on(
    tmp_path: Path,
) -> None:
    ratings = [
        *MICRO_RATINGS,
        "2\t3\t5\t881250960",  # line 6 repeats line 4's pair
        "1\t1\t2\t881250961",  # line 7 repeats line 1's pair
        "1\t1\t1\t881250962",  # line 8 repeats it again
    ]
    data = read_movielens(write_grouplens(tmp_path, ratings=ratings), mode="lenient")

    assert data.rejected.set_index("line")["reason"].to_dict() == {
        6: "user 2 rated movie 3 already on line 4",
        7: "user 1 rated movie 1 already on line 1",
        8: "user 1 rated movie 1 already on line 1",
    }
    assert data.ratings["rating"].tolist() == [5, 3, 4, 1, 3]


def test_lenient_mode_accounts_for_every_row(tmp_path: Path) -> None:
    ratings = [
        *MICRO_RATINGS,
        "1\t1\t2\t881250960",  # repeats line 1's pair
        "3\t9\t4\t881250961",  # movie 9 does not exist
        "3\t2\t0\t881250962",  # rating outside 1-5
        "3\t3",  # too few fields
    ]
    data = read_movielens(write_grouplens(tmp_path, ratings=ratings), mode="lenient")

    assert len(data.ratings) == 5
    assert data.rows_read["u.data"] == len(data.ratings) + len(data.rejected)
    rejected = data.rejected.set_index("line")
    assert rejected.loc[6, "reason"] == "user 1 rated movie 1 already on line 1"
    assert rejected.loc[7, "reason"] == "movie 9 is not in the movies file"
    assert rejected.loc[8, "reason"] == "rating 0 is outside 1-5"
    assert rejected.loc[9, "reason"] == "expected 4 tab-separated fields, found 2"
    assert set(data.rejected["file"]) == {"u.data"}


def test_lenient_mode_drops_ratings_of_rejected_users(tmp_path: Path) -> None:
    users = [*MICRO_USERS[:2], "3|23|Q|writer|T8H1N"]
    data = read_movielens(write_grouplens(tmp_path, users=users), mode="lenient")

    assert data.users["id"].tolist() == [1, 2]
    assert data.ratings["user_id"].tolist() == [1, 1, 2, 2]
    assert set(zip(data.rejected["file"], data.rejected["reason"], strict=True)) == {
        ("u.user", "sex 'Q' is not F or M"),
        ("u.data", "user 3 is not in the users file"),
    }


def record_checksums(folder: Path) -> None:
    """Write the source.json a fetch would have written for ``folder``."""
    files = {
        name: {"sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest()}
        for name in ("u.data", "u.item", "u.user")
    }
    (folder / "source.json").write_text(json.dumps({"files": files}))


def test_files_matching_their_checksums_pass(grouplens_dir: Path) -> None:
    record_checksums(grouplens_dir)

    verify_checksums(grouplens_dir)


def test_a_file_changed_after_the_fetch_is_named(grouplens_dir: Path) -> None:
    record_checksums(grouplens_dir)
    ratings = grouplens_dir / "u.data"
    ratings.write_bytes(ratings.read_bytes()[:-10])

    with pytest.raises(MalformedInputError, match=r"u\.data: SHA-256 .* differs"):
        verify_checksums(grouplens_dir)


def test_a_file_listed_but_missing_is_named(grouplens_dir: Path) -> None:
    record_checksums(grouplens_dir)
    (grouplens_dir / "u.user").unlink()

    with pytest.raises(MalformedInputError, match=r"u\.user: listed in source\.json"):
        verify_checksums(grouplens_dir)


def test_an_unreadable_source_record_is_named(grouplens_dir: Path) -> None:
    (grouplens_dir / "source.json").write_text("{not json")

    with pytest.raises(MalformedInputError, match=r"source\.json: unreadable"):
        verify_checksums(grouplens_dir)
