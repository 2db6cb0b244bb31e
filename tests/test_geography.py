"""Geography: ZIP parsing, the ZIP lookup and its join, regional aggregates and
genre lift, the maps, and the whole run, each against values worked out by hand.

Parsing, the lookup and the maps are plain Python; the Hail tests build their
tables inline, already located where that keeps the arithmetic visible.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd  # type: ignore[import-untyped]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from shapely.geometry import box  # type: ignore[import-untyped]

from movielens_hail import stats, zip_codes
from movielens_hail.analyses import geography

OUTPUT_FILES = {
    "states": "states.tsv",
    "zip3": "zip3.tsv",
    "unmatched": "unmatched_zipcodes.tsv",
    "users_map": "users_map.svg",
    "mean_map": "mean_map.svg",
    "zip_points": "zip_points.svg",
    "summary": "summary.json",
}


@pytest.mark.parametrize(
    ("raw", "kind", "zip5"),
    [
        ("02138", "us", "02138"),
        ("00501", "us", "00501"),
        (" 10003 ", "us", "10003"),
        ("55414-1234", "us", "55414"),
        ("554141234", "us", "55414"),
        ("00000", "us", "00000"),
        ("T8H1N", "canadian", None),
        ("V3N4P", "canadian", None),
        ("L9G2B", "canadian", None),
        ("E2A4H", "canadian", None),
        ("t8h 1n5", "canadian", None),
        ("D2A4H", "invalid", None),
        ("123", "invalid", None),
        ("9999", "invalid", None),
        ("1234567", "invalid", None),
        ("55414-12", "invalid", None),
        ("", "invalid", None),
        (None, "invalid", None),
    ],
)
def test_parse_zipcode(raw: str | None, kind: str, zip5: str | None) -> None:
    # D never starts a Canadian postal code; "00000" is well-formed, and only the
    # lookup finds that no place has it.
    assert zip_codes.parse_zipcode(raw) == (kind, zip5)


def test_lookup_finds_known_places_and_keeps_the_rest() -> None:
    rows = geography.lookup_zipcodes(
        ["94043", "02138", "10003", "02138-1234", "00000", "T8H1N", "123", "02138"]
    )
    by_code = {row["zipcode"]: row for row in rows}

    assert [row["zipcode"] for row in rows] == sorted(by_code)
    assert len(rows) == 7
    cambridge = by_code["02138"]
    assert (cambridge["kind"], cambridge["city"], cambridge["state"]) == (
        "us",
        "Cambridge",
        "MA",
    )
    assert cambridge["county"] == "Middlesex County"
    assert cambridge["zip3"] == "021"
    assert cambridge["lat"] == pytest.approx(42.38, abs=0.05)
    assert cambridge["long"] == pytest.approx(-71.13, abs=0.05)
    assert by_code["02138-1234"]["zip5"] == "02138"
    assert by_code["02138-1234"]["city"] == "Cambridge"
    assert (by_code["94043"]["state"], by_code["94043"]["city"]) == (
        "CA",
        "Mountain View",
    )
    assert by_code["10003"]["state"] == "NY"
    assert by_code["00000"]["kind"] == "unknown"
    assert by_code["00000"]["state"] is None
    assert by_code["T8H1N"]["kind"] == "canadian"
    assert by_code["123"]["kind"] == "invalid"


def user_stats_table(hl: Any, zips: list[tuple[int, str, int]]) -> Any:
    """A user_stats-like table: (user_id, zipcode, n_ratings)."""
    return hl.Table.parallelize(
        [{"user_id": user, "zipcode": code, "n_ratings": n} for user, code, n in zips],
        hl.tstruct(user_id=hl.tint32, zipcode=hl.tstr, n_ratings=hl.tint64),
        key="user_id",
    )


def test_users_join_their_place_and_codes_are_counted(hail: Any) -> None:
    """Users 1 to 3 have known ZIPs (user 3's a ZIP+4, counted under its 5-digit
    ZIP); users 4 and 5 share a Canadian code (3 + 4 ratings), user 6 gave "123"
    (1 rating) and user 7 "00000" (no rating)."""
    hl = hail
    user_stats = user_stats_table(
        hl,
        [
            (1, "02138", 10),
            (2, "94043", 20),
            (3, "10003-2001", 30),
            (4, "T8H1N", 3),
            (5, "T8H1N", 4),
            (6, "123", 1),
            (7, "00000", 0),
        ],
    )
    lookup = geography.lookup_zipcodes(
        ["02138", "94043", "10003-2001", "T8H1N", "123", "00000"]
    )
    users = geography.locate_users(user_stats, geography.lookup_table(lookup))

    rows = {row.user_id: row for row in users.collect()}
    assert (rows[1].state, rows[1].city, rows[1].zip3) == ("MA", "Cambridge", "021")
    assert (rows[2].state, rows[2].zip5) == ("CA", "94043")
    assert (rows[3].state, rows[3].zip5, rows[3].kind) == ("NY", "10003", "us")
    assert [rows[user].kind for user in (4, 5, 6, 7)] == [
        "canadian",
        "canadian",
        "invalid",
        "unknown",
    ]
    assert all(rows[user].state is None for user in (4, 5, 6, 7))

    counts = geography.zipcode_counts(users).collect()
    assert [
        (row.zipcode, row.kind, row.state, row.n_users, row.n_ratings) for row in counts
    ] == [
        ("00000", "unknown", None, 1, 0),
        ("02138", "us", "MA", 1, 10),
        ("10003", "us", "NY", 1, 30),
        ("123", "invalid", None, 1, 1),
        ("94043", "us", "CA", 1, 20),
        ("T8H1N", "canadian", None, 2, 7),
    ]


def located_users(hl: Any) -> Any:
    """Users already located. ZIP3 999 holds one user in AK and one in WA, a tie
    its main state breaks alphabetically (AK). User 4 has no rating; user 7 has
    no US ZIP."""
    rows = [
        (1, "02138", "021", "MA"),
        (2, "02139", "021", "MA"),
        (3, "94043", "940", "CA"),
        (4, "94043", "940", "CA"),
        (5, "99901", "999", "AK"),
        (6, "99902", "999", "WA"),
        (7, None, None, None),
    ]
    return hl.Table.parallelize(
        [
            {"user_id": user, "zip5": zip5, "zip3": zip3, "state": state}
            for user, zip5, zip3, state in rows
        ],
        hl.tstruct(user_id=hl.tint32, zip5=hl.tstr, zip3=hl.tstr, state=hl.tstr),
        key="user_id",
    )


def located_ratings(hl: Any, rows: list[tuple[int, int, str, str, list[str]]]) -> Any:
    """Ratings already located: (user_id, rating, state, zip3, genres)."""
    return hl.Table.parallelize(
        [
            {
                "user_id": user,
                "movie_id": movie,
                "rating": rating,
                "state": state,
                "zip3": zip3,
                "genres": genres,
            }
            for movie, (user, rating, state, zip3, genres) in enumerate(rows)
        ],
        hl.tstruct(
            user_id=hl.tint32,
            movie_id=hl.tint32,
            rating=hl.tint32,
            state=hl.tstr,
            zip3=hl.tstr,
            genres=hl.tarray(hl.tstr),
        ),
        key=["user_id", "movie_id"],
    )


def test_region_stats_by_hand(hail: Any) -> None:
    """MA: ratings 5, 3 (user 1) and 4 (user 2): n 3, mean 4, sd 1, 1.5 per user.
    CA: rating 2 from user 3, none from user 4: mean 2, no sd, 0.5 per user.
    ZIP3 999: ratings 1 (AK) and 5 (WA): mean 3, sd sqrt(8)."""
    hl = hail
    ratings = located_ratings(
        hl,
        [
            (1, 5, "MA", "021", []),
            (1, 3, "MA", "021", []),
            (2, 4, "MA", "021", []),
            (3, 2, "CA", "940", []),
            (5, 1, "AK", "999", []),
            (6, 5, "WA", "999", []),
        ],
    )
    users = located_users(hl)

    states = {
        row.state: row
        for row in geography.region_stats(users, ratings, "state").collect()
    }
    assert sorted(states) == ["AK", "CA", "MA", "WA"]
    massachusetts = states["MA"]
    assert (massachusetts.n_users, massachusetts.n_zipcodes) == (2, 2)
    assert (massachusetts.n_ratings, massachusetts.mean_rating) == (3, 4.0)
    assert massachusetts.sd_rating == pytest.approx(1.0)
    assert massachusetts.ratings_per_user == 1.5
    california = states["CA"]
    assert (california.n_users, california.n_zipcodes, california.n_ratings) == (
        2,
        1,
        1,
    )
    assert california.mean_rating == 2.0
    assert california.sd_rating is None
    assert california.ratings_per_user == 0.5

    regions = {
        row.zip3: row
        for row in geography.region_stats(users, ratings, "zip3").collect()
    }
    assert {code: row.main_state for code, row in regions.items()} == {
        "021": "MA",
        "940": "CA",
        "999": "AK",
    }
    assert regions["999"].mean_rating == 3.0
    assert regions["999"].sd_rating == pytest.approx(math.sqrt(8))


def test_genre_lift_and_top_genre_by_hand(hail: Any) -> None:
    """Genre-ratings (a rating counts once per genre of its movie; the movie
    with no genre adds none):

    * A: Drama 3, Comedy 1, Film-Noir 1 (total 5);
    * B: Comedy 3, Drama 1 (total 4);
    * C: Drama 1, Comedy 1 (total 2);
    * nation: Drama 5, Comedy 5, Film-Noir 1 (total 11).

    Lifts: A Film-Noir (1/5) / (1/11) = 2.2, A Drama (3/5) / (5/11) = 1.32;
    B Comedy (3/4) / (5/11) = 1.65; C Drama = C Comedy = (1/2) / (5/11) = 1.1,
    a tie that goes to Comedy. With a floor of 2 ratings, A's Film-Noir drops
    out (Drama wins) and C has no genre left, so no row.
    """
    hl = hail
    ratings = located_ratings(
        hl,
        [
            (1, 4, "A", "001", ["Drama"]),
            (1, 4, "A", "001", ["Drama"]),
            (1, 4, "A", "001", ["Drama", "Comedy"]),
            (1, 4, "A", "001", ["Film-Noir"]),
            (1, 4, "A", "001", []),
            (2, 4, "B", "002", ["Comedy"]),
            (2, 4, "B", "002", ["Comedy"]),
            (2, 4, "B", "002", ["Comedy"]),
            (2, 4, "B", "002", ["Drama"]),
            (3, 4, "C", "003", ["Drama"]),
            (3, 4, "C", "003", ["Comedy"]),
        ],
    )
    lift = geography.genre_lift(ratings, "state")

    genres = {row.state: row.genres for row in lift.collect()}
    assert [genre.genre for genre in genres["A"]] == ["Comedy", "Drama", "Film-Noir"]
    rows = {
        (state, genre.genre): genre
        for state, entries in genres.items()
        for genre in entries
    }
    noir = rows["A", "Film-Noir"]
    assert (noir.n_genre_ratings, noir.share) == (1, pytest.approx(0.2))
    assert noir.national_share == pytest.approx(1 / 11)
    assert noir.lift == pytest.approx(2.2)
    assert rows["A", "Drama"].lift == pytest.approx(1.32)
    assert rows["B", "Drama"].lift == pytest.approx(0.55)

    # Both floors in one query; lifts rounded to compare with the decimals above.
    loose = geography.top_genres(lift, "state", 1)
    strict = geography.top_genres(lift, "state", 2)
    tops = loose.annotate(strict=strict[loose.state]).collect()

    def top(row: Any) -> tuple[str, float, int] | None:
        if row is None:
            return None
        return (row.top_genre, round(row.top_genre_lift, 9), row.top_genre_ratings)

    assert {row.state: top(row) for row in tops} == {
        "A": ("Film-Noir", 2.2, 1),
        "B": ("Comedy", 1.65, 3),
        "C": ("Comedy", 1.1, 1),
    }
    assert {row.state: top(row.strict) for row in tops} == {
        "A": ("Drama", 1.32, 3),
        "B": ("Comedy", 1.65, 3),
        "C": None,
    }


def square_states() -> gpd.GeoDataFrame:
    """One 1-degree square per state at roughly its place (Hawaii's is smaller
    and sits among the main islands), plus Puerto Rico, which no map draws."""
    centres = {
        "CA": (-120.0, 37.0),
        "NV": (-117.0, 39.5),
        "TX": (-99.0, 31.0),
        "NY": (-75.0, 43.0),
        "MA": (-72.0, 42.3),
        "WA": (-120.0, 47.5),
        "AK": (-150.0, 63.0),
        "HI": (-157.0, 20.8),
        "PR": (-66.5, 18.2),
    }
    half = {"HI": 0.2}
    return gpd.GeoDataFrame(
        {
            "state": list(centres),
            "state_name": list(centres),
            "geometry": [
                box(
                    x - half.get(code, 0.5),
                    y - half.get(code, 0.5),
                    x + half.get(code, 0.5),
                    y + half.get(code, 0.5),
                )
                for code, (x, y) in centres.items()
            ],
        },
        crs="EPSG:4269",
    )


def panel_collections(fig: Figure) -> list[Collection]:
    """The collections of every axes of the figure and of their insets (which
    ``fig.axes`` leaves out)."""
    return [
        collection
        for ax in fig.axes
        for panel in (ax, *ax.child_axes)
        for collection in panel.collections
    ]


def count_paths(fig: Figure, label: str) -> int:
    """How many outlines the figure's collections labelled ``label`` hold over
    all panels."""
    return sum(
        len(collection.get_paths())
        for collection in panel_collections(fig)
        if collection.get_label() == label
    )


def count_dots(fig: Figure) -> int:
    """How many ZIP dots the figure's panels hold."""
    return sum(
        np.asarray(collection.get_offsets()).shape[0]
        for collection in panel_collections(fig)
        if collection.get_label() == "zip_points"
    )


