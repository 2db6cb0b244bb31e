"""Readers for the two raw layouts of MovieLens 100K.

GroupLens publishes the data as ``u.data`` (tab-separated ratings), ``u.item``
(pipe-separated movies with 19 genre flags, Latin-1) and ``u.user`` (pipe-separated
users). RecBole ships the same ratings, movies and users as tab-separated "atomic"
files with a typed header row: ``ml-100k.inter``, ``ml-100k.item``, ``ml-100k.user``.

Both layouts are read into the same three pandas frames, checked row by row (a
ratings file of plain numbers is read as numbers in one pass first; see
:func:`_plain_ratings`). In strict mode the first bad row stops the read with a
:class:`MalformedInputError` naming the file, the line and the problem. In lenient
mode bad rows are set aside in :attr:`MovieLensData.rejected`, one reason each, so
that for every file the rows read equal the rows kept plus the rows rejected.

The frames are plain Python data on purpose: this module needs no JVM, and the
ingest step hands its frames to Hail with declared types.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

Layout = Literal["grouplens", "recbole"]
Mode = Literal["strict", "lenient"]
Reasons = str | Callable[[pd.DataFrame], pd.Series]
"""Why rows are rejected: one reason for all, or a function of the rejected rows
that gives each its own (built for those rows alone, not for every row read)."""

GENRES: tuple[str, ...] = (
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
)
"""The 18 genres. GroupLens also has an "unknown" flag, which is not a genre: a
movie flagged only "unknown" has no genres, as in ``hail.utils.get_movie_lens``."""

UNKNOWN_GENRE = "unknown"

LAYOUT_FILES: dict[Layout, dict[str, str]] = {
    "grouplens": {"ratings": "u.data", "movies": "u.item", "users": "u.user"},
    "recbole": {
        "ratings": "ml-100k.inter",
        "movies": "ml-100k.item",
        "users": "ml-100k.user",
    },
}

RECBOLE_HEADERS = {
    "ratings": "user_id:token\titem_id:token\trating:float\ttimestamp:float",
    "movies": "item_id:token\tmovie_title:token_seq\trelease_year:token"
    "\tclass:token_seq",
    "users": "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token",
}

# RecBole's copy spells the title and year of the placeholder movie 267 this way;
# GroupLens calls it "unknown" and gives it no date.
RECBOLE_PLACEHOLDER = "unkonwn"

MONTHS = (
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun"),
    *("Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
)
RELEASE_DATE = re.compile(r"\d{2}-(?:" + "|".join(MONTHS) + r")-(\d{4})")
# The last "(1995)" in a title; a few titles end in a label such as "(V)".
TITLE_YEAR = re.compile(r"\((\d{4})\)(?!.*\(\d{4}\))")
RATING_FIELDS = ["user_id", "movie_id", "rating", "timestamp"]
# Matches at the start of every line that is not four plain whole numbers (ASCII
# digits, at most 18, so they fit in int64) separated by single tabs.
NOT_PLAIN_RATING = re.compile(
    rb"^(?!\d{1,18}\t\d{1,18}\t\d{1,18}\t\d{1,18}$)", flags=re.MULTILINE
)

MIN_AGE, MAX_AGE = 1, 120
SEXES = ("F", "M")
RATINGS = (1, 2, 3, 4, 5)


class MalformedInputError(ValueError):
    """A raw file that cannot be read, naming the file, the line and the problem."""

    def __init__(self, path: Path, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}" if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {problem}")


def verify_checksums(directory: Path) -> None:
    """Check each raw file against the SHA-256 its ``source.json`` recorded.

    A folder without ``source.json`` (data read straight from disk) is not
    checked. A file changed or cut short since it was fetched stops the run
    before anything is read from it.

    :raises MalformedInputError: naming the first file whose digest differs, or
        a ``source.json`` that does not parse.
    """
    record = directory / "source.json"
    if not record.exists():
        return
    try:
        files = json.loads(record.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedInputError(record, None, f"unreadable: {error}") from error
    for name, entry in sorted(files.items()):
        path = directory / name
        if not path.exists():
            raise MalformedInputError(path, None, "listed in source.json but missing")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != entry["sha256"]:
            raise MalformedInputError(
                path,
                None,
                f"SHA-256 {digest[:12]}... differs from {entry['sha256'][:12]}... "
                "recorded in source.json when it was fetched; delete the folder "
                "to fetch it again",
            )


@dataclass
class MovieLensData:
    """The three MovieLens tables as read from one raw layout.

    ``ratings`` has ``user_id``, ``movie_id``, ``rating`` and ``timestamp``;
    ``movies`` has ``id``, ``title``, ``release_date`` (GroupLens only),
    ``release_year`` and ``genres`` (a tuple of genre names); ``users`` has ``id``,
    ``age``, ``sex``, ``occupation`` and ``zipcode``. ``rejected`` lists the rows
    set aside in lenient mode with ``file``, ``line`` and ``reason``;
    ``rows_read`` counts the data rows of each file.
    """

    layout: Layout
    ratings: pd.DataFrame
    movies: pd.DataFrame
    users: pd.DataFrame
    rejected: pd.DataFrame
    rows_read: dict[str, int] = field(default_factory=dict)


class _Screen:
    """Collects the rejected rows of one file, or raises on the first in strict
    mode."""

    def __init__(self, path: Path, mode: Mode) -> None:
        self.path = path
        self.mode = mode
        self.rejected: list[pd.DataFrame] = []

    def reject(self, rows: pd.DataFrame | pd.Series, reasons: pd.Series | str) -> None:
        """Set aside ``rows`` (indexed by line number) for ``reasons``."""
        if len(rows) == 0:
            return
        lines = rows.index
        if isinstance(reasons, str):
            reasons = pd.Series(reasons, index=lines)
        if self.mode == "strict":
            others = len(lines) - 1
            more = f" ({others} more line{'s' if others > 1 else ''} like it)"
            raise MalformedInputError(
                self.path, int(lines[0]), reasons.iloc[0] + (more if others else "")
            )
        self.rejected.append(
            pd.DataFrame(
                {"file": self.path.name, "line": lines, "reason": reasons.to_numpy()}
            )
        )

    def keep(
        self, frame: pd.DataFrame, valid: pd.Series, reasons: Reasons
    ) -> pd.DataFrame:
        """Reject the rows of ``frame`` where ``valid`` is false; return the rest."""
        if valid.all():
            return frame
        rejected = frame[~valid]
        self.reject(
            rejected, reasons if isinstance(reasons, str) else reasons(rejected)
        )
        return frame[valid]


def detect_layout(directory: Path) -> Layout:
    """Name the raw layout of ``directory`` from the files it holds."""
    for layout, files in LAYOUT_FILES.items():
        if all((directory / name).is_file() for name in files.values()):
            return layout
    expected = " or ".join(", ".join(files.values()) for files in LAYOUT_FILES.values())
    raise MalformedInputError(
        directory, None, f"no MovieLens files found; expected {expected}"
    )


def read_movielens(directory: Path, mode: Mode = "strict") -> MovieLensData:
    """Read the MovieLens files in ``directory``, in whichever layout they are.

    :param directory: a folder in the GroupLens or the RecBole layout.
    :param mode: ``strict`` raises on the first bad row; ``lenient`` sets bad rows
        aside in ``rejected``.
    :return: the checked tables, with ratings that name unknown users or movies
        and repeated (user, movie) pairs treated as bad rows.
    """
    layout = detect_layout(directory)
    paths = {table: directory / name for table, name in LAYOUT_FILES[layout].items()}
    screens = {table: _Screen(path, mode) for table, path in paths.items()}
    rows_read: dict[str, int] = {}

    lines = {}
    plain_ratings = _plain_ratings(
        paths["ratings"], RECBOLE_HEADERS["ratings"] if layout == "recbole" else None
    )
    for table, path in paths.items():
        if table == "ratings" and plain_ratings is not None:
            rows_read[path.name] = len(plain_ratings)
            continue
        lines[table] = _read_lines(path, _encoding(layout, table), screens[table])
        if layout == "recbole":
            lines[table] = _drop_header(lines[table], RECBOLE_HEADERS[table], path)
        rows_read[path.name] = len(lines[table])

    if layout == "grouplens":
        users = _grouplens_users(lines["users"], screens["users"])
        movies = _grouplens_movies(lines["movies"], screens["movies"])
    else:
        users = _recbole_users(lines["users"], screens["users"])
        movies = _recbole_movies(lines["movies"], screens["movies"])
    if plain_ratings is None:
        ratings = _ratings(lines["ratings"], screens["ratings"])
    else:
        ratings = _ranged_ratings(plain_ratings, screens["ratings"])
    ratings = _linked_ratings(ratings, users, movies, screens["ratings"])

    rejected = [part for screen in screens.values() for part in screen.rejected]
    return MovieLensData(
        layout=layout,
        ratings=ratings.reset_index(drop=True),
        movies=movies.reset_index(drop=True),
        users=users.reset_index(drop=True),
        rejected=(
            pd.concat(rejected, ignore_index=True)
            if rejected
            else pd.DataFrame({"file": [], "line": [], "reason": []})
        ).astype({"file": str, "line": "int64", "reason": str}),
        rows_read=rows_read,
    )


def _encoding(layout: Layout, table: str) -> str:
    return "latin-1" if (layout, table) == ("grouplens", "movies") else "utf-8"


def _plain_ratings(path: Path, header: str | None) -> pd.DataFrame | None:
    """The ratings file read in one pass, if every data line is four plain whole
    numbers (see :data:`NOT_PLAIN_RATING`); else None.

    Almost every ratings file is plain, and reading it as numbers at once takes
    a tenth of the time and memory of checking it line by line as text, which
    :func:`_ratings` does for the rest and which gives the same frame for a
    plain file. The frame is indexed by line number; ranges, users, movies and
    repeated pairs are checked afterwards as for any file.

    :param header: the header line the file must start with, if any.
    """
    raw = path.read_bytes()
    first_line = 1
    if header is not None:
        if not raw.startswith(header.encode() + b"\n"):
            return None
        raw = raw[len(header) + 1 :]
        first_line = 2
    if not raw.endswith(b"\n") or NOT_PLAIN_RATING.search(raw, 0, len(raw) - 1):
        return None
    ratings = pd.read_csv(
        io.BytesIO(raw), sep="\t", header=None, names=RATING_FIELDS, dtype="int64"
    )
    ratings.index = pd.RangeIndex(first_line, first_line + len(ratings))
    return ratings


def _read_lines(path: Path, encoding: str, screen: _Screen) -> pd.Series:
    """The file's lines as strings indexed by 1-based line number."""
    raw = path.read_bytes()
    if not raw.strip():
        raise MalformedInputError(path, None, "file is empty")
    if not raw.endswith(b"\n"):
        # A last line without its newline is what a cut-off download looks like.
        last = raw.count(b"\n") + 1
        raise MalformedInputError(
            path, last, "file ends mid-line (no final newline): truncated?"
        )
    chunks = raw[:-1].split(b"\n")
    index = pd.RangeIndex(1, len(chunks) + 1)
    try:
        text = raw[:-1].decode(encoding)
    except UnicodeDecodeError:
        decoded = pd.Series([_decode(chunk, encoding) for chunk in chunks], index=index)
        bad = decoded.isna()
        screen.reject(decoded[bad], f"not valid {encoding} text")
        return decoded[~bad].str.removesuffix("\r")
    return pd.Series(text.split("\n"), index=index).str.removesuffix("\r")


