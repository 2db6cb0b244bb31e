"""Print what reading and checking the raw files costs, by both routes.

Usage::

    python bench/readers.py [--sizes 1000000 10000000]

For each size (ratings; users and movies grown in proportion from MovieLens
100K's 943 and 1,682, seed 7) it writes synthetic data in the GroupLens layout,
then reads it with ``read_movielens`` twice, each time in a fresh Python: once
as written, when the ratings are plain numbers and are read in one pass, and
once with a space after the first rating's timestamp, which changes no value
but sends the whole file through the line-by-line checks. It prints the seconds
and the peak memory (RSS) of each read. Compare them as a ratio within one run:
the machine's load moves both.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from movielens_hail.readers import read_movielens
from movielens_hail.synth import generate

BASE_USERS, BASE_MOVIES, BASE_RATINGS = 943, 1682, 100_000


def read_once(folder: Path) -> None:
    """Read ``folder`` and print the ratings kept, the seconds and the peak RSS."""
    started = time.perf_counter()
    data = read_movielens(folder)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(data.ratings)}\t{seconds:.1f}\t{peak_mb:.0f}")


def padded_copy(folder: Path, copy: Path) -> Path:
    """``folder`` with a space after the first line of its ratings file."""
    copy.mkdir()
    for name in ("u.item", "u.user"):
        (copy / name).symlink_to(folder / name)
    with (folder / "u.data").open("rb") as source, (copy / "u.data").open("wb") as out:
        out.write(source.readline().rstrip(b"\n") + b" \n")
        while chunk := source.read(1 << 24):
            out.write(chunk)
    return copy


def measure(folder: Path) -> str:
    """Read ``folder`` in a child Python; its printed figures."""
    child = subprocess.run(
        [sys.executable, __file__, "--read", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return child.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1_000_000, 10_000_000],
        help="numbers of ratings (default: %(default)s)",
    )
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        read_once(args.read)
        return

    print("ratings\troute\tkept\tseconds\tpeak MB")
    for size in args.sizes:
        scale = size / BASE_RATINGS
        with tempfile.TemporaryDirectory() as scratch:
            plain = Path(scratch) / "plain"
            generate(
                plain,
                users=max(10, round(BASE_USERS * scale)),
                movies=max(10, round(BASE_MOVIES * scale)),
                ratings=size,
                seed=7,
            )
            padded = padded_copy(plain, Path(scratch) / "padded")
            for route, folder in (("one pass", plain), ("line by line", padded)):
                print(f"{size}\t{route}\t{measure(folder)}", flush=True)


if __name__ == "__main__":
    main()
