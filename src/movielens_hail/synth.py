"""Seeded synthetic MovieLens data in the GroupLens ml-100k file layout.

The real MovieLens files may not be redistributed, so tests, examples and benchmarks
use data made here instead. :func:`generate` writes ``u.data`` (ratings),
``u.item`` (movies) and ``u.user`` (users) in exactly the formats GroupLens ships, at
any size from a few dozen ratings to tens of millions, and the same arguments always
produce byte-identical files.

The data is invented but shaped like the real thing, so that the analyses built on
it have something to find:

* a few movies are rated far more often than most, and a few users rate far more
  than most;
* a rating is a user's leniency plus a movie's quality plus noise, so movies,
  genres and age groups differ in their mean rating (overall mean about 3.5);
* users are mostly men in their twenties and thirties, spread over the 21
  MovieLens occupations and a list of real US ZIP codes, with a few Canadian
  postal codes and a few invalid entries as in the original;
* movie titles carry a release year, sometimes a trailing article ("Thin Man,
  The"), an alternate foreign title or a Latin-1 character, and now and then a
  word with an obvious sentiment ("Happy", "Dead");
* ratings fall between September 1997 and April 1998, in bursts per user;
* given five or more movies, one of them is the GroupLens "unknown" placeholder
  with no title or date.

Users, movies and ratings draw from separate random streams derived from the
seed, so asking for more ratings leaves the users and movies tables unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["FIRST_TIMESTAMP", "GENRES", "LAST_TIMESTAMP", "OCCUPATIONS", "generate"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# First and last rating times of ml-100k (19 Sept 1997 and 22 April 1998).
FIRST_TIMESTAMP = 874724710
LAST_TIMESTAMP = 893286638

# Movies released after the collection period would be rated before they existed.
LAST_RELEASE_DATE = np.datetime64("1998-04-01")
FIRST_RELEASE_YEAR = 1920
LAST_RELEASE_YEAR = 1998
# Most movies are recent: years back from 1998 decay exponentially, while the rest
# spread evenly over the older decades.
FIRST_RECENT_YEAR = 1990
RECENT_RELEASE_SHARE = 0.85
RECENT_RELEASE_DECAY_YEARS = 4.0

# The 18 real genres with their ml-100k frequency and how far their mean rating sits
# from the overall mean (film noir and war films rate high, horror rates low).
REAL_GENRES: tuple[tuple[str, int, float], ...] = (
    ("Action", 251, -0.05),
    ("Adventure", 135, -0.03),
    ("Animation", 42, 0.05),
    ("Children's", 122, -0.18),
    ("Comedy", 505, -0.14),
    ("Crime", 109, 0.10),
    ("Documentary", 50, 0.14),
    ("Drama", 725, 0.16),
    ("Fantasy", 22, -0.31),
    ("Film-Noir", 24, 0.39),
    ("Horror", 92, -0.24),
    ("Musical", 56, -0.01),
    ("Mystery", 61, 0.11),
    ("Romance", 247, 0.09),
    ("Sci-Fi", 101, 0.03),
    ("Thriller", 251, -0.02),
    ("War", 71, 0.29),
    ("Western", 27, 0.08),
)
GENRES: tuple[str, ...] = ("unknown", *(name for name, _, _ in REAL_GENRES))

# Occupation, its share of ml-100k users, and the typical age of such a user.
OCCUPATION_PROFILES: tuple[tuple[str, int, int], ...] = (
    ("administrator", 79, 38),
    ("artist", 28, 31),
    ("doctor", 7, 43),
    ("educator", 95, 42),
    ("engineer", 67, 36),
    ("entertainment", 18, 29),
    ("executive", 32, 38),
    ("healthcare", 16, 41),
    ("homemaker", 7, 32),
    ("lawyer", 12, 36),
    ("librarian", 51, 40),
    ("marketing", 26, 37),
    ("none", 9, 26),
    ("other", 105, 34),
    ("programmer", 66, 33),
    ("retired", 14, 63),
    ("salesman", 12, 36),
    ("scientist", 31, 35),
    ("student", 196, 22),
    ("technician", 27, 33),
    ("writer", 45, 36),
)
OCCUPATIONS: tuple[str, ...] = tuple(name for name, _, _ in OCCUPATION_PROFILES)
MIN_AGE = 7
# Spread of ages around an occupation's typical age (a log-scale deviation).
AGE_SCATTER = 0.25
MAX_AGE = 73
MALE_SHARE = 0.71

# Real US ZIP codes (mostly university towns) covering 41 states and DC.
US_ZIP_CODES: tuple[tuple[str, str], ...] = (
    ("01002", "MA"),
    ("02138", "MA"),
    ("02903", "RI"),
    ("03755", "NH"),
    ("04401", "ME"),
    ("05401", "VT"),
    ("06405", "CT"),
    ("07039", "NJ"),
    ("08540", "NJ"),
    ("10003", "NY"),
    ("10025", "NY"),
    ("14850", "NY"),
    ("15213", "PA"),
    ("19104", "PA"),
    ("20009", "DC"),
    ("21218", "MD"),
    ("22903", "VA"),
    ("27514", "NC"),
    ("29208", "SC"),
    ("30303", "GA"),
    ("33139", "FL"),
    ("35487", "AL"),
    ("37203", "TN"),
    ("40502", "KY"),
    ("43210", "OH"),
    ("44106", "OH"),
    ("46202", "IN"),
    ("48104", "MI"),
    ("52242", "IA"),
    ("53706", "WI"),
    ("55414", "MN"),
    ("55455", "MN"),
    ("60201", "IL"),
    ("60614", "IL"),
    ("63130", "MO"),
    ("66044", "KS"),
    ("68503", "NE"),
    ("70118", "LA"),
    ("73019", "OK"),
    ("75230", "TX"),
    ("78712", "TX"),
    ("80302", "CO"),
    ("84112", "UT"),
    ("85281", "AZ"),
    ("87131", "NM"),
    ("90024", "CA"),
    ("94305", "CA"),
    ("94720", "CA"),
    ("96822", "HI"),
    ("97403", "OR"),
    ("98105", "WA"),
    ("99508", "AK"),
)
# MovieLens keeps only the first five characters of a Canadian postal code.
CANADIAN_POSTAL_CODES = ("T8H1N", "V3N4P", "L9G2B", "E2A4H", "Y1A6K", "M4J2K", "K7L5J")
INVALID_ZIP_CODES = ("00000", "123", "9999")
CANADIAN_SHARE = 0.02
INVALID_SHARE = 0.01

MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
IMDB_URL_PREFIX = "http://us.imdb.com/M/title-exact?"

NEUTRAL_ADJECTIVES = (
    "Silent",
    "Long",
    "Blue",
    "Northern",
    "Last",
    "Secret",
    "Hidden",
    "Red",
    "Iron",
    "Distant",
    "Golden",
    "Quiet",
    "Wild",
    "Eastern",
    "Endless",
    "Hollow",
    "Crimson",
    "Paper",
    "Electric",
    "Midnight",
    "Summer",
    "Little",
    "Second",
    "Final",
    "Empty",
    "Open",
    "Narrow",
    "Green",
)
SENTIMENT_ADJECTIVES = (
    "Happy",
    "Beautiful",
    "Good",
    "Wonderful",
    "Lovely",
    "Sweet",
    "Bad",
    "Evil",
    "Dead",
    "Terrible",
    "Sad",
    "Cruel",
)
NEUTRAL_NOUNS = (
    "River",
    "Train",
    "City",
    "Road",
    "House",
    "Island",
    "Mountain",
    "Harbor",
    "Garden",
    "Station",
    "Window",
    "Letter",
    "Mirror",
    "Bridge",
    "Horizon",
    "Desert",
    "Forest",
    "Highway",
    "Machine",
    "Stranger",
    "Detective",
    "Brother",
    "Sister",
    "Captain",
    "Dancer",
    "Stone",
    "Moon",
    "Ocean",
    "Street",
    "Game",
    "Journey",
    "Winter",
    "Kingdom",
    "Circus",
)
SENTIMENT_NOUNS = (
    "Love",
    "Hope",
    "Joy",
    "Paradise",
    "Fear",
    "Death",
    "Hate",
    "Nightmare",
    "Murder",
    "Revenge",
)
LATIN1_NOUNS = ("Café", "Fiancée", "Señorita", "Soirée", "Château", "Fräulein")
ALTERNATE_TITLES = (
    "Nachtzug",
    "La Nuit Blanche",
    "Il Viaggio",
    "Der Himmel",
    "Los Olvidados",
    "Le Café Noir",
    "Über den Fluss",
    "Året Runt",
    "Mañana",
    "Les Étoiles",
    "Die Brücke",
    "O Caçador",
)

# Share of each word group when a title needs an adjective or a noun.
ADJECTIVE_GROUPS = ((NEUTRAL_ADJECTIVES, 0.85), (SENTIMENT_ADJECTIVES, 0.15))
NOUN_GROUPS = ((NEUTRAL_NOUNS, 0.87), (SENTIMENT_NOUNS, 0.10), (LATIN1_NOUNS, 0.03))
# "Adjective Noun", "Noun" and "Noun of the Noun".
TITLE_PATTERN_SHARES = (0.55, 0.25, 0.20)
TITLE_ARTICLES = (("", 0.78), (", The", 0.16), (", A", 0.06))
ALTERNATE_TITLE_SHARE = 0.06
# ml-100k often knows only the release year and records it as 1 January.
NEW_YEAR_RELEASE_SHARE = 0.35

# Below this many movies the placeholder would crowd out the real ones.
MIN_MOVIES_FOR_PLACEHOLDER = 5
# Shares of real movies with one, two and three genres.
GENRE_COUNT_SHARES = (0.5, 0.35, 0.15)

# GroupLens kept only users with at least 20 ratings.
MIN_RATINGS_PER_USER = 20
# Log-normal spreads of the weights that skew movie popularity and user activity.
MOVIE_POPULARITY_SPREAD = 1.3
USER_ACTIVITY_SPREAD = 0.75
# A rating is BASE_RATING + user bias + movie quality + noise, rounded into 1..5.
# The base sits below 3.5 because popular movies get most ratings and are also
# drawn as the better ones, which lifts the overall mean to about 3.5.
BASE_RATING = 3.29
POPULARITY_QUALITY_EFFECT = 0.25
MOVIE_QUALITY_SPREAD = 0.4
USER_BIAS_SPREAD = 0.4
AGE_BIAS_PER_YEAR = 0.006
TYPICAL_AGE = 33
RATING_NOISE = 0.9
TYPICAL_RATING_SPELL_DAYS = 14.0
SECONDS_PER_DAY = 86_400

ALLOCATION_ROUNDS = 8
MAX_REDRAW_ROUNDS = 30
# Bounds the memory of the exact fallback sampler (cells of a users x movies grid).
FALLBACK_CELLS = 4_000_000
WRITE_CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class _RatingColumns:
    """The four u.data columns, one array each, in file row order."""

    user_id: IntArray
    movie_id: IntArray
    rating: IntArray
    timestamp: IntArray


def generate(
    out_dir: Path, *, users: int, movies: int, ratings: int, seed: int
) -> dict[str, int]:
    """Write a synthetic ``u.data``, ``u.item`` and ``u.user`` into ``out_dir``.

    Every user rates at least one movie and no user rates a movie twice, so
    ``ratings`` must lie between ``users`` and ``users * movies``. Returns the
    counts written, which are exactly the counts requested.
    """
    _check_counts(users=users, movies=movies, ratings=ratings)
    users_rng, movies_rng, ratings_rng = (
        np.random.default_rng(stream)
        for stream in np.random.SeedSequence(seed).spawn(3)
    )
    user_table = _make_users(users_rng, users)
    movie_table = _make_movies(movies_rng, movies)
    rating_columns = _make_ratings(ratings_rng, user_table, movie_table, ratings)

    out_path = Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    _write_ratings(out_path / "u.data", rating_columns)
    _write_movies(out_path / "u.item", movie_table)
    _write_users(out_path / "u.user", user_table)
    return {
        "ratings": int(rating_columns.user_id.size),
        "users": len(user_table),
        "movies": len(movie_table),
    }


def _check_counts(*, users: int, movies: int, ratings: int) -> None:
    """Reject counts that no data set without duplicate ratings can meet."""
    for name, count in (("users", users), ("movies", movies), ("ratings", ratings)):
        if count < 1:
            raise ValueError(f"{name} must be at least 1, got {count}")
    if ratings < users:
        raise ValueError(
            f"ratings ({ratings}) must be at least users ({users}): "
            "every user rates at least one movie"
        )
    if ratings > users * movies:
        raise ValueError(
            f"ratings ({ratings}) exceed users * movies ({users * movies}): "
            "a user can rate each movie only once"
        )


def _shares(weights: npt.ArrayLike) -> FloatArray:
    """Normalise non-negative weights into probabilities."""
    array = np.asarray(weights, dtype=np.float64)
    return array / float(array.sum())


# Users ---------------------------------------------------------------------------


def _make_users(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """Draw the users table: id, age, gender, occupation and ZIP code."""
    occupation_index = _occupations(rng, count)
    user_table: pd.DataFrame = pd.DataFrame(
        {
            "user_id": np.arange(1, count + 1),
            "age": _ages(rng, occupation_index),
            "gender": np.where(rng.random(count) < MALE_SHARE, "M", "F"),
            "occupation": np.asarray(OCCUPATIONS)[occupation_index],
            "zip_code": _zip_codes(rng, count),
        }
    )
    return user_table


def _occupations(rng: np.random.Generator, count: int) -> IntArray:
    """Draw occupation indices at ml-100k frequencies, each used once if possible."""
    shares = _shares([weight for _, weight, _ in OCCUPATION_PROFILES])
    occupation_index = rng.choice(len(OCCUPATIONS), size=count, p=shares)
    if count >= len(OCCUPATIONS):
        # Rare occupations (doctor, homemaker) would otherwise vanish from
        # small samples and break per-occupation summaries.
        showcase_users = rng.choice(count, size=len(OCCUPATIONS), replace=False)
        occupation_index[showcase_users] = np.arange(len(OCCUPATIONS))
    return occupation_index


def _ages(rng: np.random.Generator, occupation_index: IntArray) -> IntArray:
    """Draw ages scattered around the typical age of each user's occupation."""
    typical_age = np.asarray([age for _, _, age in OCCUPATION_PROFILES])
    scatter = rng.lognormal(0.0, AGE_SCATTER, size=occupation_index.size)
    ages = np.rint(typical_age[occupation_index] * scatter)
    return np.clip(ages, MIN_AGE, MAX_AGE).astype(np.int64)