def _decode(chunk: bytes, encoding: str) -> str | None:
    try:
        return chunk.decode(encoding)
    except UnicodeDecodeError:
        return None


def _drop_header(lines: pd.Series, expected: str, path: Path) -> pd.Series:
    if len(lines) == 0 or lines.iloc[0] != expected:
        found = lines.iloc[0] if len(lines) else ""
        raise MalformedInputError(
            path, 1, f"header is {found!r}; expected {expected!r}"
        )
    return lines.iloc[1:]


def _fields(
    lines: pd.Series, separator: str, names: list[str], screen: _Screen
) -> pd.DataFrame:
    """Split lines into named string columns, rejecting lines with a wrong count."""
    label = {"\t": "tab", "|": "pipe"}[separator]
    counts = lines.str.count(re.escape(separator)) + 1
    blank = lines.str.strip() == ""
    screen.reject(lines[blank], "blank line")
    lines, counts = lines[~blank], counts[~blank]
    wrong = counts != len(names)
    screen.reject(
        lines[wrong],
        f"expected {len(names)} {label}-separated fields, found "
        + counts[wrong].astype(str),
    )
    lines = lines[~wrong]
    if len(lines) == 0:
        return pd.DataFrame({name: pd.Series(dtype=str) for name in names})
    frame = lines.str.split(separator, expand=True, regex=False)
    frame.columns = names
    return frame