def test_maps_shade_the_expected_states() -> None:
    """With min_users 5: CA 10, NY 5 (exactly enough), AK 6 and WA 7 (users but
    no rating, so no mean) have enough users; MA 4, TX 1 and HI 2 have too few;
    NV has none; PR (3 users) is off the maps.

    The users map colours every mapped state with a user: CA, NY, AK, WA, MA, TX,
    HI = 7, and hatches MA, TX, HI = 3. The mean map colours only states with
    enough users and a mean: CA, NY, AK = 3, and hatches the same 3.
    """
    states = pd.DataFrame(
        {
            "state": ["CA", "WA", "AK", "NY", "MA", "PR", "HI", "TX"],
            "n_users": [10, 7, 6, 5, 4, 3, 2, 1],
            "mean_rating": [3.5, None, 3.9, 3.1, 4.2, 3.0, 2.5, 3.3],
        }
    )
    panels = geography.project_panels(square_states())
    assert {panel: sorted(frame["state"]) for panel, frame in panels.items()} == {
        "conus": ["CA", "MA", "NV", "NY", "TX", "WA"],
        "alaska": ["AK"],
        "hawaii": ["HI"],
    }

    users_map = geography.users_map(panels, states, 5)
    mean_map = geography.mean_map(panels, states, 5)
    try:
        assert count_paths(users_map, "shaded") == 7
        assert count_paths(users_map, "too_few") == 3
        assert count_paths(mean_map, "shaded") == 3
        assert count_paths(mean_map, "too_few") == 3
        # Unshaded states are drawn grey: NV alone on the users map; on the mean
        # map NV, WA, MA, TX and HI.
        assert count_paths(users_map, "base") == 1
        assert count_paths(mean_map, "base") == 5
    finally:
        plt.close(users_map)
        plt.close(mean_map)


