"""Fetch MovieLens 100K into resources/ (see movielens_hail.fetch)."""

import shutil
from pathlib import Path

from movielens_hail.fetch import fetch_movielens
from movielens_hail.runner import rule_log

with rule_log(Path(snakemake.log[0]), snakemake.rule):
    destination = Path(snakemake.output.data)
    if destination.is_dir() and not any(destination.iterdir()):
        shutil.rmtree(destination)
    fetch_movielens(snakemake.params.dataset, destination)
