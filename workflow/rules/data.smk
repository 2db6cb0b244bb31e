RAW = "resources/movielens/ml-100k"


rule fetch_movielens:
    input:
        local=local_dataset_files(),
        code=library("fetch", "readers", "runner"),
    output:
        data=directory(RAW),
    log:
        "logs/fetch_movielens.log",
    benchmark:
        "benchmarks/fetch_movielens.tsv"
    conda:
        CONDA_ENV
    params:
        dataset=config["dataset"],
    script:
        "../scripts/fetch_movielens.py"


rule ingest:
    input:
        data=RAW,
        code=library("ingest", "readers", "runner", "session", "plotting"),
    output:
        movies=directory("results/hail/movies.ht"),
        ratings=directory("results/hail/ratings.ht"),
        users=directory("results/hail/users.ht"),
        summary="results/ingest/summary.json",
        distribution="results/ingest/rating_distribution.tsv",
        figure="results/ingest/rating_distribution.svg",
        rejected="results/ingest/rejected.tsv",
    log:
        "logs/ingest.log",
    benchmark:
        "benchmarks/ingest.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        ingest=config["ingest"],
    script:
        "../scripts/ingest.py"


rule movie_stats:
    input:
        ratings="results/hail/ratings.ht",
        entities="results/hail/movies.ht",
        code=library("stats", "runner", "session"),
    output:
        table=directory("results/hail/movie_stats.ht"),
        summary="results/stats/movie_stats.json",
    log:
        "logs/movie_stats.log",
    benchmark:
        "benchmarks/movie_stats.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        kind="movie",
        stats=config["stats"],
    script:
        "../scripts/rating_stats.py"


rule user_stats:
    input:
        ratings="results/hail/ratings.ht",
        entities="results/hail/users.ht",
        code=library("stats", "runner", "session"),
    output:
        table=directory("results/hail/user_stats.ht"),
        summary="results/stats/user_stats.json",
    log:
        "logs/user_stats.log",
    benchmark:
        "benchmarks/user_stats.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        kind="user",
        stats=config["stats"],
    script:
        "../scripts/rating_stats.py"