def _zip_codes(rng: np.random.Generator, count: int) -> npt.NDArray[np.str_]:
    """Draw mostly US ZIP codes, with a few Canadian and invalid entries."""
    us_codes = np.asarray([code for code, _ in US_ZIP_CODES])
    # Some places host many more users than others, as Minneapolis did.
    us_shares = _shares(rng.lognormal(0.0, 1.0, size=us_codes.size))
    us = rng.choice(us_codes, size=count, p=us_shares)
    canadian = rng.choice(np.asarray(CANADIAN_POSTAL_CODES), size=count)
    invalid = rng.choice(np.asarray(INVALID_ZIP_CODES), size=count)
    kind = rng.random(count)
    return np.where(
        kind < CANADIAN_SHARE,
        canadian,
        np.where(kind < CANADIAN_SHARE + INVALID_SHARE, invalid, us),
    )


# Movies --------------------------------------------------------------------------


def _make_movies(rng: np.random.Generator, count: int) -> pd.DataFrame:
    """Draw the movies table in u.item column order, genre flags included."""
    is_placeholder = np.zeros(count, dtype=bool)
    if count >= MIN_MOVIES_FOR_PLACEHOLDER:
        is_placeholder[rng.integers(count)] = True

    years = _release_years(rng, count)
    release_dates = _release_dates(rng, years)
    titles = _titles(rng, years, is_placeholder)
    genre_flags = _genre_flags(rng, is_placeholder)

    descriptions = pd.DataFrame(
        {
            "movie_id": np.arange(1, count + 1),
            "title": titles,
            "release_date": np.where(is_placeholder, "", release_dates),
            "video_release_date": "",
            "imdb_url": [
                "" if unknown else IMDB_URL_PREFIX + _imdb_query(title)
                for title, unknown in zip(titles, is_placeholder, strict=True)
            ],
        }
    )
    flags = pd.DataFrame(genre_flags.astype(np.int8), columns=list(GENRES))
    movie_table: pd.DataFrame = pd.concat([descriptions, flags], axis=1)
    return movie_table


