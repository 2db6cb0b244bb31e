"""The ``movielens-hail`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named in ``argv``; return the exit status."""
    args = build_parser().parse_args(argv)
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