@dataclass(frozen=True)
class _Bounds:
    """The whole numbers a column allows, and the name its messages give it."""

    what: str
    low: int
    high: int | None = None

    @property
    def allowed(self) -> str:
        if self.high is None:
            return f"a whole number >= {self.low}"
        return f"{self.low}-{self.high}"


def _whole_numbers(
    frame: pd.DataFrame, column: str, screen: _Screen, bounds: _Bounds
) -> pd.DataFrame:
    """Check that ``column`` holds whole numbers within ``bounds``; convert it."""
    frame = frame.assign(**{column: frame[column].str.strip()})
    # str.isdecimal accepts exactly the digits of \d+, and is faster than a regex.
    numeric = frame[column].str.isdecimal()
    frame = screen.keep(
        frame,
        numeric,
        lambda rows: (
            f"{bounds.what} " + rows[column].map(repr) + f" is not {bounds.allowed}"
        ),
    )
    frame = frame.assign(**{column: frame[column].astype("int64")})
    return _in_range(frame, column, screen, bounds)


def _in_range(
    frame: pd.DataFrame, column: str, screen: _Screen, bounds: _Bounds
) -> pd.DataFrame:
    """Check that the whole numbers of ``column`` lie within ``bounds``."""
    numbers = frame[column]
    in_range = numbers >= bounds.low
    if bounds.high is not None:
        in_range &= numbers <= bounds.high
    return screen.keep(
        frame,
        in_range,
        lambda rows: (
            f"{bounds.what} "
            + rows[column].astype(str)
            + f" is outside {bounds.allowed}"
        ),
    )


