"""Per-movie rating aggregates (see movielens_hail.stats)."""

from pathlib import Path

from movielens_hail import runner, stats

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake.threads, Path(snakemake.log[0]), snakemake.config["hail"])
    stats.run(
        "movie",
        Path(snakemake.input.ratings),
        Path(snakemake.input.movies),
        snakemake.params.stats["prior_weight"],
        table_path=Path(snakemake.output.table),
        summary_path=Path(snakemake.output.summary),
    )
