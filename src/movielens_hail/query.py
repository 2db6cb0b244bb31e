"""The filtering interface: which movies do the ratings that pass some criteria rank
highest?

One query model serves the Python API, the ``movielens-hail query`` command, the
``saved_queries`` rule and the report's live filter. A :class:`Criteria` says which
ratings count, by the movie (genres, release year, title), by the user (sex, age,
occupation, state, ZIP prefix) and by the rating itself; then which movies are
kept (enough matching ratings, a high enough mean), how they are ranked and how
many are listed. Hail does the filtering by users and movies and the
aggregation, in one pass over the ratings; only one row per matching movie
reaches pandas, which ranks them.

Every movie passing the criteria gets one row: ``rank``, ``movie_id``, ``title``,
``release_year``, ``genres`` (joined by "|" in :data:`GENRES` order),
``n_ratings`` and ``mean_rating`` of its matching ratings, and ``damped_mean``,
which adds ``prior_weight`` pseudo-ratings at the mean of *all* ratings:
``(sum + prior_weight * global_mean) / (n + prior_weight)``. The formula is
computed in exactly that order, and the ranking breaks every tie (see
:data:`SORT_ORDER`), so the report's JavaScript filter, which reads
:func:`write_filter_data`'s file, gives the same rows and the same doubles.

Example, with the tables the workflow writes (``snakemake --cores 2``)::

    import hail as hl
    from pathlib import Path
    from movielens_hail.query import Criteria, describe, load_tables, run_query

    hl.init(quiet=True)
    tables = load_tables(Path("results/hail"))
    criteria = Criteria(
        genres_any=("Comedy",), sex="F", age_min=18, age_max=29, min_count=20,
        limit=10,
    )
    print(describe(criteria))
    # genre Comedy; women; aged 18-29; at least 20 matching ratings;
    # top 10 by mean rating
    print(run_query(tables, criteria, prior_weight=10))
"""

from __future__ import annotations

import json
import logging
import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import reduce
from pathlib import Path
from typing import Any

import hail as hl
import pandas as pd

from movielens_hail.demographics import age_group_labels
from movielens_hail.readers import GENRES, MIN_AGE, RATINGS, SEXES
from movielens_hail.runner import read_table
from movielens_hail.zip_codes import zip_state

logger = logging.getLogger(__name__)

SORT_KEYS = ("mean", "count", "damped_mean")
"""The rankings a query can ask for; every one is descending."""

SORT_ORDER: dict[str, tuple[str, ...]] = {
    "mean": ("-mean_rating", "-n_ratings", "movie_id"),
    "count": ("-n_ratings", "-mean_rating", "movie_id"),
    "damped_mean": ("-damped_mean", "-n_ratings", "movie_id"),
}
"""The result columns each ranking sorts by, "-" for descending: ties on the
first column go to the second, then to the lower movie id, so every ranking is
one fixed order."""

SORT_NAMES = {
    "mean": "mean rating",
    "count": "number of ratings",
    "damped_mean": "damped mean",
}
"""Each ranking in words, for :func:`describe`."""

RESULT_COLUMNS = [
    "rank",
    "movie_id",
    "title",
    "release_year",
    "genres",
    "n_ratings",
    "mean_rating",
    "damped_mean",
]
OUTPUT_DECIMALS = 4
"""Means in TSV and JSON output are rounded to this many decimals; the ranking
uses the unrounded values."""

TABLE_NAMES = ("movies", "ratings", "users")
DEFAULT_MAX_EMBEDDED_RATINGS = 500_000
"""Above this many ratings the filter data holds counts per movie, sex, age group
and rating instead of the ratings (see :func:`filter_data`)."""
DEFAULT_MAX_EMBEDDED_MOVIES = 20_000
"""The filter data keeps at most this many movies, the most rated (see
:func:`filter_data`)."""

GENRE_SEPARATOR = "|"


