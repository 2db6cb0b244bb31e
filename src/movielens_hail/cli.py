"""The ``movielens-hail`` command line.

``synth`` writes a synthetic data set; ``query`` ranks movies by the ratings that
pass some criteria, on the Hail tables the workflow writes (see
:mod:`movielens_hail.query`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from movielens_hail.query import Criteria

DEFAULT_TABLES = Path("results/hail")
DEFAULT_PRIOR_WEIGHT = 10.0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per tool."""
    parser = argparse.ArgumentParser(
        prog="movielens-hail",
        description="Tools around the MovieLens-on-Hail workflow.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    synth = commands.add_parser(
        "synth",
        help="write a synthetic data set in the GroupLens layout",
        description=(
            "Write u.data, u.item and u.user with realistic shapes (skewed movie "
            "popularity and user activity, every genre, US and a few non-US ZIP "
            "codes, release years over decades). The same arguments always give "
            "the same files. Point dataset.local_dir at the output to run the "
            "workflow on it."
        ),
    )
    synth.add_argument("--users", type=int, default=943, help="number of users")
    synth.add_argument("--movies", type=int, default=1682, help="number of movies")
    synth.add_argument("--ratings", type=int, default=100_000, help="number of ratings")
    synth.add_argument("--seed", type=int, default=1, help="random seed")
    synth.add_argument("--out", type=Path, required=True, help="output folder")

    add_query_parser(commands)
    return parser


def add_query_parser(commands: Any) -> None:
    """The ``query`` sub-command and its options, one per criterion."""
    query = commands.add_parser(
        "query",
        help="rank movies by the ratings that pass some criteria",
        description=(
            "Rank movies by the ratings that pass the criteria: by the movie "
            "(genre, release year, title), by the user who rated it (sex, age, "
            "occupation, state, ZIP code) and by the rating itself. Every "
            "criterion is optional and ranges are inclusive. Reads the Hail "
            "tables that `snakemake --cores 2` writes; nothing is written."
        ),
        epilog=(
            "Example: movielens-hail query --genre Comedy --sex F --age 18-29 "
            "--min-count 20 --limit 10. Exit status: 0 on success (also when no "
            "movie matches), 1 when the tables are missing, 2 for invalid "
            "criteria."
        ),
    )
    movies = query.add_argument_group("which movies")
    movies.add_argument(
        "--genre",
        action="append",
        default=[],
        metavar="GENRE",
        help="the movie has at least one of these genres; repeat for more "
        "(Comedy, Sci-Fi, Children's, ...)",
    )
    movies.add_argument(
        "--all-genres",
        action="append",
        default=[],
        metavar="GENRE",
        help="the movie has every one of these genres; repeat for more",
    )
    movies.add_argument(
        "--year",
        type=year_range,
        metavar="A-B",
        help="released from year A to year B; A- or -B leaves one end open. "
        "Movies without a release year never match",
    )
    movies.add_argument(
        "--title",
        help="the title contains this text, ignoring letter case",
    )
    users = query.add_argument_group("whose ratings")
    users.add_argument(
        "--sex",
        type=str.upper,
        help="the user's sex: F or M",
    )
    users.add_argument(
        "--age",
        type=age_range,
        metavar="A-B",
        help="the user is A to B years old; A- or -B leaves one end open",
    )
    users.add_argument(
        "--occupation",
        action="append",
        default=[],
        metavar="NAME",
        help="the user's occupation is one of these; repeat for more "
        "(student, programmer, ...)",
    )
    users.add_argument(
        "--state",
        action="append",
        default=[],
        metavar="XX",
        help="the user's ZIP code lies in this two-letter US state; repeat for "
        "more. Users with Canadian or unknown codes have no state",
    )
    users.add_argument(
        "--zip-prefix",
        metavar="DIGITS",
        help="the user's ZIP code, as typed, starts with this",
    )
    ratings = query.add_argument_group("which ratings and movies count")
    ratings.add_argument(
        "--rating",
        type=rating_range,
        metavar="A-B",
        help="only ratings of A to B stars count; A- or -B leaves one end open",
    )
    ratings.add_argument(
        "--min-count",
        type=int,
        default=1,
        metavar="N",
        help="a movie needs at least N matching ratings (default: 1)",
    )
    ratings.add_argument(
        "--min-mean",
        type=float,
        metavar="STARS",
        help="a movie's matching ratings need at least this mean",
    )
    output = query.add_argument_group("ranking and output")
    output.add_argument(
        "--sort",
        choices=("mean", "count", "damped_mean"),
        default="mean",
        help="rank by the mean of the matching ratings, by their number, or by "
        "the damped mean, which adds --prior-weight pseudo-ratings at the mean "
        "of all ratings; always highest first (default: mean)",
    )
    output.add_argument(
        "--limit",
        type=int,
        default=20,
        metavar="N",
        help="list the top N movies (default: 20)",
    )
    output.add_argument(
        "--prior-weight",
        type=float,
        metavar="W",
        help="pseudo-ratings in the damped mean (default: stats.prior_weight of "
        "--configfile if it sets one, else 10)",
    )
    output.add_argument(
        "--format",
        choices=("table", "tsv", "json"),
        default="table",
        help="table: aligned columns; tsv: a header row and tab-separated rows; "
        "json: a list of row objects (default: table)",
    )
    source = query.add_argument_group("data")
    source.add_argument(
        "--tables",
        type=Path,
        default=DEFAULT_TABLES,
        metavar="DIR",
        help="the folder holding movies.ht, ratings.ht and users.ht "
        f"(default: {DEFAULT_TABLES})",
    )
    source.add_argument(
        "--configfile",
        type=Path,
        default=Path("config.yaml"),
        metavar="FILE",
        help="the workflow config, read only for stats.prior_weight; ignored if "
        "absent (default: config.yaml)",
    )


