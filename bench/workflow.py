"""Measure what the whole workflow costs on this machine, in one run.

Usage::

    python bench/workflow.py [--data DIR] [--no-default] [--cores 2]
                             [--sizes 100000 1000000 10000000]
                             [--keep DIR] [--hail KEY=YAML ...]

Every run uses the repository's Snakefile and config.yaml in a scratch folder of
its own, so the repository's ``results/`` is never touched. In order it prints:

1. the cold full run on the default data (``--data DIR`` reads the three
   MovieLens files from a folder instead of fetching them), its wall time and the
   peak memory of its largest rule, against the "JVM floor": the time of starting
   Hail and exiting, times the number of Hail rules, divided by the cores;
2. the no-op run, everything up to date;
3. the rerun after changing one analysis setting (``popularity.min_ratings``),
   the rules it ran, against one Hail start plus that rule plus the report;
4. each rule's wall time and peak memory in the cold run, slowest first, from
   Snakemake's benchmark files;
5. full runs on synthetic data of each ``--sizes`` (ratings; users and movies
   grown in proportion from MovieLens 100K's 943 and 1,682), the time and memory
   per size, and the growth per 10x of data, in all and for the slowest rules.

``--hail jvm_options=''`` and the like change a ``hail`` setting of every run, to
compare a setting before and after. A benchmark, not a test: the figures depend
on the machine and on what else it is doing, so compare them as ratios within
one run.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from movielens_hail.synth import generate
from movielens_hail.workflow_command import jobs_run, snakemake_command

ROOT = Path(__file__).resolve().parents[1]
NOT_HAIL = {"all", "fetch_movielens", "report"}
"""Rules that start no JVM."""
BASE_USERS, BASE_MOVIES, BASE_RATINGS = 943, 1682, 100_000
SETTING = ("popularity", "min_ratings")
"""The setting the rerun changes, as (section, key)."""


@dataclass
class Run:
    """One ``snakemake`` invocation: its wall time, the rules it ran and the
    benchmark figures of those rules."""

    seconds: float
    rules: list[str]
    per_rule: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def peak_mb(self) -> float:
        """The peak resident memory of the largest rule, in MB."""
        return float(self.per_rule["max_rss"].max()) if len(self.per_rule) else 0.0

    @property
    def peak_rule(self) -> str:
        if not len(self.per_rule):
            return ""
        return str(self.per_rule.sort_values("max_rss").iloc[-1]["rule"])


def snakemake(work: Path, cores: int, *args: str) -> Run:
    """Run the repository's workflow in ``work``; fail loudly if it fails."""
    command = snakemake_command(ROOT / "Snakefile", work, "--cores", str(cores), *args)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"snakemake failed in {work}:\n{done.stderr[-4000:]}")
    rules = jobs_run(done.stdout + done.stderr)
    return Run(seconds, [rule for rule in rules if rule != "all"])


def benchmarks(work: Path, rules: list[str]) -> pd.DataFrame:
    """Wall time and peak memory of ``rules`` from their benchmark files."""
    rows = []
    for rule in rules:
        figures = pd.read_csv(work / "benchmarks" / f"{rule}.tsv", sep="\t")
        rows.append(
            {"rule": rule, "s": figures["s"].iloc[-1]}
            | {"max_rss": figures["max_rss"].iloc[-1]}
        )
    frame = pd.DataFrame(rows, columns=["rule", "s", "max_rss"])
    return frame.sort_values("s", ascending=False, ignore_index=True)