class QueryError(ValueError):
    """Criteria that cannot be run; ``problems`` holds one sentence per problem,
    each naming the criterion and the values it allows."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class TablesNotFoundError(FileNotFoundError):
    """The folder holds none, or not all, of the Hail tables a query reads."""


@dataclass(frozen=True)
class Criteria:
    """Which ratings count, which movies are kept, and how they are ranked.

    Every field is optional; the defaults restrict nothing. Bounds are
    inclusive.

    :param genres_any: the movie has at least one of these genres.
    :param genres_all: the movie has every one of these genres.
    :param sex: the user's sex, ``F`` or ``M``.
    :param age_min: the user is at least this old.
    :param age_max: the user is at most this old.
    :param occupations: the user's occupation is one of these.
    :param states: the two-letter US state of the user's ZIP code is one of
        these; users with a Canadian, invalid or unknown code have no state and
        never match.
    :param zip_prefix: the user's ZIP code, as typed, starts with this.
    :param year_min: the movie was released in or after this year.
    :param year_max: the movie was released in or before this year. Movies with
        no release year never match either year bound.
    :param title: the movie's title contains this, ignoring letter case.
    :param rating_min: only ratings of at least this many stars count.
    :param rating_max: only ratings of at most this many stars count.
    :param min_count: a movie needs this many matching ratings.
    :param min_mean: a movie's matching ratings need at least this mean.
    :param sort: the ranking, one of :data:`SORT_KEYS`.
    :param limit: how many movies to list.
    """

    genres_any: tuple[str, ...] = ()
    genres_all: tuple[str, ...] = ()
    sex: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    occupations: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    zip_prefix: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    title: str | None = None
    rating_min: int | None = None
    rating_max: int | None = None
    min_count: int = 1
    min_mean: float | None = None
    sort: str = "mean"
    limit: int = 20


CRITERIA_KEYS = tuple(field.name for field in fields(Criteria))
LIST_KEYS = frozenset({"genres_any", "genres_all", "occupations", "states"})
TEXT_KEYS = frozenset({"sex", "zip_prefix", "title", "sort"})
NUMBER_KEYS = frozenset({"min_mean"})
REQUIRED_KEYS = frozenset({"min_count", "sort", "limit"})


@dataclass(frozen=True)
class Vocabulary:
    """The values of the data-dependent criteria that occur in the data."""

    occupations: tuple[str, ...]
    states: tuple[str, ...]


@dataclass(frozen=True)
class QueryTables:
    """The three tables a query reads, with what every query needs of them.

    :param ratings: keyed by ``(user_id, movie_id)`` with ``rating``.
    :param movies: keyed by ``id`` with ``title``, ``genres`` and
        ``release_year``.
    :param users: keyed by ``id`` with ``age``, ``sex``, ``occupation``,
        ``zipcode`` and ``state`` (missing without a US state).
    :param vocabulary: the occupations and states present, sorted.
    :param n_ratings: the number of ratings.
    :param global_mean: the mean of all ratings, None when there are none.
    """

    ratings: hl.Table
    movies: hl.Table
    users: hl.Table
    vocabulary: Vocabulary
    n_ratings: int
    global_mean: float | None


def check_tables(hail_dir: Path) -> None:
    """Check that ``hail_dir`` holds the three tables, without starting Hail.

    :raises TablesNotFoundError: naming the folder and the missing tables.
    """
    missing = [name for name in TABLE_NAMES if not (hail_dir / f"{name}.ht").exists()]
    if missing:
        raise TablesNotFoundError(
            f"{hail_dir} does not hold the Hail tables "
            f"{', '.join(name + '.ht' for name in missing)}; run "
            "`snakemake --cores 2` first to make them, or name the folder that "
            "holds them"
        )


def load_tables(hail_dir: Path) -> QueryTables:
    """Read ``movies.ht``, ``ratings.ht`` and ``users.ht`` from one folder.

    :raises TablesNotFoundError: naming the folder and the missing tables.
    """
    check_tables(hail_dir)
    return read_tables(
        hail_dir / "ratings.ht", hail_dir / "movies.ht", hail_dir / "users.ht"
    )


def read_tables(ratings_path: Path, movies_path: Path, users_path: Path) -> QueryTables:
    """Read the three tables, look up each user's state, and take the counts.

    The users' distinct ZIP codes (a few hundred) are looked up offline in
    Python; the code -> state mapping then joins the users in Hail.
    """
    ratings = read_table(ratings_path)
    movies = read_table(movies_path)
    users = read_table(users_path)

    found = users.aggregate(
        hl.struct(
            zipcodes=hl.agg.collect_as_set(users.zipcode),
            occupations=hl.agg.collect_as_set(users.occupation),
        )
    )
    state_of = {
        code: state
        for code in found.zipcodes
        if code is not None and (state := zip_state(code)) is not None
    }
    lookup = hl.literal(state_of, dtype=hl.tdict(hl.tstr, hl.tstr))
    users = users.annotate(state=lookup.get(users.zipcode))
    vocabulary = Vocabulary(
        occupations=tuple(sorted(name for name in found.occupations if name)),
        states=tuple(sorted(set(state_of.values()))),
    )

    totals = ratings.aggregate(
        hl.struct(n=hl.agg.count(), sum=hl.agg.sum(hl.int64(ratings.rating)))
    )
    # sum / n rather than Hail's own mean, so that the browser, which gets the
    # same integers, computes the same double.
    global_mean = totals.sum / totals.n if totals.n else None
    logger.info(
        "query tables: %d ratings, %d users in %d states, %d occupations",
        totals.n,
        users.count(),
        len(vocabulary.states),
        len(vocabulary.occupations),
    )
    return QueryTables(
        ratings=ratings,
        movies=movies,
        users=users,
        vocabulary=vocabulary,
        n_ratings=int(totals.n),
        global_mean=global_mean,
    )


def problems(criteria: Criteria, vocabulary: Vocabulary | None = None) -> list[str]:
    """Every reason ``criteria`` cannot run, one sentence each.

    :param vocabulary: the occupations and states in the data; without it,
        occupations and states are not checked.
    """
    found = unknown_values("genres_any", criteria.genres_any, GENRES, "genres")
    found += unknown_values("genres_all", criteria.genres_all, GENRES, "genres")
    if criteria.sex is not None and criteria.sex not in SEXES:
        found.append(f"sex: {criteria.sex!r} is not one of {', '.join(SEXES)}")
    found += range_problems("age", criteria.age_min, criteria.age_max, low=0)
    if vocabulary is not None:
        found += unknown_values(
            "occupations",
            criteria.occupations,
            vocabulary.occupations,
            "occupations in the data",
        )
        found += unknown_values(
            "states", criteria.states, vocabulary.states, "states in the data"
        )
    found += range_problems("year", criteria.year_min, criteria.year_max)
    found += range_problems(
        "rating",
        criteria.rating_min,
        criteria.rating_max,
        low=min(RATINGS),
        high=max(RATINGS),
    )
    if criteria.min_count < 1:
        found.append(
            f"min_count: {criteria.min_count} is below 1; a movie needs at least "
            "1 matching rating"
        )
    if criteria.min_mean is not None and not math.isfinite(criteria.min_mean):
        found.append(f"min_mean: {criteria.min_mean} is not a number of stars")
    if criteria.sort not in SORT_KEYS:
        found.append(f"sort: {criteria.sort!r} is not one of {', '.join(SORT_KEYS)}")
    if criteria.limit < 1:
        found.append(f"limit: {criteria.limit} is below 1; list at least 1 movie")
    return found


def validate(criteria: Criteria, vocabulary: Vocabulary | None = None) -> None:
    """Raise :class:`QueryError` listing every problem of ``criteria``.

    :param vocabulary: the occupations and states in the data; without it,
        occupations and states are not checked.
    """
    found = problems(criteria, vocabulary)
    if found:
        raise QueryError(found)


def unknown_values(
    key: str, values: tuple[str, ...], allowed: tuple[str, ...], what: str
) -> list[str]:
    """A problem naming ``key``'s values that are not ``allowed``, if any."""
    unknown = [value for value in values if value not in allowed]
    if not unknown:
        return []
    listed = ", ".join(allowed) if allowed else "(none)"
    return [f"{key}: unknown {', '.join(map(repr, unknown))}; the {what} are {listed}"]


