"""Read the raw MovieLens files into Hail tables (see movielens_hail.ingest)."""

from pathlib import Path

from movielens_hail import ingest, runner

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    outputs = snakemake.output
    ingest.run(
        Path(snakemake.input.data),
        snakemake.params.ingest["mode"],
        table_paths={
            name: Path(outputs[name]) for name in ("movies", "ratings", "users")
        },
        report_paths={
            name: Path(outputs[name])
            for name in ("summary", "distribution", "figure", "rejected")
        },
        staging=runner.scratch_dir(snakemake.rule) / "staging",
    )
