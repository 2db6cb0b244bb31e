"""Genre preferences by age group x sex segment (see
movielens_hail.analyses.genre_demographics)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import genre_demographics

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    genre_demographics.run(
        Path(snakemake.input.ratings),
        Path(snakemake.input.movies),
        Path(snakemake.input.users),
        snakemake.params.demographics["age_bins"],
        snakemake.params.genre_demographics["top_genres"],
        {name: Path(path) for name, path in snakemake.output.items()},
    )
