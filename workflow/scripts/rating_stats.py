"""Per-movie or per-user rating aggregates (see movielens_hail.stats)."""

from pathlib import Path

from movielens_hail import runner, stats

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    stats.run(
        snakemake.params.kind,
        Path(snakemake.input.ratings),
        Path(snakemake.input.entities),
        snakemake.params.stats["prior_weight"],
        table_path=Path(snakemake.output.table),
        summary_path=Path(snakemake.output.summary),
    )