def range_problems(
    name: str,
    low_bound: int | None,
    high_bound: int | None,
    *,
    low: int | None = None,
    high: int | None = None,
) -> list[str]:
    """Problems of an inclusive range ``name_min``-``name_max``: a bound outside
    ``low``-``high``, or a minimum above the maximum."""
    found = []
    for key, bound in ((f"{name}_min", low_bound), (f"{name}_max", high_bound)):
        if bound is None:
            continue
        if low is not None and high is not None and not low <= bound <= high:
            found.append(f"{key}: {bound} is outside {low}-{high}")
        elif low is not None and bound < low:
            found.append(
                f"{key}: {bound} is negative; {name}s are whole numbers from {low}"
            )
    if low_bound is not None and high_bound is not None and low_bound > high_bound:
        found.append(
            f"{name} range {low_bound}-{high_bound} is empty: {name}_min must not "
            f"exceed {name}_max"
        )
    return found


def criteria_from_mapping(mapping: Mapping[str, Any]) -> Criteria:
    """Criteria from a mapping keyed by :class:`Criteria` field names, as a saved
    query in ``config.yaml`` holds them. Lists become tuples; a key set to None
    is left unrestricted.

    Only names and types are checked here; :func:`validate` checks the values.

    :raises QueryError: naming unknown keys (and listing the allowed ones) and
        values of the wrong type.
    """
    unknown = sorted(set(mapping) - set(CRITERIA_KEYS))
    if unknown:
        raise QueryError(
            [
                f"unknown criteria {', '.join(map(repr, unknown))}; the criteria "
                f"are {', '.join(CRITERIA_KEYS)}"
            ]
        )
    values: dict[str, Any] = {}
    found: list[str] = []
    for key, value in mapping.items():
        if value is None and key not in REQUIRED_KEYS:
            continue
        converted = converted_value(key, value)
        if converted is None:
            found.append(f"{key}: {value!r} is not {expected_type(key)}")
        else:
            values[key] = converted
    if found:
        raise QueryError(found)
    return Criteria(**values)


