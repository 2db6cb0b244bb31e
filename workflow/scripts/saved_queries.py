"""The named queries of config.yaml and the report's filter data (see
movielens_hail.analyses.saved_queries)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import saved_queries

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    saved_queries.run(
        {
            "ratings": Path(snakemake.input.ratings),
            "movies": Path(snakemake.input.movies),
            "users": Path(snakemake.input.users),
        },
        snakemake.params.saved_queries,
        snakemake.params.prior_weight,
        snakemake.params.age_bins,
        {
            "filter_data": Path(snakemake.output.filter_data),
            "summary": Path(snakemake.output.summary),
        },
        {Path(path).stem: Path(path) for path in snakemake.output.tables},
    )