def parse_range(text: str, what: str) -> tuple[int | None, int | None]:
    """``A-B``, ``A-``, ``-B`` or a lone ``A`` as inclusive bounds.

    :raises argparse.ArgumentTypeError: naming the accepted forms.
    """
    low, dash, high = text.strip().partition("-")
    try:
        if not dash:
            return int(low), int(low)
        bounds = (int(low) if low else None, int(high) if high else None)
    except ValueError:
        bounds = (None, None)
    if bounds == (None, None):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a range of {what}: give A-B, A- or -B with whole "
            "numbers, e.g. 18-29"
        )
    return bounds


def age_range(text: str) -> tuple[int | None, int | None]:
    """An ``--age`` range."""
    return parse_range(text, "ages")


def year_range(text: str) -> tuple[int | None, int | None]:
    """A ``--year`` range."""
    return parse_range(text, "years")


def rating_range(text: str) -> tuple[int | None, int | None]:
    """A ``--rating`` range."""
    return parse_range(text, "stars")


def criteria_from_args(args: argparse.Namespace) -> Criteria:
    """The query's criteria from the parsed options."""
    from movielens_hail.query import Criteria

    age_min, age_max = args.age or (None, None)
    year_min, year_max = args.year or (None, None)
    rating_min, rating_max = args.rating or (None, None)
    return Criteria(
        genres_any=tuple(args.genre),
        genres_all=tuple(args.all_genres),
        sex=args.sex,
        age_min=age_min,
        age_max=age_max,
        occupations=tuple(args.occupation),
        states=tuple(args.state),
        zip_prefix=args.zip_prefix,
        year_min=year_min,
        year_max=year_max,
        title=args.title,
        rating_min=rating_min,
        rating_max=rating_max,
        min_count=args.min_count,
        min_mean=args.min_mean,
        sort=args.sort,
        limit=args.limit,
    )


def config_prior_weight(path: Path) -> float:
    """``stats.prior_weight`` of the config at ``path``; 10 without one.

    :raises ValueError: when the file is not a mapping or the weight is not a
        number of at least 0.
    """
    if not path.is_file():
        return DEFAULT_PRIOR_WEIGHT
    import yaml

    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path} does not hold a mapping of settings")
    weight = (config.get("stats") or {}).get("prior_weight", DEFAULT_PRIOR_WEIGHT)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
        raise ValueError(
            f"stats.prior_weight in {path} is {weight!r}; it must be a number of "
            "at least 0"
        )
    return float(weight)


