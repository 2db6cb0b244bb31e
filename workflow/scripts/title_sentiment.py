"""TextBlob sentiment of titles against mean ratings (see
movielens_hail.analyses.title_sentiment)."""

from pathlib import Path

from movielens_hail import runner
from movielens_hail.analyses import title_sentiment

with runner.rule_log(Path(snakemake.log[0]), snakemake.rule):
    runner.start_hail(snakemake)
    settings = snakemake.params.title_sentiment
    title_sentiment.run(
        Path(snakemake.input.movie_stats),
        min_ratings=settings["min_ratings"],
        top_n=settings["top_n"],
        outputs={
            name: Path(snakemake.output[name]) for name in title_sentiment.OUTPUTS
        },
    )
