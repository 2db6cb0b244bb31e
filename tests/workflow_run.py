"""Running the repository's workflow under the real Snakemake scheduler."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import yaml

from movielens_hail import workflow_command
from movielens_hail.synth import generate

ROOT = Path(__file__).resolve().parents[1]
USERS, MOVIES, RATINGS = 60, 120, 3000


def snakemake_command(work: Path, *args: str) -> list[str]:
    """The command line that runs the repository's Snakefile in ``work``."""
    return workflow_command.snakemake_command(ROOT / "Snakefile", work, *args)


def snakemake(
    work: Path, *args: str, environ: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run Snakemake on the repository's Snakefile in ``work``; ``environ`` adds
    variables to the environment."""
    return subprocess.run(
        snakemake_command(work, *args),
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, **(environ or {})},
    )


def planned_rules(run: subprocess.CompletedProcess[str]) -> set[str]:
    """The rules a run ran, or a dry run would run, from its job lines."""
    return set(workflow_command.jobs_run(run.stdout + run.stderr))


def run_on_synthetic_data(work: Path) -> Path:
    """Run the whole workflow in ``work`` on a synthetic data set; return ``work``."""
    generate(work / "synthetic", users=USERS, movies=MOVIES, ratings=RATINGS, seed=7)
    config = {"dataset": {"source": "local", "local_dir": str(work / "synthetic")}}
    (work / "config.yaml").write_text(yaml.safe_dump(config))

    run = snakemake(work, "--cores", "2")

    assert run.returncode == 0, run.stderr[-5000:]
    return work
