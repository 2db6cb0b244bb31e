"""Run the workflow in local mode and on a Spark standalone cluster; compare.

Usage: ``python bench/spark_cluster.py [--users 60] [--movies 120]
[--ratings 3000] [--seed 7] [--keep DIR]``.

Writes a synthetic data set, runs the whole workflow (``snakemake --cores 2``) on
it twice, each run in a folder of its own: once in local mode, and once with
``hail.spark_master`` pointing at a standalone master and worker started on
127.0.0.1 from the Spark that pyspark ships. Prints the wall time of each run and
the Spark master each Hail rule's log reports, then every difference between the
two ``results/`` folders (see ``movielens_hail.spark_cluster.compare_results``).
Exits 1 if a run fails, a Hail rule did not run on the cluster, or the results
differ; the cluster is stopped in every case.

The folders go to a temporary directory, removed at the end unless a run failed
(its path is printed so the logs can be read); ``--keep DIR`` keeps them in DIR.
Timings depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from movielens_hail.spark_cluster import (
    compare_results,
    hail_masters,
    standalone_cluster,
)
from movielens_hail.synth import generate
from movielens_hail.workflow_command import snakemake_command

ROOT = Path(__file__).resolve().parents[1]
# Each Hail rule takes one of the worker's two cores, so `--cores 2` runs two of
# them side by side, as in local mode, rather than one after the other.
CLUSTER_SPARK_CONF = {"spark.cores.max": "1", "spark.executor.memory": "2g"}


def run_workflow(work: Path, config: dict[str, Any]) -> float:
    """Run the whole workflow in ``work`` with ``config``; return its wall time.

    :raises RuntimeError: when Snakemake fails, with the end of its output.
    """
    work.mkdir(parents=True)
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    command = snakemake_command(ROOT / "Snakefile", work, "--cores", "2")

    started = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started

    if finished.returncode != 0:
        raise RuntimeError(
            f"snakemake failed in {work} (status {finished.returncode}):\n"
            + finished.stderr[-3000:]
        )
    return seconds


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--movies", type=int, default=120)
    parser.add_argument("--ratings", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep", type=Path, help="keep the data, both runs and the cluster's logs here"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    # A SIGTERM ends the script through its context managers, so the cluster
    # daemons, which run in sessions of their own, are stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if arguments.keep and arguments.keep.exists() and any(arguments.keep.iterdir()):
        print(f"error: --keep {arguments.keep} is not empty; name a new folder")
        return 2
    if arguments.keep:
        arguments.keep.mkdir(parents=True, exist_ok=True)
    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="bench-spark-cluster-"))
    counts = generate(
        folder / "synthetic",
        users=arguments.users,
        movies=arguments.movies,
        ratings=arguments.ratings,
        seed=arguments.seed,
    )
    config: dict[str, Any] = {
        "dataset": {"source": "local", "local_dir": str(folder / "synthetic")}
    }
    print(
        f"workflow on {counts['ratings']} synthetic ratings, {counts['users']} "
        f"users, {counts['movies']} movies, in {folder}"
    )

    try:
        local_seconds = run_workflow(folder / "local", config)
        print(f"  local mode (local[1] per Hail rule)   {local_seconds:7.1f} s")
        with standalone_cluster(folder / "spark") as master:
            config["hail"] = {"spark_master": master, "spark_conf": CLUSTER_SPARK_CONF}
            cluster_seconds = run_workflow(folder / "cluster", config)
        print(f"  standalone cluster ({master})  {cluster_seconds:7.1f} s")
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        print(f"folders kept in {folder}", file=sys.stderr)
        return 1

    masters = hail_masters(folder / "cluster" / "logs")
    elsewhere = {rule: used for rule, used in masters.items() if used != master}
    print(f"  Hail rules that ran on {master}: {len(masters) - len(elsewhere)}")
    differences = compare_results(folder / "local/results", folder / "cluster/results")
    problems = [f"{rule} ran on {used}" for rule, used in sorted(elsewhere.items())]
    if not masters:
        problems.append("no Hail rule's log says where Hail started")
    problems += differences
    for problem in problems:
        print(f"  {problem}")
    if problems:
        print(f"{len(problems)} problems; folders kept in {folder}", file=sys.stderr)
        return 1

    print("  results: equal (every TSV and summary.json of every analysis)")
    if not arguments.keep:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
