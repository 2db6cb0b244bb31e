"""Running a Snakefile in a folder of its own, as the tests and benchmarks do.

A run gets its own working directory and config file, so several can run side
by side on one checkout; the rules a run ran are read back from Snakemake's job
lines.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

JOB_LINE = re.compile(r"^(?:local)?rule (\w+):", flags=re.MULTILINE)
"""The line Snakemake prints for each job it runs, or would run in a dry run."""


def snakemake_command(snakefile: Path, work: Path, *args: str) -> list[str]:
    """The command line that runs ``snakefile`` in ``work`` with
    ``work/config.yaml``, under this Python, followed by ``args``."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(snakefile),
        "--directory",
        str(work),
        "--configfile",
        str(work / "config.yaml"),
        *args,
    ]


def jobs_run(output: str) -> list[str]:
    """The rule of every job in Snakemake's ``output``, in the order it lists
    them."""
    return JOB_LINE.findall(output)
