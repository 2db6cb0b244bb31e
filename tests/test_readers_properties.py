"""Property-based tests of the readers: Hypothesis writes the bad lines.

Whatever a ratings file holds, the reader either stops with a message naming
the file and a line that exists, or (lenient mode) accounts for every row: rows
read equal rows kept plus rows rejected, and each rejected row has a reason. A
file of blank lines is empty, which stops lenient mode too.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from microdata import MICRO_RATINGS, write_grouplens

from movielens_hail.readers import MalformedInputError, read_movielens

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