@contextlib.contextmanager
def console_to(log: Path) -> Iterator[None]:
    """Send file descriptors 1 and 2 to ``log`` for the block.

    The JVM that Hail starts inherits both, so Spark's start-up warnings go to
    the log for the whole session instead of mixing with the printed result.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with log.open("a", encoding="utf-8") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for descriptor, copy in enumerate(saved, start=1):
                os.dup2(copy, descriptor)
                os.close(copy)


def start_quiet_hail(scratch: Path) -> None:
    """Start Hail with its log and temporary files in ``scratch``, or keep the
    session that is already running."""
    import hail as hl

    from movielens_hail.session import find_java, init_options

    find_java()
    log = scratch / "hail.log"
    options = init_options(
        threads=os.cpu_count() or 1,
        log=log,
        tmp_dir=scratch / "tmp",
        spark_conf={"spark.ui.showConsoleProgress": "false"},
    )
    with console_to(log), warnings.catch_warnings():
        # Hail warns that it was built for Java 11; it runs fine on 17.
        warnings.simplefilter("ignore", UserWarning)
        hl.init(**options, idempotent=True)


def format_table(records: Sequence[dict[str, Any]]) -> str:
    """Result rows as plain-text columns under a header: numbers right-aligned,
    text left-aligned, a missing year blank."""
    from movielens_hail.query import OUTPUT_DECIMALS, RESULT_COLUMNS

    means = {"mean_rating", "damped_mean"}
    right = {"rank", "movie_id", "release_year", "n_ratings", *means}

    def cell(column: str, value: Any) -> str:
        if value is None:
            return ""
        return f"{value:.{OUTPUT_DECIMALS}f}" if column in means else str(value)

    cells = [list(RESULT_COLUMNS)]
    cells += [
        [cell(column, row[column]) for column in RESULT_COLUMNS] for row in records
    ]
    widths = [max(len(line[index]) for line in cells) for index in range(len(cells[0]))]
    return "\n".join(
        "  ".join(
            text.rjust(width) if column in right else text.ljust(width)
            for text, width, column in zip(line, widths, RESULT_COLUMNS, strict=True)
        ).rstrip()
        for line in cells
    )


def print_result(result: pd.DataFrame, output_format: str) -> None:
    """Write the ranked movies to stdout in ``output_format``."""
    from movielens_hail.query import output_frame, result_records

    records = result_records(result)
    if output_format == "json":
        print(json.dumps(records, indent=2, ensure_ascii=False))
    elif output_format == "tsv":
        sys.stdout.write(
            output_frame(result).to_csv(sep="\t", index=False, lineterminator="\n")
        )
    else:
        print(format_table(records))
        if not records:
            print("(no movie matches these criteria)")


def run_query_command(args: argparse.Namespace) -> int:
    """The ``query`` sub-command; return the exit status."""
    from movielens_hail.query import (
        QueryError,
        TablesNotFoundError,
        check_tables,
        load_tables,
        run_query,
        validate,
    )
    from movielens_hail.session import JavaNotFoundError

    def fail(problems: Sequence[str], status: int) -> int:
        for problem in problems:
            print(f"movielens-hail query: {problem}", file=sys.stderr)
        return status

    # Everything that needs no data is checked before the JVM starts.
    criteria = criteria_from_args(args)
    try:
        validate(criteria)
        prior_weight = (
            args.prior_weight
            if args.prior_weight is not None
            else config_prior_weight(args.configfile)
        )
    except QueryError as error:
        return fail(error.problems, 2)
    except ValueError as error:
        return fail([str(error)], 2)
    if prior_weight < 0:
        return fail([f"--prior-weight: {prior_weight:g} is below 0"], 2)
    try:
        check_tables(args.tables)
    except TablesNotFoundError as error:
        return fail([str(error)], 1)

    with tempfile.TemporaryDirectory(
        prefix="movielens-hail-query-", ignore_cleanup_errors=True
    ) as scratch:
        try:
            start_quiet_hail(Path(scratch))
            result = run_query(load_tables(args.tables), criteria, prior_weight)
        except (JavaNotFoundError, TablesNotFoundError) as error:
            return fail([str(error)], 1)
        except QueryError as error:
            return fail(error.problems, 2)
    print_result(result, args.format)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named in ``argv``; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "query":
        return run_query_command(args)
    if args.command == "synth":
        from movielens_hail.synth import generate

        try:
            counts = generate(
                args.out,
                users=args.users,
                movies=args.movies,
                ratings=args.ratings,
                seed=args.seed,
            )
        except ValueError as error:
            print(f"movielens-hail synth: {error}", file=sys.stderr)
            return 2
        print(
            f"wrote {counts['ratings']} ratings, {counts['users']} users and "
            f"{counts['movies']} movies to {args.out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