def _unique_ids(frame: pd.DataFrame, screen: _Screen, what: str) -> pd.DataFrame:
    repeated = frame["id"].duplicated(keep="first")
    return screen.keep(
        frame,
        ~repeated,
        lambda rows: f"{what} id " + rows["id"].astype(str) + " appears twice",
    )


RATING_BOUNDS = {
    "user_id": _Bounds("user id", 1),
    "movie_id": _Bounds("movie id", 1),
    "rating": _Bounds("rating", RATINGS[0], RATINGS[-1]),
    "timestamp": _Bounds("timestamp", 0),
}


def _ratings(lines: pd.Series, screen: _Screen) -> pd.DataFrame:
    ratings = _fields(lines, "\t", RATING_FIELDS, screen)
    for column, bounds in RATING_BOUNDS.items():
        ratings = _whole_numbers(ratings, column, screen, bounds)
    return ratings


def _ranged_ratings(ratings: pd.DataFrame, screen: _Screen) -> pd.DataFrame:
    """The checks of :func:`_ratings` for ratings already read as numbers."""
    for column, bounds in RATING_BOUNDS.items():
        ratings = _in_range(ratings, column, screen, bounds)
    return ratings


def _linked_ratings(
    ratings: pd.DataFrame, users: pd.DataFrame, movies: pd.DataFrame, screen: _Screen
) -> pd.DataFrame:
    """Reject ratings of unknown users or movies, and repeated (user, movie) pairs."""
    known_user = ratings["user_id"].isin(users["id"])
    ratings = screen.keep(
        ratings,
        known_user,
        lambda rows: (
            "user " + rows["user_id"].astype(str) + " is not in the users file"
        ),
    )
    known_movie = ratings["movie_id"].isin(movies["id"])
    ratings = screen.keep(
        ratings,
        known_movie,
        lambda rows: (
            "movie " + rows["movie_id"].astype(str) + " is not in the movies file"
        ),
    )
    repeated = ratings.duplicated(["user_id", "movie_id"], keep="first")
    return screen.keep(ratings, ~repeated, lambda rows: _repeated_pairs(ratings, rows))


def _repeated_pairs(ratings: pd.DataFrame, repeats: pd.DataFrame) -> pd.Series:
    """Why each of ``repeats`` is rejected: the line where ``ratings`` first
    holds its (user, movie) pair."""
    pair = ["user_id", "movie_id"]
    firsts = (
        ratings.reset_index()
        .drop_duplicates(pair, keep="first")
        .set_index(pair)["index"]
    )
    first_line = firsts.reindex(pd.MultiIndex.from_frame(repeats[pair])).to_numpy()
    return (
        "user "
        + repeats["user_id"].astype(str)
        + " rated movie "
        + repeats["movie_id"].astype(str)
        + " already on line "
        + pd.Series(first_line, index=repeats.index).astype(str)
    )


def _checked_users(users: pd.DataFrame, screen: _Screen) -> pd.DataFrame:
    users = _whole_numbers(users, "id", screen, _Bounds("user id", 1))
    users = _unique_ids(users, screen, "user")
    users = _whole_numbers(users, "age", screen, _Bounds("age", MIN_AGE, MAX_AGE))
    sex_known = users["sex"].isin(SEXES)
    users = screen.keep(
        users, sex_known, lambda rows: "sex " + rows["sex"].map(repr) + " is not F or M"
    )
    for column in ("occupation", "zipcode"):
        present = users[column].str.strip() != ""
        users = screen.keep(users, present, f"{column} is empty")
    return users.assign(
        occupation=users["occupation"].str.strip(), zipcode=users["zipcode"].str.strip()
    )