def test_zip_points_map_draws_only_mapped_zips() -> None:
    points = pd.DataFrame(
        {
            "state": ["CA", "CA", "AK", "PR", "AE"],
            "lat": [37.4, 34.0, 61.2, 18.2, None],
            "long": [-122.1, -118.2, -149.9, -66.7, None],
            "n_users": [3, 1, 1, 1, 1],
            "n_ratings": [300, 30, 10, 5, 5],
        }
    )
    fig = geography.zip_points_map(geography.project_panels(square_states()), points)
    try:
        assert count_dots(fig) == 3
    finally:
        plt.close(fig)
    assert geography.size_references(300.0) == [3, 30, 300]


def write_inputs(hl: Any, folder: Path) -> dict[str, Path]:
    """Five users: two in Massachusetts, one in California, one in Alaska and
    one Canadian; three movies, one without a genre."""
    users = hl.Table.parallelize(
        [
            {"id": user, "age": 30, "sex": "F", "occupation": "other", "zipcode": code}
            for user, code in enumerate(
                ["02138", "02139", "94043", "T8H1N", "99501"], start=1
            )
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
            {
                "id": movie,
                "title": f"Movie {movie} (1995)",
                "genres": genres,
                "release_date": None,
                "release_year": 1995,
            }
            for movie, genres in [(1, ["Drama"]), (2, ["Comedy"]), (3, [])]
        ],
        hl.tstruct(
            id=hl.tint32,
            title=hl.tstr,
            genres=hl.tarray(hl.tstr),
            release_date=hl.tstr,
            release_year=hl.tint32,
        ),
        key="id",
    )
    ratings = hl.Table.parallelize(
        [
            {"user_id": user, "movie_id": movie, "rating": rating, "timestamp": 0}
            for user, movie, rating in [
                (1, 1, 5),
                (1, 2, 3),
                (2, 1, 4),
                (3, 3, 2),
                (4, 1, 1),
                (5, 2, 4),
            ]
        ],
        hl.tstruct(
            user_id=hl.tint32, movie_id=hl.tint32, rating=hl.tint32, timestamp=hl.tint64
        ),
        key=["user_id", "movie_id"],
    )
    paths = {
        name: folder / f"{name}.ht" for name in ("user_stats", "ratings", "movies")
    }
    stats.user_stats(ratings, users, 0).write(str(paths["user_stats"]))
    ratings.write(str(paths["ratings"]))
    movies.write(str(paths["movies"]))
    return paths


