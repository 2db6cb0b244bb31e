"""User-based collaborative filtering, evaluated against baselines (see
movielens_hail.analyses.collaborative_filtering)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import collaborative_filtering

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    collaborative_filtering.run(
        Path(snakemake.input.ratings),
        Path(snakemake.input.movies),
        snakemake.params.collaborative_filtering,
        snakemake.params.evaluation,
        {name: Path(path) for name, path in snakemake.output.items()},
    )
