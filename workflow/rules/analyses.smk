# One rule per analysis; rule name = script name = results folder. Each reads the
# Hail tables it needs and writes TSV tables, SVG figures and summary.json.


rule popularity:
    input:
        movie_stats="results/hail/movie_stats.ht",
        ratings="results/hail/ratings.ht",
        code=analysis_code("popularity", "intervals"),
    output:
        movies="results/popularity/movies.tsv",
        top="results/popularity/top.tsv",
        bottom="results/popularity/bottom.tsv",
        top_damped="results/popularity/top_damped.tsv",
        bottom_damped="results/popularity/bottom_damped.tsv",
        distributions="results/popularity/distributions.svg",
        top_bottom="results/popularity/top_bottom.svg",
        mean_vs_count="results/popularity/mean_vs_count.svg",
        summary="results/popularity/summary.json",
    log:
        "logs/popularity.log",
    benchmark:
        "benchmarks/popularity.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        popularity=config["popularity"],
    script:
        "../scripts/popularity.py"


rule engagement:
    input:
        user_stats="results/hail/user_stats.ht",
        code=analysis_code("engagement", "demographics", "intervals"),
    output:
        by_age_group="results/engagement/by_age_group.tsv",
        by_sex="results/engagement/by_sex.tsv",
        by_occupation="results/engagement/by_occupation.tsv",
        by_age_group_sex="results/engagement/by_age_group_sex.tsv",
        segments="results/engagement/segments.svg",
        ratings_per_user="results/engagement/ratings_per_user.svg",
        summary="results/engagement/summary.json",
    log:
        "logs/engagement.log",
    benchmark:
        "benchmarks/engagement.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        demographics=config["demographics"],
        engagement=config["engagement"],
    script:
        "../scripts/engagement.py"


rule genre_demographics:
    input:
        ratings="results/hail/ratings.ht",
        movies="results/hail/movies.ht",
        users="results/hail/users.ht",
        code=analysis_code("genre_demographics", "demographics", "intervals", "stats"),
    output:
        segment_genres="results/genre_demographics/segment_genres.tsv",
        top_genres="results/genre_demographics/top_genres.tsv",
        lift_heatmap="results/genre_demographics/lift_heatmap.svg",
        mean_heatmap="results/genre_demographics/mean_heatmap.svg",
        summary="results/genre_demographics/summary.json",
    log:
        "logs/genre_demographics.log",
    benchmark:
        "benchmarks/genre_demographics.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        demographics=config["demographics"],
        genre_demographics=config["genre_demographics"],
    script:
        "../scripts/genre_demographics.py"


rule temporal_trends:
    input:
        ratings="results/hail/ratings.ht",
        movies="results/hail/movies.ht",
        code=analysis_code("temporal_trends", "intervals", "stats"),
    output:
        by_release_year="results/temporal_trends/by_release_year.tsv",
        by_decade="results/temporal_trends/by_decade.tsv",
        by_month="results/temporal_trends/by_month.tsv",
        release_year="results/temporal_trends/release_year.svg",
        decade="results/temporal_trends/decade.svg",
        month="results/temporal_trends/month.svg",
        summary="results/temporal_trends/summary.json",
    log:
        "logs/temporal_trends.log",
    benchmark:
        "benchmarks/temporal_trends.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        temporal_trends=config["temporal_trends"],
    script:
        "../scripts/temporal_trends.py"


rule genre_ratings:
    input:
        ratings="results/hail/ratings.ht",
        movies="results/hail/movies.ht",
        code=analysis_code("genre_ratings", "intervals", "stats"),
    output:
        genres="results/genre_ratings/genres.tsv",
        genre_means="results/genre_ratings/genre_means.svg",
        summary="results/genre_ratings/summary.json",
    log:
        "logs/genre_ratings.log",
    benchmark:
        "benchmarks/genre_ratings.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        genre_ratings=config["genre_ratings"],
    script:
        "../scripts/genre_ratings.py"


