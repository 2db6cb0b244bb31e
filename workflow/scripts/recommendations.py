"""The genre-profile recommender, evaluated against popularity (see
movielens_hail.analyses.recommendations)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import recommendations

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    recommendations.run(
        Path(snakemake.input.ratings),
        Path(snakemake.input.movies),
        snakemake.params.recommendations,
        snakemake.params.evaluation,
        snakemake.params.prior_weight,
        {name: Path(path) for name, path in snakemake.output.items()},
    )
