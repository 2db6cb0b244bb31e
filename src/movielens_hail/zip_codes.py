"""What a raw MovieLens ZIP code is, and where it is, looked up offline.

MovieLens keeps each user's ZIP code as typed at sign-up: mostly 5-digit US ZIP
codes, a few ZIP+4 codes, Canadian postal codes cut to five characters
("T8H1N"), and some codes of no known pattern. :func:`parse_zipcode` classifies
a code by its pattern alone; :func:`find_zip` looks a 5-digit ZIP up in the
offline ``zipcodes`` database, and :func:`zip_state` combines the two.

This module needs no JVM and no plotting library, so both the geography analysis
and the query model (which filters users by state) import it.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import zipcodes

US_ZIP = re.compile(r"(\d{5})(?:-?\d{4})?")
"""A 5-digit ZIP, optionally followed by the four digits of a ZIP+4."""
CANADIAN_POSTAL = re.compile(
    r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d(?:[ABCEGHJ-NPRSTV-Z]\d?)?"
)
"""A Canadian postal code (A1A 1A1), whole or cut to its first four or five
characters. The first letter is one Canada Post uses for a province; D, F, I, O,
Q and U appear in no position."""


class ParsedZipcode(NamedTuple):
    """What a raw code is, and its 5-digit US ZIP when it has one."""

    kind: str
    zip5: str | None


def parse_zipcode(raw: str | None) -> ParsedZipcode:
    """Classify a raw MovieLens ZIP code by its pattern alone.

    Surrounding blanks and letter case do not matter. A 5-digit code keeps its
    leading zeros ("02138"); a ZIP+4, with or without its hyphen, becomes its
    first five digits. Nothing is looked up here, so a well-formed code that no
    place has ("00000") is still ``us``.

    :return: kind ``us`` with the 5-digit ZIP, or kind ``canadian`` or
        ``invalid`` with no ZIP.
    """
    code = (raw or "").strip().upper()
    us_zip = US_ZIP.fullmatch(code)
    if us_zip:
        return ParsedZipcode("us", us_zip.group(1))
    if CANADIAN_POSTAL.fullmatch(code):
        return ParsedZipcode("canadian", None)
    return ParsedZipcode("invalid", None)


def find_zip(zip5: str) -> dict[str, Any] | None:
    """The ``zipcodes`` database record of a 5-digit ZIP, None if it has none.

    Retired codes that the database still holds are found, with the place they
    last served.
    """
    # The package's public function carries no annotations; its compiled core
    # does, and returns a list of records.
    records: list[dict[str, Any]] = zipcodes.matching(  # type: ignore[no-untyped-call]
        zip5
    )
    return records[0] if records else None


def zip_state(raw: str | None) -> str | None:
    """The two-letter state (or territory) of a raw code's US ZIP.

    :return: None for a Canadian code, a code of no known pattern, or a
        well-formed ZIP that the database does not hold.
    """
    zip5 = parse_zipcode(raw).zip5
    record = find_zip(zip5) if zip5 else None
    if record is None or not record["state"]:
        return None
    return str(record["state"])
