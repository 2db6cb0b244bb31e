"""Render results/report.html from the analyses' outputs (see movielens_hail.report).

This script starts no JVM: the report reads only files.
"""

from pathlib import Path

from movielens_hail import report, runner

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    inputs = snakemake.input
    data = report.data_section(
        Path(inputs.ingest).parent,
        Path(inputs.source),
        Path(inputs.movie_stats).parent,
    )
    analyses, not_run = report.analysis_sections(
        Path("results"), snakemake.params.analyses
    )
    report.write_report(
        Path(snakemake.output.report),
        template_dir=Path(inputs.template).parent,
        sections=[data, *analyses],
        config=snakemake.params.config,
        title=snakemake.params.report["title"],
        not_run=not_run,
        repo=Path(inputs.template).parents[2],
        benchmarks=Path("benchmarks"),
    )
