"""Users and ratings by age group, sex and occupation (see
movielens_hail.analyses.engagement)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import engagement

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    engagement.run(
        Path(snakemake.input.user_stats),
        snakemake.params.demographics["age_bins"],
        {name: Path(path) for name, path in snakemake.output.items()},
    )