rule saved_queries:
    input:
        ratings="results/hail/ratings.ht",
        movies="results/hail/movies.ht",
        users="results/hail/users.ht",
        code=analysis_code("saved_queries", "query", "readers", "zip_codes"),
    output:
        tables=expand(
            "results/saved_queries/{name}.tsv",
            name=config["saved_queries"]["queries"],
        ),
        filter_data="results/saved_queries/filter_data.json",
        summary="results/saved_queries/summary.json",
    log:
        "logs/saved_queries.log",
    benchmark:
        "benchmarks/saved_queries.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        saved_queries=config["saved_queries"],
        prior_weight=config["stats"]["prior_weight"],
        age_bins=config["demographics"]["age_bins"],
    script:
        "../scripts/saved_queries.py"


rule title_sentiment:
    input:
        movie_stats="results/hail/movie_stats.ht",
        code=analysis_code("title_sentiment", "intervals", "stats"),
    output:
        titles="results/title_sentiment/titles.tsv",
        correlations="results/title_sentiment/correlations.tsv",
        bands="results/title_sentiment/bands.tsv",
        most_positive="results/title_sentiment/most_positive.tsv",
        most_negative="results/title_sentiment/most_negative.tsv",
        polarity_vs_mean="results/title_sentiment/polarity_vs_mean.svg",
        band_means="results/title_sentiment/band_means.svg",
        summary="results/title_sentiment/summary.json",
    log:
        "logs/title_sentiment.log",
    benchmark:
        "benchmarks/title_sentiment.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        title_sentiment=config["title_sentiment"],
    script:
        "../scripts/title_sentiment.py"


rule geography:
    input:
        user_stats="results/hail/user_stats.ht",
        ratings="results/hail/ratings.ht",
        movies="results/hail/movies.ht",
        code=analysis_code("geography", "intervals", "stats", "zip_codes"),
    output:
        states="results/geography/states.tsv",
        zip3="results/geography/zip3.tsv",
        unmatched="results/geography/unmatched_zipcodes.tsv",
        users_map="results/geography/users_map.svg",
        mean_map="results/geography/mean_map.svg",
        zip_points="results/geography/zip_points.svg",
        summary="results/geography/summary.json",
    log:
        "logs/geography.log",
    benchmark:
        "benchmarks/geography.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        geography=config["geography"],
    script:
        "../scripts/geography.py"


rule collaborative_filtering:
    input:
        ratings="results/hail/ratings.ht",
        movies="results/hail/movies.ht",
        code=analysis_code("collaborative_filtering", "evaluation", "neighbours"),
    output:
        rating_prediction="results/collaborative_filtering/rating_prediction.tsv",
        folds="results/collaborative_filtering/folds.tsv",
        ranking="results/collaborative_filtering/ranking.tsv",
        published="results/collaborative_filtering/published.tsv",
        recommendations="results/collaborative_filtering/recommendations.tsv",
        similar_pairs="results/collaborative_filtering/similar_pairs.tsv",
        evaluation="results/collaborative_filtering/evaluation.svg",
        summary="results/collaborative_filtering/summary.json",
    log:
        "logs/collaborative_filtering.log",
    benchmark:
        "benchmarks/collaborative_filtering.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        collaborative_filtering=config["collaborative_filtering"],
        evaluation=config["evaluation"],
    script:
        "../scripts/collaborative_filtering.py"


rule recommendations:
    input:
        ratings="results/hail/ratings.ht",
        movies="results/hail/movies.ht",
        code=analysis_code("recommendations", "evaluation"),
    output:
        ranking="results/recommendations/ranking.tsv",
        recommendations="results/recommendations/recommendations.tsv",
        profiles="results/recommendations/profiles.tsv",
        profiles_figure="results/recommendations/profiles.svg",
        summary="results/recommendations/summary.json",
    log:
        "logs/recommendations.log",
    benchmark:
        "benchmarks/recommendations.tsv"
    conda:
        CONDA_ENV
    threads: config["hail"]["threads"]
    params:
        recommendations=config["recommendations"],
        evaluation=config["evaluation"],
        prior_weight=config["stats"]["prior_weight"],
    script:
        "../scripts/recommendations.py"
