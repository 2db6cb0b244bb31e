"""Each movie's mean rating and the top and bottom lists (see
movielens_hail.analyses.popularity)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import popularity

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    popularity.run(
        Path(snakemake.input.movie_stats),
        Path(snakemake.input.ratings),
        snakemake.params.popularity,
        {name: Path(path) for name, path in snakemake.output.items()},
    )