def prepare(work: Path, dataset: dict[str, Any], hail: dict[str, Any]) -> Path:
    """A scratch folder holding the repository's config with the ``dataset`` and
    ``hail`` settings given merged into it."""
    work.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["dataset"] = {**config["dataset"], **dataset}
    config["hail"] = {**config["hail"], **hail}
    (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return work


def cold_run(work: Path, cores: int) -> Run:
    """Run everything from nothing, with the figures of every rule."""
    run = snakemake(work, cores)
    run.per_rule = benchmarks(work, run.rules)
    return run


def hail_start_seconds(scratch: Path, repeats: int = 3) -> float:
    """The median time of a Python process that starts Hail the way every rule
    does (one local thread) and exits."""
    code = (
        "from pathlib import Path\n"
        "from movielens_hail.session import start_hail\n"
        f"start_hail(threads=1, log=Path({str(scratch / 'floor.log')!r}),"
        f" tmp_dir=Path({str(scratch / 'floor-tmp')!r}))\n"
    )
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def rerun_after_setting_change(work: Path, cores: int) -> Run:
    """Change ``SETTING`` by one in the scratch config and run again."""
    path = work / "config.yaml"
    config = yaml.safe_load(path.read_text())
    section, key = SETTING
    config[section][key] += 1
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    run = snakemake(work, cores)
    run.per_rule = benchmarks(work, run.rules)
    return run


def synthetic_run(
    scratch: Path, ratings: int, cores: int, hail: dict[str, Any]
) -> tuple[Run, float]:
    """Generate a synthetic data set of ``ratings`` and run everything on it;
    return the run and the generator's time."""
    scale = ratings / BASE_RATINGS
    data = scratch / f"synthetic-{ratings}" / "data"
    started = time.perf_counter()
    generate(
        data,
        users=max(10, round(BASE_USERS * scale)),
        movies=max(10, round(BASE_MOVIES * scale)),
        ratings=ratings,
        seed=7,
    )
    generated = time.perf_counter() - started
    work = prepare(data.parent, {"source": "local", "local_dir": str(data)}, hail)
    return cold_run(work, cores), generated


def per_ten(small: float, large: float, factor: float) -> float:
    """The growth of ``small`` to ``large`` per 10x, for data ``factor`` times
    larger."""
    return float((large / small) ** (1 / math.log10(factor)))


def print_rules(per_rule: pd.DataFrame) -> None:
    print("| rule | wall time | peak memory (RSS) |")
    print("|---|---|---|")
    for row in per_rule.itertuples():
        print(f"| {row.rule} | {row.s:.0f} s | {row.max_rss:.0f} MB |")


def print_scaling(sizes: list[int], runs: list[Run], generated: list[float]) -> None:
    print("| ratings | users | movies | generate | wall time | peak rule memory |")
    print("|---|---|---|---|---|---|")
    for size, run, seconds in zip(sizes, runs, generated, strict=True):
        scale = size / BASE_RATINGS
        users = max(10, round(BASE_USERS * scale))
        movies = max(10, round(BASE_MOVIES * scale))
        print(
            f"| {size:,} | {users:,} | {movies:,} | {seconds:.0f} s "
            f"| {run.seconds:.0f} s | {run.peak_mb:.0f} MB ({run.peak_rule}) |"
        )
    for (small, first), (large, second) in pairwise(zip(sizes, runs, strict=True)):
        factor = large / small
        print(
            f"\n{small:,} -> {large:,} ratings: wall time x"
            f"{per_ten(first.seconds, second.seconds, factor):.1f} per 10x, "
            f"peak memory x{per_ten(first.peak_mb, second.peak_mb, factor):.1f}"
            " per 10x"
        )
        both = first.per_rule.merge(second.per_rule, on="rule", suffixes=("_a", "_b"))
        both["growth"] = [
            per_ten(a, b, factor) for a, b in zip(both.s_a, both.s_b, strict=True)
        ]
        print("| rule | wall time | growth per 10x |")
        print("|---|---|---|")
        for row in both.sort_values("s_b", ascending=False).itertuples():
            print(
                f"| {row.rule} | {row.s_a:.0f} s -> {row.s_b:.0f} s "
                f"| x{row.growth:.1f} |"
            )


def default_data_runs(work: Path, cores: int) -> None:
    """Cold, no-op and one-setting runs on the default data, against the floor."""
    print("cold run on the default data ...", flush=True)
    cold = cold_run(work, cores)
    start = hail_start_seconds(work.parent)
    hail_rules = [rule for rule in cold.rules if rule not in NOT_HAIL]
    floor = start * len(hail_rules) / cores
    print(
        f"\ncold run: {cold.seconds:.0f} s on {cores} cores, "
        f"peak {cold.peak_mb:.0f} MB ({cold.peak_rule})"
    )
    print(
        f"JVM floor: Hail start {start:.1f} s x {len(hail_rules)} Hail rules / "
        f"{cores} cores = {floor:.0f} s; cold run / floor = {cold.seconds / floor:.2f}"
    )

    noop = snakemake(work, cores)
    print(f"no-op run: {noop.seconds:.1f} s, rules run: {noop.rules or 'none'}")

    rerun = rerun_after_setting_change(work, cores)
    section, key = SETTING
    cold_seconds = cold.per_rule.set_index("rule")["s"]
    expected = noop.seconds + sum(
        float(cold_seconds.get(rule, 0.0)) for rule in (section, "report")
    )
    print(
        f"rerun after changing {section}.{key}: {rerun.seconds:.0f} s, "
        f"rules run: {', '.join(rerun.rules)}; the no-op run plus the cold "
        f"{section} and report rules (each Hail rule's time holds its Hail start) "
        f"= {expected:.0f} s"
    )

    print("\nper rule, cold run, slowest first:")
    print_rules(cold.per_rule)


def scaling_runs(
    scratch: Path, sizes: list[int], cores: int, hail: dict[str, Any]
) -> None:
    """Full runs on synthetic data of each size, then their growth."""
    runs, generated = [], []
    for size in sizes:
        print(f"\nfull run on {size:,} synthetic ratings ...", flush=True)
        run, seconds = synthetic_run(scratch, size, cores, hail)
        print(f"{run.seconds:.0f} s, peak {run.peak_mb:.0f} MB ({run.peak_rule})")
        print_rules(run.per_rule)
        runs.append(run)
        generated.append(seconds)
    print("\nscaling on synthetic data:")
    print_scaling(sizes, runs, generated)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder with u.data, u.item, u.user")
    parser.add_argument(
        "--no-default",
        action="store_true",
        help="skip the runs on the default data (steps 1-4)",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=[100_000, 1_000_000],
        help="synthetic data sets to run, in ratings (none: skip the scaling runs)",
    )
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores")
    parser.add_argument("--keep", type=Path, help="keep the scratch folders here")
    parser.add_argument(
        "--hail",
        metavar="KEY=YAML",
        action="append",
        default=[],
        help="a `hail` setting of config.yaml for every run, e.g. jvm_options=''",
    )
    options = parser.parse_args()
    hail = dict(setting.split("=", 1) for setting in options.hail)
    hail = {key: yaml.safe_load(value) or "" for key, value in hail.items()}
    scratch = options.keep or Path(tempfile.mkdtemp(prefix="bench-workflow-"))
    print(f"scratch folder: {scratch}; hail settings changed: {hail or 'none'}")

    if not options.no_default:
        dataset = (
            {"source": "local", "local_dir": str(options.data.resolve())}
            if options.data
            else {}
        )
        default_data_runs(prepare(scratch / "default", dataset, hail), options.cores)
    if options.sizes:
        scaling_runs(scratch, sorted(options.sizes), options.cores, hail)


if __name__ == "__main__":
    main()