def expected_type(key: str) -> str:
    """What kind of value criterion ``key`` holds, for an error message."""
    if key in LIST_KEYS:
        return "a list of names"
    if key in TEXT_KEYS:
        return "a string"
    if key in NUMBER_KEYS:
        return "a number"
    return "a whole number"


def converted_value(key: str, value: Any) -> Any:
    """``value`` as the type of criterion ``key``, None if it has the wrong type."""
    if key in LIST_KEYS:
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        return None
    if key in TEXT_KEYS:
        return value if isinstance(value, str) else None
    if isinstance(value, bool):
        return None
    if key in NUMBER_KEYS:
        return float(value) if isinstance(value, int | float) else None
    return value if isinstance(value, int) else None


def criteria_to_mapping(criteria: Criteria) -> dict[str, Any]:
    """The criteria that differ from the defaults, lists as lists: the inverse of
    :func:`criteria_from_mapping`, for JSON."""
    defaults = Criteria()
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key in CRITERIA_KEYS
        if (value := getattr(criteria, key)) != getattr(defaults, key)
    }


def describe(criteria: Criteria) -> str:
    """The criteria that are set, as a phrase for a person: "genre Comedy; women;
    aged 18-29; at least 20 matching ratings; top 10 by mean rating"."""
    parts = [
        listed("genre", criteria.genres_any, "or"),
        listed("genre", criteria.genres_all, "and"),
        span(
            "released",
            criteria.year_min,
            criteria.year_max,
            words="or later/or earlier",
        ),
        f"title contains {criteria.title!r}" if criteria.title is not None else "",
        {"F": "women", "M": "men"}.get(criteria.sex or "", criteria.sex or ""),
        span("aged", criteria.age_min, criteria.age_max, words="or over/or under"),
        listed("occupation", criteria.occupations, "or"),
        listed("state", criteria.states, "or"),
        (
            f"ZIP code starting {criteria.zip_prefix!r}"
            if criteria.zip_prefix is not None
            else ""
        ),
        star_span(criteria.rating_min, criteria.rating_max),
        (
            f"at least {criteria.min_count} matching ratings"
            if criteria.min_count > 1
            else ""
        ),
        (
            f"mean at least {criteria.min_mean:g}"
            if criteria.min_mean is not None
            else ""
        ),
        f"top {criteria.limit} by {SORT_NAMES.get(criteria.sort, criteria.sort)}",
    ]
    return "; ".join(part for part in parts if part)


def listed(noun: str, values: tuple[str, ...], joiner: str) -> str:
    """ "genre Comedy", "genres Comedy or Drama"; empty for no values."""
    if not values:
        return ""
    plural = "s" if len(values) > 1 else ""
    return f"{noun}{plural} {f' {joiner} '.join(values)}"


def span(
    prefix: str, low: int | None, high: int | None, *, unit: str = "", words: str
) -> str:
    """An inclusive range in words: "aged 18-29", "aged 18 or over".

    :param words: what follows a lone lower and a lone upper bound, split by
        "/": "or over/or under".
    """
    above, below = words.split("/")
    unit = f" {unit}" if unit else ""
    if low is None and high is None:
        return ""
    if low is None:
        return f"{prefix} {high}{unit} {below}"
    if high is None:
        return f"{prefix} {low}{unit} {above}"
    if low == high:
        return f"{prefix} {low}{unit}"
    return f"{prefix} {low}-{high}{unit}"


def star_span(low: int | None, high: int | None) -> str:
    """The counted ratings in words: "ratings of 4-5 stars", "ratings of 5 stars".

    A bound at the end of the 1-5 scale closes the range, so ``rating_min`` 5
    reads as "5 stars" rather than "5 stars or more".
    """
    if low is None and high is None:
        return ""
    low = min(RATINGS) if low is None else low
    high = max(RATINGS) if high is None else high
    if low == high:
        return f"ratings of {low} star{'' if low == 1 else 's'}"
    return f"ratings of {low}-{high} stars"


