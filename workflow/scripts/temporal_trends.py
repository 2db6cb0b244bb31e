"""Mean rating by release year, decade and month (see
movielens_hail.analyses.temporal_trends)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import temporal_trends

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    temporal_trends.run(
        Path(snakemake.input.ratings),
        Path(snakemake.input.movies),
        snakemake.params.temporal_trends,
        outputs={name: Path(path) for name, path in snakemake.output.items()},
    )
