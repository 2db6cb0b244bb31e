"""Print what the report's live-filter data costs, in both layouts.

Usage::

    python bench/filter_data.py results/hail OTHER/results/hail ...

For each folder of ingested Hail tables (what ``snakemake`` writes to
``results/hail``): the number of ratings, then for the layout that holds every
rating and for the one that holds counts per movie, sex, age group and rating,
the movies it keeps (at most the default ``saved_queries.max_embedded_movies``),
the seconds ``write_filter_data`` took and the bytes it wrote, which is what the
report grows by. The full layout is skipped above ``--max-ratings`` (the default
``saved_queries.max_embedded_ratings``), as the workflow would skip it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from movielens_hail.query import (
    DEFAULT_MAX_EMBEDDED_RATINGS,
    load_tables,
    write_filter_data,
)
from movielens_hail.session import start_hail

AGE_BINS = [1, 18, 25, 35, 45, 50, 56]
"""The workflow's default ``demographics.age_bins``."""


def measure(tables_dir: Path, max_ratings: int, scratch: Path) -> list[str]:
    """One printed line per layout for the tables in ``tables_dir``."""
    tables = load_tables(tables_dir)
    layouts = {"aggregates": 0}
    if tables.n_ratings <= max_ratings:
        layouts = {"ratings": tables.n_ratings, **layouts}
    lines = []
    for layout, limit in layouts.items():
        path = scratch / f"{layout}.json"
        started = time.perf_counter()
        data = write_filter_data(
            tables, path, 10.0, age_bins=AGE_BINS, max_embedded_ratings=limit
        )
        seconds = time.perf_counter() - started
        lines.append(
            f"{tables_dir}\t{tables.n_ratings}\t{layout}\t"
            f"{len(data['movies']['id'])}\t{seconds:.1f}\t{path.stat().st_size}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tables", type=Path, nargs="+", help="folders of Hail tables")
    parser.add_argument(
        "--max-ratings",
        type=int,
        default=DEFAULT_MAX_EMBEDDED_RATINGS,
        help="the most ratings the full layout is built for (default: %(default)s)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        start_hail(threads=2, log=Path(scratch) / "hail.log", tmp_dir=Path(scratch))
        print("tables\tratings\tlayout\tmovies\tseconds\tbytes")
        for tables_dir in args.tables:
            for line in measure(tables_dir, args.max_ratings, Path(scratch)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