def combined(conditions: list[hl.BooleanExpression]) -> hl.BooleanExpression | None:
    """All ``conditions`` at once; a missing value counts as not matching."""
    if not conditions:
        return None
    return reduce(lambda left, right: left & right, map(is_true, conditions))


def is_true(condition: hl.BooleanExpression) -> hl.BooleanExpression:
    """``condition``, with missing as False."""
    return hl.coalesce(condition, False)


def user_condition(users: hl.Table, criteria: Criteria) -> hl.BooleanExpression | None:
    """Whether a row of ``users`` passes the user criteria; None if none is set."""
    conditions = []
    if criteria.sex is not None:
        conditions.append(users.sex == criteria.sex)
    if criteria.age_min is not None:
        conditions.append(users.age >= criteria.age_min)
    if criteria.age_max is not None:
        conditions.append(users.age <= criteria.age_max)
    if criteria.occupations:
        wanted = hl.literal(set(criteria.occupations), dtype=hl.tset(hl.tstr))
        conditions.append(wanted.contains(users.occupation))
    if criteria.states:
        wanted = hl.literal(set(criteria.states), dtype=hl.tset(hl.tstr))
        conditions.append(wanted.contains(users.state))
    if criteria.zip_prefix is not None:
        conditions.append(users.zipcode.startswith(criteria.zip_prefix))
    return combined(conditions)


def movie_condition(
    movies: hl.Table, criteria: Criteria
) -> hl.BooleanExpression | None:
    """Whether a row of ``movies`` passes the movie criteria; None if none is
    set."""
    conditions = []
    if criteria.genres_any:
        wanted = hl.literal(set(criteria.genres_any), dtype=hl.tset(hl.tstr))
        conditions.append(hl.any(wanted.contains, movies.genres))
    if criteria.genres_all:
        has = hl.set(movies.genres)
        conditions.append(
            hl.all(
                has.contains, hl.literal(list(criteria.genres_all), hl.tarray(hl.tstr))
            )
        )
    if criteria.year_min is not None:
        conditions.append(movies.release_year >= criteria.year_min)
    if criteria.year_max is not None:
        conditions.append(movies.release_year <= criteria.year_max)
    if criteria.title is not None:
        conditions.append(movies.title.lower().contains(criteria.title.lower()))
    return combined(conditions)


def matching_ratings(tables: QueryTables, criteria: Criteria) -> hl.Table:
    """The ratings that pass the rating, user and movie criteria."""
    ht = tables.ratings
    if criteria.rating_min is not None:
        ht = ht.filter(ht.rating >= criteria.rating_min)
    if criteria.rating_max is not None:
        ht = ht.filter(ht.rating <= criteria.rating_max)

    users_condition = user_condition(tables.users, criteria)
    if users_condition is not None:
        users = tables.users.filter(users_condition)
        ht = ht.filter(hl.is_defined(users[ht.user_id]))

    movies_condition = movie_condition(tables.movies, criteria)
    if movies_condition is not None:
        # A set of ids, not a join on movie_id, which would sort every rating
        # (see movielens_hail.stats.genres_by_movie).
        movies = tables.movies.filter(movies_condition)
        ids = movies.aggregate(hl.agg.collect_as_set(movies.id), _localize=False)
        ht = ht.filter(ids.contains(ht.movie_id))
    return ht


def movie_totals(tables: QueryTables, criteria: Criteria) -> pd.DataFrame:
    """The number and sum of the matching ratings of every movie that has any:
    ``movie_id``, ``n_ratings`` and ``sum_rating``, one row per movie.

    Hail aggregates them in one pass over the ratings, with no shuffle: grouping
    the table by movie instead takes three times as long at 10M ratings.
    """
    ratings = matching_ratings(tables, criteria)
    totals = ratings.aggregate(
        hl.agg.group_by(
            ratings.movie_id,
            hl.struct(n=hl.agg.count(), sum=hl.agg.sum(hl.int64(ratings.rating))),
        )
    )
    return pd.DataFrame(
        {
            "movie_id": pd.Series(list(totals), dtype="int64"),
            "n_ratings": pd.Series([t.n for t in totals.values()], dtype="int64"),
            "sum_rating": pd.Series([t.sum for t in totals.values()], dtype="int64"),
        }
    )


