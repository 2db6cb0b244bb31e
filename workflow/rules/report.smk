rule report:
    input:
        source=RAW,
        ingest="results/ingest/summary.json",
        distribution="results/ingest/rating_distribution.tsv",
        figure="results/ingest/rating_distribution.svg",
        movie_stats="results/stats/movie_stats.json",
        user_stats="results/stats/user_stats.json",
        analyses=analysis_summaries(),
        template=str(TEMPLATES / "report.html.j2"),
        templates=report_templates(),
        code=library("report", "runner"),
    output:
        report="results/report.html",
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        CONDA_ENV
    params:
        report=config["report"],
        analyses=active_analyses(),
        config=config,
    script:
        "../scripts/report.py"