def test_run_writes_every_output(hail: Any, tmp_path: Path) -> None:
    """With min_users 2: Massachusetts has 2 users and ratings 5, 3, 4 (mean 4,
    sd 1); California 1 user, Alaska 1 user, both too few. The Canadian user's 1
    rating is unmatched.

    Genre-ratings with a US ZIP: MA Drama 2, Comedy 1; AK Comedy 1; CA rated
    only the movie with no genre, so has none. Nation: Drama 2, Comedy 2 (share
    1/2 each). MA's top genre is Drama, lift (2/3) / (1/2) = 4/3; CA has none.
    """
    inputs = write_inputs(hail, tmp_path)
    outputs = {name: tmp_path / "out" / file for name, file in OUTPUT_FILES.items()}

    summary = geography.run(
        inputs["user_stats"],
        inputs["ratings"],
        inputs["movies"],
        {"activate": True, "min_users": 2},
        outputs,
        min_genre_ratings=1,
    )

    assert all(path.exists() for path in outputs.values())
    assert json.loads(outputs["summary"].read_text()) == summary
    assert summary["headline"] == (
        "4 of 5 users live in 3 states by ZIP code; Massachusetts has the most (2); "
        "1 user's code matches no US ZIP."
    )
    assert summary["settings"] == {"min_users": 2, "min_genre_ratings": 1}
    assert (summary["n_states"], summary["n_states_too_few"]) == (3, 2)
    assert summary["unmatched"]["by_kind"]["canadian"] == {
        "n_codes": 1,
        "n_users": 1,
        "n_ratings": 1,
    }
    assert 2 <= len(summary["findings"]) <= 4

    states = pd.read_csv(outputs["states"], sep="\t", dtype={"state": str})
    assert list(states.columns) == geography.STATE_COLUMNS
    assert list(states["state"]) == ["MA", "AK", "CA"]
    massachusetts = states.iloc[0]
    assert (massachusetts["n_users"], massachusetts["n_ratings"]) == (2, 3)
    assert massachusetts["mean_rating"] == 4.0
    assert not massachusetts["too_few_users"]
    assert massachusetts["top_genre"] == "Drama"
    assert massachusetts["top_genre_lift"] == pytest.approx(4 / 3)
    assert pd.isna(states.iloc[2]["top_genre"])
    zip3 = pd.read_csv(outputs["zip3"], sep="\t", dtype={"zip3": str})
    assert sorted(zip3["zip3"]) == ["021", "940", "995"]
    unmatched = pd.read_csv(outputs["unmatched"], sep="\t")
    assert unmatched.to_dict("records") == [
        {"zipcode": "T8H1N", "kind": "canadian", "n_users": 1, "n_ratings": 1}
    ]
    assert outputs["users_map"].read_text().lstrip().startswith("<?xml")