def ranked(
    totals: pd.DataFrame, criteria: Criteria, prior_weight: float, global_mean: float
) -> pd.DataFrame:
    """The movies of :func:`movie_totals` with enough matching ratings and a
    high enough mean, with their means, in the order of ``criteria.sort``, the
    first ``criteria.limit``."""
    kept = totals[totals["n_ratings"] >= criteria.min_count].copy()
    kept["mean_rating"] = kept["sum_rating"] / kept["n_ratings"]
    if criteria.min_mean is not None:
        kept = kept[kept["mean_rating"] >= criteria.min_mean].copy()
    # The products and sums in this order are what the browser computes too.
    weight = float(prior_weight)
    kept["damped_mean"] = (
        kept["sum_rating"].astype("float64") + weight * global_mean
    ) / (kept["n_ratings"].astype("float64") + weight)
    order = SORT_ORDER[criteria.sort]
    kept = kept.sort_values(
        [column.lstrip("-") for column in order],
        ascending=[not column.startswith("-") for column in order],
    )
    return kept.head(criteria.limit)


def movie_details(tables: QueryTables, movie_ids: list[int]) -> pd.DataFrame:
    """The ``title``, ``release_year`` and ``genres`` (joined in :data:`GENRES`
    order) of the movies ``movie_ids``, by ``movie_id``."""
    columns = ["movie_id", "title", "release_year", "genres"]
    if not movie_ids:
        return pd.DataFrame({"movie_id": pd.Series(dtype="int64")}).reindex(
            columns=columns
        )
    movies = tables.movies
    wanted = hl.literal(set(movie_ids), dtype=hl.tset(hl.tint32))
    rows = movies.filter(wanted.contains(movies.id)).collect()
    return pd.DataFrame(
        [
            (
                movie.id,
                movie.title,
                movie.release_year,
                GENRE_SEPARATOR.join(g for g in GENRES if g in (movie.genres or [])),
            )
            for movie in rows
        ],
        columns=columns,
    )


def answer_query(
    tables: QueryTables, criteria: Criteria, prior_weight: float
) -> tuple[pd.DataFrame, int]:
    """:func:`run_query`'s result, and how many ratings matched the rating,
    user and movie criteria, from the same pass over the ratings."""
    validate(criteria, tables.vocabulary)
    totals = movie_totals(tables, criteria)
    top = ranked(totals, criteria, prior_weight, tables.global_mean or 0.0)
    details = movie_details(tables, [int(movie_id) for movie_id in top["movie_id"]])
    rows = top.merge(details, on="movie_id", how="left", validate="one_to_one")
    return result_frame(rows), int(totals["n_ratings"].sum())


def run_query(
    tables: QueryTables, criteria: Criteria, prior_weight: float
) -> pd.DataFrame:
    """The ranked movies that pass ``criteria``, as :data:`RESULT_COLUMNS`.

    Hail filters and aggregates the ratings; the one row per matching movie
    that results is ranked in pandas.

    :param prior_weight: pseudo-ratings at the global mean in ``damped_mean``
        (the workflow's ``stats.prior_weight``).
    :raises QueryError: when ``criteria`` has a problem (see :func:`validate`).
    """
    return answer_query(tables, criteria, prior_weight)[0]