def _grouplens_users(lines: pd.Series, screen: _Screen) -> pd.DataFrame:
    users = _fields(lines, "|", ["id", "age", "sex", "occupation", "zipcode"], screen)
    return _checked_users(users, screen)


def _recbole_users(lines: pd.Series, screen: _Screen) -> pd.DataFrame:
    users = _fields(lines, "\t", ["id", "age", "sex", "occupation", "zipcode"], screen)
    return _checked_users(users, screen)


def _checked_titles(movies: pd.DataFrame, screen: _Screen) -> pd.DataFrame:
    movies = movies.assign(title=movies["title"].str.strip())
    titled = movies["title"] != ""
    movies = screen.keep(movies, titled, "title is empty")
    no_tab = ~movies["title"].str.contains("\t", regex=False)
    return screen.keep(movies, no_tab, "title contains a tab")


def _grouplens_movies(lines: pd.Series, screen: _Screen) -> pd.DataFrame:
    flags = [UNKNOWN_GENRE, *GENRES]
    names = ["id", "title", "release_date", "video_release_date", "imdb_url", *flags]
    movies = _fields(lines, "|", names, screen)
    movies = _whole_numbers(movies, "id", screen, _Bounds("movie id", 1))
    movies = _unique_ids(movies, screen, "movie")
    movies = _checked_titles(movies, screen)

    date = movies["release_date"].str.strip()
    dated = (date == "") | date.str.fullmatch(RELEASE_DATE.pattern)
    movies = screen.keep(
        movies,
        dated,
        lambda rows: (
            "release date "
            + rows["release_date"].str.strip().map(repr)
            + " is not like 01-Jan-1995 or empty"
        ),
    )
    for flag in flags:
        binary = movies[flag].isin(("0", "1"))
        movies = screen.keep(movies, binary, _not_a_flag(flag))

    date = movies["release_date"].str.strip()
    date_year = pd.to_numeric(date.str.extract(RELEASE_DATE)[0], errors="coerce")
    genre_flags = movies[list(GENRES)] == "1"
    genres = [
        tuple(genre for genre, flagged in zip(GENRES, row, strict=True) if flagged)
        for row in genre_flags.itertuples(index=False)
    ]
    return pd.DataFrame(
        {
            "id": movies["id"],
            "title": movies["title"],
            "release_date": date.where(date != "", None),
            "release_year": _title_year(movies["title"])
            .fillna(date_year)
            .astype("Int64"),
            "genres": pd.Series(genres, index=movies.index, dtype=object),
        }
    )


def _not_a_flag(flag: str) -> Callable[[pd.DataFrame], pd.Series]:
    """Why rows whose genre flag ``flag`` is neither 0 nor 1 are rejected."""
    return lambda rows: (
        f"genre flag {flag!r} is " + rows[flag].map(repr) + ", not 0 or 1"
    )


def _recbole_movies(lines: pd.Series, screen: _Screen) -> pd.DataFrame:
    movies = _fields(lines, "\t", ["id", "title", "year", "classes"], screen)
    movies = _whole_numbers(movies, "id", screen, _Bounds("movie id", 1))
    movies = _unique_ids(movies, screen, "movie")
    movies = _checked_titles(movies, screen)

    # RecBole's year field is the last parenthesised part of the GroupLens title:
    # usually the year, sometimes a label such as "V" (video release).
    suffix = movies["year"].str.strip()
    movies = screen.keep(movies, suffix != "", "release year is empty")

    classes = movies["classes"].str.split()
    allowed = {*GENRES, UNKNOWN_GENRE}
    unknown = classes.map(lambda names: sorted(set(names) - allowed))
    movies = screen.keep(
        movies,
        unknown.str.len() == 0,
        lambda rows: "unknown genre " + unknown[rows.index].map(", ".join),
    )

    suffix = movies["year"].str.strip()
    placeholder = suffix == RECBOLE_PLACEHOLDER
    title = movies["title"].where(~placeholder, "unknown")
    title = title.where(placeholder, title + " (" + suffix + ")")
    genres = (
        movies["classes"]
        .str.split()
        .map(lambda names: tuple(genre for genre in GENRES if genre in names))
    )
    return pd.DataFrame(
        {
            "id": movies["id"],
            "title": title,
            "release_date": None,
            "release_year": _title_year(title).astype("Int64"),
            "genres": genres,
        }
    )


def _title_year(titles: pd.Series) -> pd.Series:
    """The year in a title's last "(1995)", or missing."""
    return pd.to_numeric(titles.str.extract(TITLE_YEAR)[0], errors="coerce")
