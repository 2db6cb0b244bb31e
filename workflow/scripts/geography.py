"""Users, ratings and genre preferences by ZIP code and state (see
movielens_hail.analyses.geography)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import geography

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    geography.run(
        Path(snakemake.input.user_stats),
        Path(snakemake.input.ratings),
        Path(snakemake.input.movies),
        snakemake.params.geography,
        {name: Path(path) for name, path in snakemake.output.items()},
    )
