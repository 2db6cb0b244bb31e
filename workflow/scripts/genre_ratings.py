"""Mean rating per genre and a rank test of the differences (see
movielens_hail.analyses.genre_ratings)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import genre_ratings

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    genre_ratings.run(
        Path(snakemake.input.ratings),
        Path(snakemake.input.movies),
        snakemake.params.genre_ratings,
        {name: Path(path) for name, path in snakemake.output.items()},
    )
