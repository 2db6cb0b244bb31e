"""Property-based tests of the readers: Hypothesis writes the bad lines.

Whatever a ratings file holds, the reader either stops with a message naming
the file and a line that exists, or (lenient mode) accounts for every row: rows
read equal rows kept plus rows rejected, and each rejected row has a reason. A
file of blank lines is empty, which stops lenient mode too.

A ratings file of plain numbers is read in one pass, any other line by line;
both routes must give the same ratings, rejections and errors.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from microdata import MICRO_RATINGS, write_grouplens

from movielens_hail.readers import MalformedInputError, MovieLensData, read_movielens

FIELD = st.one_of(
    st.integers(min_value=-3, max_value=12).map(str),
    st.sampled_from(["", "x", "4.5", "1e3", " 3", "٣", "NaN", "881250949"]),
    st.text(alphabet="0123456789.-| a", max_size=6),
)
LINE = st.one_of(
    st.lists(FIELD, min_size=0, max_size=6).map("\t".join),
    st.sampled_from(MICRO_RATINGS),
)
RATING_FILES = st.lists(LINE, min_size=1, max_size=12)
PROPERTIES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def write(lines: list[str]) -> Path:
    """The micro data set with ``lines`` as its ratings file."""
    return write_grouplens(Path(tempfile.mkdtemp()), ratings=lines)


@PROPERTIES
@given(RATING_FILES)
def test_strict_mode_names_a_real_line_or_reads_everything(lines: list[str]) -> None:
    folder = write(lines)
    try:
        data = read_movielens(folder)
    except MalformedInputError as error:
        assert error.path in (folder / "u.data", folder / "u.item", folder / "u.user")
        assert error.line is None or 1 <= error.line <= len(lines)
        assert error.problem
    else:
        assert len(data.ratings) == len(lines)


@PROPERTIES
@given(RATING_FILES)
def test_lenient_mode_accounts_for_every_row(lines: list[str]) -> None:
    folder = write(lines)
    if not "".join(lines).strip():
        with pytest.raises(MalformedInputError, match=r"u\.data: file is empty"):
            read_movielens(folder, mode="lenient")
        return

    data = read_movielens(folder, mode="lenient")

    kept, rejected = len(data.ratings), len(data.rejected)
    assert data.rows_read["u.data"] == kept + rejected == len(lines)
    assert data.rejected["reason"].str.len().gt(0).all()
    assert data.rejected["line"].between(1, len(lines)).all()


# Plain lines: four whole numbers, in and out of range, naming known and unknown
# users (1-3) and movies (1-4), so that pairs repeat.
PLAIN_LINE = st.tuples(
    st.integers(0, 4), st.integers(0, 5), st.integers(0, 7), st.integers(0, 10**12)
).map(lambda fields: "\t".join(map(str, fields)))
PLAIN_FILES = st.lists(PLAIN_LINE, min_size=1, max_size=12)


def read_or_error(folder: Path, mode: str) -> MovieLensData | str:
    try:
        return read_movielens(folder, mode=mode)  # type: ignore[arg-type]
    except MalformedInputError as error:
        return str(error).replace(str(folder), "")


@PROPERTIES
@given(PLAIN_FILES, st.sampled_from(["strict", "lenient"]))
def test_plain_and_checked_reading_agree(lines: list[str], mode: str) -> None:
    plain = write(lines)
    # A space after the first line's timestamp changes no value, but the file is
    # no longer plain numbers, so it is read line by line.
    padded = write([lines[0] + " ", *lines[1:]])

    by_numbers, by_lines = read_or_error(plain, mode), read_or_error(padded, mode)

    if isinstance(by_numbers, str) or isinstance(by_lines, str):
        assert by_numbers == by_lines
        return
    assert by_numbers.ratings.equals(by_lines.ratings)
    assert by_numbers.rejected.equals(by_lines.rejected)
    assert by_numbers.rows_read == by_lines.rows_read