def result_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The localized rows with their rank and declared column types."""
    frame = pd.DataFrame(
        {
            "movie_id": rows["movie_id"].astype("int64"),
            "title": rows["title"].astype(object),
            "release_year": rows["release_year"].astype("Int64"),
            "genres": rows["genres"].astype(object),
            "n_ratings": rows["n_ratings"].astype("int64"),
            "mean_rating": rows["mean_rating"].astype("float64"),
            "damped_mean": rows["damped_mean"].astype("float64"),
        }
    ).reset_index(drop=True)
    frame.insert(0, "rank", pd.Series(range(1, len(frame) + 1), dtype="int64"))
    return frame[RESULT_COLUMNS]


def output_frame(result: pd.DataFrame) -> pd.DataFrame:
    """A result as TSV and JSON hold it: means rounded to :data:`OUTPUT_DECIMALS`."""
    return result.round(
        {"mean_rating": OUTPUT_DECIMALS, "damped_mean": OUTPUT_DECIMALS}
    )


def result_records(result: pd.DataFrame) -> list[dict[str, Any]]:
    """A result as plain rows for JSON, means rounded, a missing year None."""
    return [
        {
            "rank": int(row["rank"]),
            "movie_id": int(row["movie_id"]),
            "title": row["title"],
            "release_year": (
                None if pd.isna(row["release_year"]) else int(row["release_year"])
            ),
            "genres": row["genres"],
            "n_ratings": int(row["n_ratings"]),
            "mean_rating": float(row["mean_rating"]),
            "damped_mean": float(row["damped_mean"]),
        }
        for _, row in output_frame(result).iterrows()
    ]


def filter_data(
    tables: QueryTables,
    prior_weight: float,
    *,
    age_bins: Sequence[int],
    max_embedded_ratings: int = DEFAULT_MAX_EMBEDDED_RATINGS,
    max_embedded_movies: int = DEFAULT_MAX_EMBEDDED_MOVIES,
) -> dict[str, Any]:
    """Everything the report's JavaScript filter needs to run a query itself.

    ``movies`` lists the movies the filter knows, sorted by id;
    ``movies.genres`` holds bit ``i`` for ``genres[i]``. With more than
    ``max_embedded_movies`` movies it keeps that many, those with the most
    ratings (ties to the lower id), and ``movies_left_out`` says how many it
    left out, how many ratings they have, and ``most_ratings``, the most any of
    them has: a query asking for more matching ratings than that is still
    exact. Otherwise ``movies_left_out`` is None.

    Then one of two layouts of the ratings of those movies, the other's keys
    None:

    - Up to ``max_embedded_ratings`` ratings (500,000 by default, some 3 MB of
      report), every rating: ``users`` sorted by id, ``users.occupation`` an
      index into ``occupations`` and ``users.state`` "" without a US state;
      ``ratings.packed`` holds ``movie_index * 8 + rating`` for every rating,
      sorted by user and then movie id, and ``ratings.per_user[i]`` says how
      many of them belong to ``users.id[i]``. Every criterion is exact.
    - With more, ``aggregates`` (see :func:`rating_counts`): how many ratings of
      each value each movie has from each sex and age group, about 180 bytes
      a movie whatever the number of ratings. Ages can then only be chosen by
      group, and occupation, state and ZIP code not at all; every other
      criterion is still exact.

    The ratings or counts are localized here, a deliberate exception to doing
    the work in Hail: the browser needs all of them.

    :param age_bins: the lower edges of the age groups of ``aggregates``
        (``demographics.age_bins``); ages below the first edge get a group of
        their own.
    """
    movies, left_out = embedded_movies(
        tables,
        tables.movies.select("title", "release_year", "genres").collect(),
        max_embedded_movies,
    )
    data: dict[str, Any] = {
        "prior_weight": prior_weight,
        "global_mean": tables.global_mean,
        "genres": list(GENRES),
        "occupations": list(tables.vocabulary.occupations),
        "states": list(tables.vocabulary.states),
        "movies": {
            "id": [movie.id for movie in movies],
            "title": [movie.title for movie in movies],
            "year": [movie.release_year for movie in movies],
            "genres": [genre_mask(movie.genres or []) for movie in movies],
        },
        "movies_left_out": left_out,
        "users": None,
        "ratings": None,
        "aggregates": None,
    }
    movie_ids = data["movies"]["id"]
    n_ratings = tables.n_ratings - (left_out["n_ratings"] if left_out else 0)
    if n_ratings > max_embedded_ratings:
        data["aggregates"] = rating_counts(tables, movie_ids, age_bins)
        data["aggregates"]["n_ratings"] = n_ratings
        data["aggregates"]["limit"] = max_embedded_ratings
        return data

    users = tables.users.select(
        "age", "sex", "occupation", "zipcode", "state"
    ).collect()
    occupation_index = {name: index for index, name in enumerate(data["occupations"])}
    data["users"] = {
        "id": [user.id for user in users],
        "age": [user.age for user in users],
        "sex": [user.sex for user in users],
        "occupation": [occupation_index.get(user.occupation, -1) for user in users],
        "zipcode": [user.zipcode for user in users],
        "state": [user.state or "" for user in users],
    }
    movie_index = {movie_id: index for index, movie_id in enumerate(movie_ids)}
    ratings = tables.ratings.select("rating").to_pandas()
    ratings = ratings[
        ratings["movie_id"].isin(movie_index)
        & ratings["user_id"].isin(data["users"]["id"])
    ].sort_values(["user_id", "movie_id"])
    per_user = ratings.groupby("user_id").size()
    packed = ratings["movie_id"].map(movie_index) * 8 + ratings["rating"]
    data["ratings"] = {
        "per_user": [int(per_user.get(user, 0)) for user in data["users"]["id"]],
        "packed": [int(value) for value in packed],
    }
    return data


def embedded_movies(
    tables: QueryTables, movies: list[hl.Struct], most: int
) -> tuple[list[hl.Struct], dict[str, int] | None]:
    """At most ``most`` of ``movies``, those with the most ratings, by id; and
    what was left out (see :func:`filter_data`), None if nothing was."""
    if len(movies) <= most:
        return movies, None
    ratings = tables.ratings
    # A counter is one pass with no shuffle; grouping by movie takes 8x longer.
    totals = ratings.aggregate(hl.agg.counter(ratings.movie_id))
    by_count = sorted(movies, key=lambda movie: (-totals.get(movie.id, 0), movie.id))
    left_out = [totals.get(movie.id, 0) for movie in by_count[most:]]
    kept = sorted(by_count[:most], key=lambda movie: movie.id)
    return kept, {
        "n_movies": len(left_out),
        "n_ratings": sum(left_out),
        "most_ratings": max(left_out),
    }


def rating_counts(
    tables: QueryTables, movie_ids: list[int], age_bins: Sequence[int]
) -> dict[str, Any]:
    """How many ratings of each value each movie has from each sex and age group.

    ``counts`` is flat, in the order movie, sex, age group, rating:
    ``counts[((m * len(sexes) + s) * len(age_groups) + a) * len(ratings) + r]``
    counts the ratings ``ratings[r]`` of movie ``movie_ids[m]`` by users of sex
    ``sexes[s]`` in ``age_groups[a]``, which runs from ``age_edges[a]`` to one
    below the next edge. Ratings of other movies and of unknown users are left
    out, as in the full layout. Hail counts the ratings per position in one
    pass; one entry per non-empty cell reaches Python.
    """
    edges = [MIN_AGE, *(edge for edge in age_bins if edge > MIN_AGE)]
    sex_index = {sex: index for index, sex in enumerate(SEXES)}
    user_offset = {
        user.id: (sex_index[user.sex] * len(edges) + bisect_right(edges, user.age) - 1)
        * len(RATINGS)
        for user in tables.users.select("age", "sex").collect()
    }
    width = len(SEXES) * len(edges) * len(RATINGS)
    movie_offset = {movie_id: index * width for index, movie_id in enumerate(movie_ids)}
    to_int = hl.tdict(hl.tint32, hl.tint32)
    users = hl.literal(user_offset, dtype=to_int)
    movies = hl.literal(movie_offset, dtype=to_int)
    rating_index = hl.literal(
        {rating: index for index, rating in enumerate(RATINGS)}, dtype=to_int
    )
    ratings = tables.ratings
    ratings = ratings.filter(
        users.contains(ratings.user_id) & movies.contains(ratings.movie_id)
    )
    cells = ratings.aggregate(
        hl.agg.counter(
            movies[ratings.movie_id]
            + users[ratings.user_id]
            + rating_index[ratings.rating]
        )
    )
    counts = [0] * (len(movie_ids) * width)
    for position, n in cells.items():
        counts[position] = int(n)
    return {
        "sexes": list(SEXES),
        "age_edges": edges,
        "age_groups": age_group_labels(edges),
        "ratings": list(RATINGS),
        "counts": counts,
    }


def genre_mask(genres: list[str]) -> int:
    """The genres as a bit mask: bit ``i`` set for ``GENRES[i]``."""
    return sum(1 << index for index, genre in enumerate(GENRES) if genre in genres)


def write_filter_data(
    tables: QueryTables,
    path: Path,
    prior_weight: float,
    *,
    age_bins: Sequence[int],
    max_embedded_ratings: int = DEFAULT_MAX_EMBEDDED_RATINGS,
    max_embedded_movies: int = DEFAULT_MAX_EMBEDDED_MOVIES,
) -> dict[str, Any]:
    """Write :func:`filter_data` as compact JSON with sorted keys; return it."""
    data = filter_data(
        tables,
        prior_weight,
        age_bins=age_bins,
        max_embedded_ratings=max_embedded_ratings,
        max_embedded_movies=max_embedded_movies,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n",
        encoding="utf-8",
    )
    if data["movies_left_out"] is not None:
        logger.info(
            "filter data: the %d most rated movies kept; %d movies with %d "
            "ratings left out (at most %d each)",
            len(data["movies"]["id"]),
            data["movies_left_out"]["n_movies"],
            data["movies_left_out"]["n_ratings"],
            data["movies_left_out"]["most_ratings"],
        )
    if data["ratings"] is not None:
        logger.info(
            "filter data: %d movies, %d users and %d ratings embedded",
            len(data["movies"]["id"]),
            len(data["users"]["id"]),
            len(data["ratings"]["packed"]),
        )
    else:
        logger.info(
            "filter data: %d movies and %d rating counts by sex and age group "
            "embedded in place of %d ratings (more than %d)",
            len(data["movies"]["id"]),
            len(data["aggregates"]["counts"]),
            data["aggregates"]["n_ratings"],
            max_embedded_ratings,
        )
    return data