def _release_years(rng: np.random.Generator, count: int) -> IntArray:
    """Draw release years over 1920-1998, most of them in the 1990s."""
    years_back = np.floor(rng.exponential(RECENT_RELEASE_DECAY_YEARS, size=count))
    recent = LAST_RELEASE_YEAR - years_back
    classic = rng.integers(FIRST_RELEASE_YEAR, FIRST_RECENT_YEAR, size=count)
    years = np.where(rng.random(count) < RECENT_RELEASE_SHARE, recent, classic)
    return np.clip(years, FIRST_RELEASE_YEAR, LAST_RELEASE_YEAR).astype(np.int64)


def _release_dates(rng: np.random.Generator, years: IntArray) -> list[str]:
    """Draw a day within each release year, formatted like ``01-Jan-1995``."""
    year_start = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    year_end = (years - 1969).astype("datetime64[Y]").astype("datetime64[D]")
    days_available = (np.minimum(year_end, LAST_RELEASE_DATE) - year_start).astype(
        np.int64
    )
    day_offset = np.floor(rng.random(years.size) * days_available).astype(np.int64)
    day_offset[rng.random(years.size) < NEW_YEAR_RELEASE_SHARE] = 0
    dates = year_start + day_offset
    month_start = dates.astype("datetime64[M]")
    months = (month_start - dates.astype("datetime64[Y]")).astype(np.int64)
    days = (dates - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    # Formatted by hand: strftime("%b") would follow the machine's locale.
    return [
        f"{day:02d}-{MONTH_ABBREVIATIONS[month]}-{year}"
        for day, month, year in zip(days, months, years, strict=True)
    ]


def _imdb_query(title: str) -> str:
    """Quote a title the way ml-100k's IMDb links do (``Toy%20Story%20(1995)``)."""
    return quote(title, safe="(),'", encoding="latin-1")


def _titles(
    rng: np.random.Generator, years: IntArray, is_placeholder: BoolArray
) -> list[str]:
    """Build titles from word lists, ending in the release year."""
    count = years.size
    adjectives = _pick_words(rng, ADJECTIVE_GROUPS, count)
    nouns = _pick_words(rng, NOUN_GROUPS, count)
    second_nouns = _pick_words(rng, NOUN_GROUPS, count)
    pattern = rng.choice(3, size=count, p=_shares(TITLE_PATTERN_SHARES))
    articles = rng.choice(
        [article for article, _ in TITLE_ARTICLES],
        size=count,
        p=_shares([share for _, share in TITLE_ARTICLES]),
    )
    alternates = np.where(
        rng.random(count) < ALTERNATE_TITLE_SHARE,
        rng.choice(np.asarray(ALTERNATE_TITLES), size=count),
        "",
    )
    real_movies = np.flatnonzero(~is_placeholder)
    if real_movies.size:
        # Guarantees at least one non-ASCII title, so readers that ignore the
        # Latin-1 encoding of u.item fail loudly even on tiny data sets.
        latin1_alternates = [title for title in ALTERNATE_TITLES if not title.isascii()]
        alternates[rng.choice(real_movies)] = rng.choice(latin1_alternates)

    titles = []
    for index in range(count):
        if is_placeholder[index]:
            titles.append("unknown")
            continue
        if pattern[index] == 0:
            name = f"{adjectives[index]} {nouns[index]}"
        elif pattern[index] == 1:
            name = str(nouns[index])
        else:
            name = f"{nouns[index]} of the {second_nouns[index]}"
        alternate = f" ({alternates[index]})" if alternates[index] else ""
        titles.append(f"{name}{articles[index]}{alternate} ({years[index]})")
    return titles


def _pick_words(
    rng: np.random.Generator,
    groups: tuple[tuple[tuple[str, ...], float], ...],
    count: int,
) -> npt.NDArray[np.str_]:
    """Draw words so that each group gets its share and words within it are even."""
    words = [word for group, _ in groups for word in group]
    weights = [share / len(group) for group, share in groups for _ in group]
    return rng.choice(np.asarray(words), size=count, p=_shares(weights))


def _genre_flags(rng: np.random.Generator, is_placeholder: BoolArray) -> BoolArray:
    """Give each real movie 1-3 genres; the placeholder gets only ``unknown``.

    When there are enough real movies, every genre is forced onto at least one
    of them, since rare genres (Fantasy, Film-Noir) must appear in every genre
    breakdown.
    """
    count = is_placeholder.size
    genre_count = len(REAL_GENRES)
    frequency = np.asarray([weight for _, weight, _ in REAL_GENRES], dtype=np.float64)
    # Efraimidis-Spirakis keys: the top-k keys of a row are a weighted sample of k
    # genres without replacement.
    priority = np.log(1.0 - rng.random((count, genre_count))) / frequency
    forced_genres = np.zeros(count, dtype=np.int64)
    real_movies = np.flatnonzero(~is_placeholder)
    if real_movies.size * len(GENRE_COUNT_SHARES) >= genre_count:
        showcase_movies = rng.choice(
            real_movies, size=min(genre_count, real_movies.size), replace=False
        )
        # With fewer movies than genres, some showcase movies host several.
        hosts = showcase_movies[np.arange(genre_count) % showcase_movies.size]
        priority[hosts, np.arange(genre_count)] = np.inf
        forced_genres = np.bincount(hosts, minlength=count)
    ranks = np.argsort(np.argsort(-priority, axis=1, kind="stable"), axis=1)
    genres_per_movie = 1 + rng.choice(
        len(GENRE_COUNT_SHARES), size=count, p=_shares(GENRE_COUNT_SHARES)
    )
    genres_per_movie = np.maximum(genres_per_movie, forced_genres)
    real_flags = ranks < genres_per_movie[:, np.newaxis]
    real_flags[is_placeholder] = False
    return np.column_stack([is_placeholder, real_flags])


# Ratings -------------------------------------------------------------------------


def _make_ratings(
    rng: np.random.Generator,
    user_table: pd.DataFrame,
    movie_table: pd.DataFrame,
    count: int,
) -> _RatingColumns:
    """Draw ``count`` distinct (user, movie) ratings with values and timestamps.

    Rows come out in a seeded random order, as in the GroupLens file.
    """
    user_activity = rng.lognormal(0.0, USER_ACTIVITY_SPREAD, size=len(user_table))
    movie_popularity = rng.lognormal(
        0.0, MOVIE_POPULARITY_SPREAD, size=len(movie_table)
    )
    ratings_per_user = _ratings_per_user(
        rng, user_activity, count, movie_count=len(movie_table)
    )
    user_index, movie_index = _rating_pairs(rng, ratings_per_user, movie_popularity)

    user_bias = _user_bias(rng, user_table["age"].to_numpy())
    genre_flags = movie_table[list(GENRES[1:])].to_numpy(dtype=np.float64)
    movie_quality = _movie_quality(rng, movie_popularity, genre_flags)
    stars = _rating_values(rng, user_bias[user_index] + movie_quality[movie_index])
    timestamps = _timestamps(rng, user_index, user_count=len(user_table))

    order = rng.permutation(count)
    # Kept as plain arrays: a DataFrame of 10 million rows costs seconds to build.
    return _RatingColumns(
        user_id=user_index[order] + 1,
        movie_id=movie_index[order] + 1,
        rating=stars[order].astype(np.int64),
        timestamp=timestamps[order],
    )


def _ratings_per_user(
    rng: np.random.Generator, user_activity: FloatArray, total: int, movie_count: int
) -> IntArray:
    """Split ``total`` ratings over users by activity, each within 1..movie_count.

    Everyone first gets a floor (20 in ml-100k sized data, less when ratings are
    scarce) so that at least half the ratings follow the skewed activity weights.
    """
    user_count = user_activity.size
    floor = max(1, min(MIN_RATINGS_PER_USER, total // (2 * user_count)))
    extra = _allocate_capped(
        rng, total - floor * user_count, user_activity, capacity=movie_count - floor
    )
    return floor + extra


def _allocate_capped(
    rng: np.random.Generator, total: int, weights: FloatArray, capacity: int
) -> IntArray:
    """Split ``total`` units in proportion to ``weights``, at most ``capacity`` each.

    A few multinomial rounds hand overflow from full slots to open ones; whatever
    is left after that (only when nearly every slot is full) is topped up in index
    order so the loop always ends.
    """
    counts = np.zeros(weights.size, dtype=np.int64)
    for _ in range(ALLOCATION_ROUNDS):
        remaining = total - int(counts.sum())
        open_weights = np.where(counts < capacity, weights, 0.0)
        if remaining == 0 or not open_weights.any():
            break
        drawn = rng.multinomial(remaining, open_weights / open_weights.sum())
        counts = np.minimum(counts + drawn, capacity)
    remaining = total - int(counts.sum())
    spare = capacity - counts
    spare_before = np.cumsum(spare) - spare
    top_up: IntArray = np.clip(remaining - spare_before, 0, spare)
    return counts + top_up


def _rating_pairs(
    rng: np.random.Generator, ratings_per_user: IntArray, movie_popularity: FloatArray
) -> tuple[IntArray, IntArray]:
    """Choose distinct movies for every user, favouring popular movies.

    Each user's movies are drawn by popularity with replacement, and repeats are
    redrawn while that keeps paying off. Heavy raters of a small catalogue keep
    hitting movies they already have, so once a round settles fewer than half of
    the repeats, the rest is sampled exactly, without replacement, from the movies
    each user has not yet rated.
    """
    movie_count = movie_popularity.size
    probabilities = movie_popularity / movie_popularity.sum()
    user_index = np.repeat(
        np.arange(ratings_per_user.size, dtype=np.int64), ratings_per_user
    )
    movie_index = rng.choice(movie_count, size=user_index.size, p=probabilities)
    pair_keys = user_index * movie_count + movie_index
    rated_keys, first_slots = np.unique(pair_keys, return_index=True)
    is_repeat = np.ones(user_index.size, dtype=bool)
    is_repeat[first_slots] = False
    repeats = np.flatnonzero(is_repeat)

    for _ in range(MAX_REDRAW_ROUNDS):
        if repeats.size == 0:
            break
        movie_index[repeats] = rng.choice(
            movie_count, size=repeats.size, p=probabilities
        )
        candidate_keys = user_index[repeats] * movie_count + movie_index[repeats]
        is_new = ~_contains(rated_keys, candidate_keys)
        new_keys, first_new = np.unique(candidate_keys[is_new], return_index=True)
        rated_keys = np.insert(
            rated_keys, np.searchsorted(rated_keys, new_keys), new_keys
        )
        still_repeat = np.ones(repeats.size, dtype=bool)
        still_repeat[np.flatnonzero(is_new)[first_new]] = False
        settled_share = 1.0 - still_repeat.mean()
        repeats = repeats[still_repeat]
        if settled_share < 0.5:
            break

    if repeats.size:
        _fill_unrated(
            rng, user_index, movie_index, repeats, rated_keys, movie_popularity
        )
    return user_index, movie_index


def _contains(sorted_keys: IntArray, keys: IntArray) -> BoolArray:
    """Tell which ``keys`` occur in the sorted array ``sorted_keys``."""
    positions = np.searchsorted(sorted_keys, keys)
    found = positions < sorted_keys.size
    found[found] = sorted_keys[positions[found]] == keys[found]
    return found


def _fill_unrated(
    rng: np.random.Generator,
    user_index: IntArray,
    movie_index: IntArray,
    open_slots: IntArray,
    rated_keys: IntArray,
    movie_popularity: FloatArray,
) -> None:
    """Fill ``open_slots`` in place with movies their users have not yet rated.

    Works on blocks of users x movies grids, drawing each user's missing movies
    by popularity without replacement (Efraimidis-Spirakis keys).
    """
    movie_count = movie_popularity.size
    open_slots = open_slots[np.argsort(user_index[open_slots], kind="stable")]
    needy_users, needed = np.unique(user_index[open_slots], return_counts=True)
    users_per_block = max(1, FALLBACK_CELLS // movie_count)
    filled = 0
    for start in range(0, needy_users.size, users_per_block):
        block_users = needy_users[start : start + users_per_block]
        block_needed = needed[start : start + users_per_block]
        already_rated = _rated_grid(rated_keys, block_users, movie_count)
        priority = np.log(1.0 - rng.random(already_rated.shape)) / movie_popularity
        priority[already_rated] = -np.inf
        ranked_movies = np.argsort(-priority, axis=1, kind="stable")
        wanted = np.arange(movie_count) < block_needed[:, np.newaxis]
        chosen = ranked_movies[wanted]
        movie_index[open_slots[filled : filled + chosen.size]] = chosen
        filled += chosen.size


def _rated_grid(
    rated_keys: IntArray, block_users: IntArray, movie_count: int
) -> BoolArray:
    """Mark, for each of the ``block_users``, the movies they have already rated.

    ``rated_keys`` is sorted, so each user's keys form one contiguous run.
    """
    run_starts = np.searchsorted(rated_keys, block_users * movie_count)
    run_ends = np.searchsorted(rated_keys, (block_users + 1) * movie_count)
    run_lengths = run_ends - run_starts
    rows = np.repeat(np.arange(block_users.size), run_lengths)
    run_offsets = np.cumsum(run_lengths) - run_lengths
    positions = np.arange(run_lengths.sum()) + np.repeat(
        run_starts - run_offsets, run_lengths
    )
    grid = np.zeros((block_users.size, movie_count), dtype=bool)
    grid[rows, rated_keys[positions] % movie_count] = True
    return grid


def _user_bias(rng: np.random.Generator, ages: IntArray) -> FloatArray:
    """Draw how leniently each user rates; older users rate a little higher."""
    personal = rng.normal(0.0, USER_BIAS_SPREAD, size=ages.size)
    return personal + AGE_BIAS_PER_YEAR * (ages - TYPICAL_AGE)


def _movie_quality(
    rng: np.random.Generator, movie_popularity: FloatArray, genre_flags: FloatArray
) -> FloatArray:
    """Draw each movie's quality: better movies tend to be more popular.

    ``genre_flags`` holds the 18 real genre columns; a movie's genre effect is
    the mean shift of its genres.
    """
    log_popularity = np.log(movie_popularity)
    standardised = (log_popularity - log_popularity.mean()) / (
        log_popularity.std() or 1.0
    )
    genre_shift = np.asarray([shift for _, _, shift in REAL_GENRES])
    genres_per_movie = np.maximum(genre_flags.sum(axis=1), 1.0)
    quality: FloatArray = (
        POPULARITY_QUALITY_EFFECT * standardised
        + rng.normal(0.0, MOVIE_QUALITY_SPREAD, size=movie_popularity.size)
        + genre_flags @ genre_shift / genres_per_movie
    )
    return quality


def _rating_values(
    rng: np.random.Generator, expected_offset: FloatArray
) -> npt.NDArray[np.int8]:
    """Turn user bias plus movie quality into whole stars from 1 to 5."""
    noise = rng.normal(0.0, RATING_NOISE, size=expected_offset.size)
    return np.clip(np.rint(BASE_RATING + expected_offset + noise), 1, 5).astype(np.int8)


def _timestamps(
    rng: np.random.Generator, user_index: IntArray, user_count: int
) -> IntArray:
    """Draw rating times: each user joins at some point and rates in a burst.

    Times past the end of the collection period wrap around within the user's
    own window, so every timestamp stays inside the ml-100k period.
    """
    joined = rng.integers(FIRST_TIMESTAMP, LAST_TIMESTAMP + 1, size=user_count)
    spell_seconds = SECONDS_PER_DAY * rng.lognormal(
        np.log(TYPICAL_RATING_SPELL_DAYS), 1.0, size=user_count
    )
    delay = rng.exponential(1.0, size=user_index.size) * spell_seconds[user_index]
    window = LAST_TIMESTAMP - joined[user_index] + 1
    return joined[user_index] + delay.astype(np.int64) % window


# Writing -------------------------------------------------------------------------


def _write_ratings(path: Path, rating_columns: _RatingColumns) -> None:
    """Write ratings as tab-separated ``user movie rating timestamp`` lines."""
    columns = [
        rating_columns.user_id,
        rating_columns.movie_id,
        rating_columns.rating,
        rating_columns.timestamp,
    ]
    with path.open("wb") as handle:
        for start in range(0, rating_columns.user_id.size, WRITE_CHUNK_ROWS):
            chunk = [column[start : start + WRITE_CHUNK_ROWS] for column in columns]
            handle.write(_tab_separated_lines(chunk))


def _tab_separated_lines(columns: list[IntArray]) -> bytes:
    """Encode columns of non-negative integers as tab-separated ASCII lines.

    Does the decimal formatting in numpy: pandas' ``to_csv`` formats row by row
    and would spend most of the generation time on 10 million ratings. Each
    column becomes a right-aligned grid of digit bytes, and the leading padding
    is dropped at the end.
    """
    row_count = columns[0].size
    widths = [len(str(int(column.max()))) for column in columns]
    line_width = sum(widths) + len(columns)
    text = np.zeros((row_count, line_width), dtype=np.uint8)
    keep = np.ones((row_count, line_width), dtype=bool)
    position = 0
    for index, (column, width) in enumerate(zip(columns, widths, strict=True)):
        remainder = column.copy()
        for place in reversed(range(width)):
            text[:, position + place] = ord("0") + remainder % 10
            remainder //= 10
        digit_count = np.ones(row_count, dtype=np.int64)
        for power in range(1, width):
            digit_count += column >= 10**power
        keep[:, position : position + width] = (
            np.arange(width) >= (width - digit_count)[:, np.newaxis]
        )
        position += width
        text[:, position] = ord("\n") if index == len(columns) - 1 else ord("\t")
        position += 1
    return text[keep].tobytes()


def _write_movies(path: Path, movie_table: pd.DataFrame) -> None:
    """Write movies as the 24 pipe-separated u.item fields, Latin-1 encoded."""
    _write_pipe_separated(path, movie_table, encoding="latin-1")


def _write_users(path: Path, user_table: pd.DataFrame) -> None:
    """Write users as pipe-separated ``id|age|gender|occupation|zip`` lines."""
    _write_pipe_separated(path, user_table, encoding="ascii")


def _write_pipe_separated(path: Path, table: pd.DataFrame, encoding: str) -> None:
    """Write a table without header or quoting; no field may contain ``|``."""
    lines = ["|".join(map(str, row)) + "\n" for row in table.itertuples(index=False)]
    with path.open("w", encoding=encoding, newline="\n") as handle:
        handle.writelines(lines)
