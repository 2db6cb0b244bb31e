"""Title cleaning, bands, ranks, correlations and the written outputs.

Most Hail tests take their polarity scores inline, so the expected answers do
not depend on TextBlob's lexicon. The tiny inline movie table (movie_id:
polarity, n_ratings, mean rating) used for bands and lists:

* 1: +0.5, 30 ratings, 4.0      * 2: +0.5, 40 ratings, 3.0
* 3: 0, 25 ratings, 3.5         * 4: 0, 5 ratings, 2.0
* 5: +0.8, 20 ratings, 3.2      * 6: no score (placeholder), 10 ratings, 3.0
* 7: 0, no ratings

With ``min_ratings`` 20, movies 4, 6 and 7 are out. The positive band holds 1, 2
and 5: mean of means (4.0 + 3.0 + 3.2) / 3 = 3.4, ratings 30 + 40 + 20 = 90,
sample sd sqrt((0.36 + 0.16 + 0.04) / 2) = sqrt(0.28). The neutral band holds
movie 3 alone (mean 3.5, no sd, no interval). No title is negative: that band
is empty.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats  # type: ignore[import-untyped, unused-ignore]

from movielens_hail.analyses import title_sentiment
from movielens_hail.analyses.title_sentiment import clean_title

# Hard cases from MovieLens titles, each with the text TextBlob should read.
CLEANING_CASES = [
    ("Toy Story (1995)", "Toy Story"),
    ("Usual Suspects, The (1995)", "The Usual Suspects"),
    ("Birdcage, A (1996)", "A Birdcage"),
    ("American in Paris, An (1951)", "An American in Paris"),
    ("Misérables, Les (1995)", "Les Misérables"),
    ("Postino, Il (1994)", "Il Postino"),
    ("Boot, Das (1981)", "Das Boot"),
    ("Mariachi, El (1992)", "El Mariachi"),
    ("Appartement, L' (1996)", "L'Appartement"),
    ("Double vie de Véronique, La (1991)", "La Double vie de Véronique"),
    # The original-language title in parentheses is dropped.
    ("Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)", "Shanghai Triad"),
    # An article inside the parentheses goes with them; the title's own moves.
    ("Big Blue, The (Grand bleu, Le) (1988)", "The Big Blue"),
    ("Wings of Desire (Himmel über Berlin, Der) (1987)", "Wings of Desire"),
    ("Seventh Seal, The (Sjunde inseglet, Det) (1957)", "The Seventh Seal"),
    # "a.k.a." names, in parentheses or bare, and several groups at once.
    ("Seven (a.k.a. Se7en) (1995)", "Seven"),
    (
        "Bicycle Thieves (a.k.a. The Bicycle Thief) (Ladri di biciclette) (1948)",
        "Bicycle Thieves",
    ),
    ("Dead Man a.k.a. Nobody (1995)", "Dead Man"),
    # GroupLens titles sometimes hold a space before a closing parenthesis.
    ("Eighth Day, The (Le Huitième jour ) (1996)", "The Eighth Day"),
    # Only a trailing article moves; inner commas and "the" stay.
    ("Good, the Bad and the Ugly, The (1966)", "The Good, the Bad and the Ugly"),
    ("Me, Myself & I (1992)", "Me, Myself & I"),
    ("Shall We Dance? (1937)", "Shall We Dance?"),
    # Parentheses that open the title are part of it.
    ("(500) Days of Summer (2009)", "(500) Days of Summer"),
    ("Toy Story", "Toy Story"),
    # The GroupLens placeholder movie is no title.
    ("unknown", ""),
    ("", ""),
]


@pytest.mark.parametrize(("title", "expected"), CLEANING_CASES)
def test_clean_title(title: str, expected: str) -> None:
    assert clean_title(title) == expected


def test_score_titles_scores_each_clean_title() -> None:
    """TextBlob's lexicon rates "bad" -0.7 and "good" 0.7 and knows no word of
    "Shanghai Triad" or "Il Postino". The same clean title scores the same
    whichever way MovieLens wrote it; the placeholder gets no score."""
    rows = title_sentiment.score_titles(
        {
            1: "Bad Boys (1995)",
            2: "Good Will Hunting (1997)",
            3: "Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)",
            4: "Postino, Il (1994)",
            5: "unknown",
            6: "Il Postino (1994)",
        }
    )
    by_id = {row["movie_id"]: row for row in rows}

    assert [row["movie_id"] for row in rows] == [1, 2, 3, 4, 5, 6]
    assert by_id[1]["polarity"] == pytest.approx(-0.7)
    assert by_id[2]["polarity"] > 0
    assert by_id[3]["polarity"] == 0.0
    assert by_id[3]["clean_title"] == "Shanghai Triad"
    # Titles in other languages score as neutral: TextBlob's lexicon is English.
    assert by_id[4]["polarity"] == 0.0
    assert by_id[4]["subjectivity"] == 0.0
    assert by_id[5] == {
        "movie_id": 5,
        "clean_title": "",
        "polarity": None,
        "subjectivity": None,
    }
    assert by_id[6] == {**by_id[4], "movie_id": 6}


def test_correlation_test_by_hand() -> None:
    """r = 0.5 over 28 movies: atanh(0.5) = 0.549306, half width 1.959964 /
    sqrt(25) = 0.391993, so tanh(0.157313) = 0.15603 to tanh(0.941299) = 0.73582.
    With 3 movies there is a p-value but no interval; r = 1 is certain."""
    p_value, low, high = title_sentiment.correlation_test(0.5, 28)
    assert low == pytest.approx(0.15603, abs=1e-5)
    assert high == pytest.approx(0.73582, abs=1e-5)
    assert 0 < p_value < 0.05

    p_value, low, high = title_sentiment.correlation_test(0.5, 3)
    assert math.isfinite(p_value)
    assert math.isnan(low)
    assert math.isnan(high)
    assert title_sentiment.correlation_test(1.0, 10) == (0.0, 1.0, 1.0)
    assert all(math.isnan(v) for v in title_sentiment.correlation_test(math.nan, 9))


def test_fitted_line_equation() -> None:
    """A negative slope reads as a subtraction; no line, no equation."""
    line = title_sentiment.fitted_line(
        {"n_movies": 4, "pearson": -0.9, "intercept": 3.5, "slope": -1.5}
    )
    assert line["equation"] == "mean rating = 3.50 - 1.50 × polarity"
    assert line["r"] == -0.9
    missing = {"n_movies": 1, "pearson": math.nan, "intercept": 3.0}
    assert title_sentiment.fitted_line({**missing, "slope": math.nan})["equation"] == ""


# movie_id, polarity, n_ratings, mean_rating (see the module docstring).
BAND_ROWS = [
    (1, 0.5, 30, 4.0),
    (2, 0.5, 40, 3.0),
    (3, 0.0, 25, 3.5),
    (4, 0.0, 5, 2.0),
    (5, 0.8, 20, 3.2),
    (6, None, 10, 3.0),
    (7, 0.0, 0, None),
]


def movie_stats_table(hl: Any, rows: list[tuple[Any, ...]]) -> Any:
    """A ``movie_stats``-like table of (movie_id, title, n_ratings, mean_rating)."""
    schema = hl.tstruct(
        movie_id=hl.tint32,
        title=hl.tstr,
        n_ratings=hl.tint64,
        mean_rating=hl.tfloat64,
    )
    fields = ("movie_id", "title", "n_ratings", "mean_rating")
    records = [dict(zip(fields, row, strict=True)) for row in rows]
    return hl.Table.parallelize(records, schema, key="movie_id")


@pytest.fixture(scope="module")
def banded(hail: Any) -> Any:
    """BAND_ROWS joined to their scores the way the analysis does it."""
    hl = hail
    movies = movie_stats_table(
        hl,
        [(m, f"Movie {m} (1990)", n, mean) for m, _, n, mean in BAND_ROWS],
    )
    scores = title_sentiment.scores_table(
        [
            {
                "movie_id": m,
                "clean_title": f"Movie {m}" if polarity is not None else "",
                "polarity": polarity,
                "subjectivity": None if polarity is None else 0.5,
            }
            for m, polarity, _, _ in BAND_ROWS
        ]
    )
    return title_sentiment.with_sentiment(movies, scores)


def test_bands_join_scores_onto_movies(banded: Any) -> None:
    """Polarity 0 is neutral, above 0 positive; the unscored placeholder has no
    band. (``band_counts`` is checked through the run below.)"""
    bands = {row.movie_id: row.band for row in banded.collect()}

    assert bands == {
        1: "positive",
        2: "positive",
        3: "neutral",
        4: "neutral",
        5: "positive",
        6: None,
        7: "neutral",
    }


def test_band_means_threshold_and_empty_band(banded: Any) -> None:
    """See the module docstring: positive 3.4 over 3 movies and 90 ratings,
    neutral movie 3 alone, negative empty."""
    analysed = title_sentiment.analysed_movies(banded, min_ratings=20)
    frame = title_sentiment.band_frame(title_sentiment.band_means(analysed))
    rows = frame.set_index("band")

    assert list(frame["band"]) == ["negative", "neutral", "positive"]
    assert rows.loc["negative", "n_movies"] == 0
    assert pd.isna(rows.loc["negative", "mean"])
    assert rows.loc["neutral", "n_movies"] == 1
    assert rows.loc["neutral", "n_ratings"] == 25
    assert rows.loc["neutral", "mean"] == pytest.approx(3.5)
    assert pd.isna(rows.loc["neutral", "ci_low"])
    assert rows.loc["positive", "n_movies"] == 3
    assert rows.loc["positive", "n_ratings"] == 90
    assert rows.loc["positive", "mean"] == pytest.approx(3.4)
    assert rows.loc["positive", "sd"] == pytest.approx(math.sqrt(0.28))
    # t(0.975, 2) = 4.302653; half width 4.302653 * sqrt(0.28) / sqrt(3).
    half_width = 4.302653 * math.sqrt(0.28) / math.sqrt(3)
    assert rows.loc["positive", "ci_low"] == pytest.approx(3.4 - half_width)


def test_most_polar_breaks_ties_by_count_then_id(banded: Any) -> None:
    """0.8 (movie 5) leads; 1 and 2 tie on 0.5 and 2 has more ratings. No title
    is negative, so that list is empty rather than filled with neutral ones."""
    positive = title_sentiment.most_polar(banded, 10, "positive").collect()
    negative = title_sentiment.most_polar(banded, 2, "negative").collect()

    assert [row.movie_id for row in positive] == [5, 2, 1]
    assert negative == []


def scored_table(hl: Any, frame: pd.DataFrame) -> Any:
    """A table of movie_id, polarity, n_ratings and mean_rating from ``frame``."""
    schema = hl.tstruct(
        movie_id=hl.tint32,
        polarity=hl.tfloat64,
        n_ratings=hl.tint64,
        mean_rating=hl.tfloat64,
    )
    records = [
        {
            "movie_id": int(row["movie_id"]),
            "polarity": float(row["polarity"]),
            "n_ratings": int(row["n_ratings"]),
            "mean_rating": float(row["mean_rating"]),
        }
        for row in frame.to_dict("records")
    ]
    return hl.Table.parallelize(records, schema, key="movie_id")


def test_correlation_by_hand(hail: Any) -> None:
    """Polarity -1, 0, 0, 1 against mean 2, 3, 4, 5. Deviations x: -1, 0, 0, 1;
    y: -1.5, -0.5, 0.5, 1.5. Sxy = 3, Sxx = 2, Syy = 5: r = 3 / sqrt(10), slope
    3 / 2 = 1.5, intercept 3.5. The tied zeros share ranks 2 and 3, so the ranks
    of x are 1, 2.5, 2.5, 4 (deviations -1.5, 0, 0, 1.5) and those of y 1 to 4:
    Sxy = 4.5, Sxx = 4.5, Syy = 5, rho = 4.5 / sqrt(22.5) = 3 / sqrt(10) as well.
    Movie 5 has 1 rating, below min_ratings 2, and stays out."""
    frame = pd.DataFrame(
        {
            "movie_id": [1, 2, 3, 4, 5],
            "polarity": [-1.0, 0.0, 0.0, 1.0, 1.0],
            "n_ratings": [2, 2, 2, 2, 1],
            "mean_rating": [2.0, 3.0, 4.0, 5.0, 1.0],
        }
    )
    ht = title_sentiment.analysed_movies(scored_table(hail, frame), min_ratings=2)

    result = title_sentiment.correlation(ht)

    assert result["n_movies"] == 4
    assert result["pearson"] == pytest.approx(3 / math.sqrt(10))
    assert result["spearman"] == pytest.approx(3 / math.sqrt(10))
    assert result["slope"] == pytest.approx(1.5)
    assert result["intercept"] == pytest.approx(3.5)


def test_correlation_matches_numpy_and_scipy(hail: Any) -> None:
    """The same movies through numpy and scipy, an independent route: ranks,
    correlations, p-values, the fitted line and the Fisher intervals agree."""
    rng = np.random.default_rng(20)
    polarity = rng.choice([-0.5, -0.2, 0.0, 0.0, 0.0, 0.3, 0.7], size=40)
    frame = pd.DataFrame(
        {
            "movie_id": np.arange(1, 41),
            "polarity": polarity,
            "n_ratings": rng.integers(1, 60, size=40),
            # One decimal, so that mean ratings tie too.
            "mean_rating": np.round(3 + 0.5 * polarity + rng.normal(0, 0.5, 40), 1),
        }
    )
    ht = title_sentiment.analysed_movies(scored_table(hail, frame), min_ratings=20)
    kept = frame[frame["n_ratings"] >= 20]

    result = title_sentiment.correlation(ht)
    rows = {
        row["method"]: row for row in title_sentiment.correlation_rows("all", result)
    }

    pearson = stats.pearsonr(kept["polarity"], kept["mean_rating"])
    spearman = stats.spearmanr(kept["polarity"], kept["mean_rating"])
    slope, intercept = np.polyfit(kept["polarity"], kept["mean_rating"], 1)
    n = len(kept)
    assert result["n_movies"] == n
    assert rows["pearson"]["r"] == pytest.approx(pearson.statistic)
    assert rows["pearson"]["p_value"] == pytest.approx(pearson.pvalue)
    assert rows["spearman"]["r"] == pytest.approx(spearman.statistic)
    assert rows["spearman"]["p_value"] == pytest.approx(spearman.pvalue)
    assert result["slope"] == pytest.approx(slope)
    assert result["intercept"] == pytest.approx(intercept)
    for method, r in (("pearson", pearson.statistic), ("spearman", spearman.statistic)):
        z = np.arctanh(r)
        half_width = 1.959964 / np.sqrt(n - 3)
        assert rows[method]["ci_low"] == pytest.approx(np.tanh(z - half_width))
        assert rows[method]["ci_high"] == pytest.approx(np.tanh(z + half_width))


# movie_id, title, n_ratings, mean_rating for the run. TextBlob's lexicon rates
# "beautiful" 0.85, "good" 0.7, "bad" -0.7 and "dead" -0.2; it knows no word of
# the other titles.
RUN_ROWS = [
    (1, "Beautiful Girls (1996)", 30, 3.0),
    (2, "Good Will Hunting (1997)", 40, 4.0),
    (3, "Bad Boys (1995)", 25, 3.5),
    (4, "Dead Man Walking (1995)", 20, 3.9),
    (5, "Toy Story (1995)", 50, 3.9),
    (6, "Postino, Il (1994)", 22, 4.1),
    (7, "Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)", 3, 3.0),
    (8, "unknown", 9, 3.3),
]


def test_run_writes_every_output(hail: Any, tmp_path: Path) -> None:
    """Eight movies: 7 titles scored (the placeholder is not), 3 of them neutral
    (Toy Story, Il Postino, Shanghai Triad). With min_ratings 20, movies 7 and 8
    are out: 6 analysed, 4 of them non-neutral."""
    movie_stats_table(hail, RUN_ROWS).write(str(tmp_path / "movie_stats.ht"))
    outputs = {
        name: tmp_path / "out" / f"{name}.{suffix}"
        for name, suffix in [
            ("titles", "tsv"),
            ("correlations", "tsv"),
            ("bands", "tsv"),
            ("most_positive", "tsv"),
            ("most_negative", "tsv"),
            ("polarity_vs_mean", "svg"),
            ("band_means", "svg"),
            ("summary", "json"),
        ]
    }

    summary = title_sentiment.run(
        tmp_path / "movie_stats.ht", min_ratings=20, top_n=1, outputs=outputs
    )

    assert json.loads(outputs["summary"].read_text()) == summary
    assert summary["settings"] == {"min_ratings": 20, "top_n": 1}
    assert summary["n_scored"] == 7
    assert summary["n_unscored"] == 1
    assert summary["n_neutral"] == 3
    assert summary["neutral_share"] == pytest.approx(3 / 7)
    assert summary["n_analysed"] == 6
    assert summary["n_analysed_non_neutral"] == 4
    assert summary["fit"]["n_movies"] == 4
    assert summary["fit"]["equation"].startswith("mean rating = ")
    assert "43% of titles score exactly neutral" in summary["headline"]
    assert 2 <= len(summary["findings"]) <= 4

    titles = pd.read_csv(outputs["titles"], sep="\t", keep_default_na=False)
    assert list(titles.columns) == title_sentiment.TITLE_COLUMNS
    assert list(titles["movie_id"]) == list(range(1, 9))
    assert titles.loc[5, "clean_title"] == "Il Postino"
    assert titles.loc[7, "band"] == ""
    correlations = pd.read_csv(outputs["correlations"], sep="\t")
    assert list(correlations[["subset", "method"]].itertuples(index=False)) == [
        ("all", "pearson"),
        ("all", "spearman"),
        ("non_neutral", "pearson"),
        ("non_neutral", "spearman"),
    ]
    assert list(correlations["n_movies"]) == [6, 6, 4, 4]
    bands = pd.read_csv(outputs["bands"], sep="\t")
    assert list(bands["n_movies"]) == [2, 2, 2]
    most_negative = pd.read_csv(outputs["most_negative"], sep="\t")
    assert list(most_negative["clean_title"]) == ["Bad Boys"]
    most_positive = pd.read_csv(outputs["most_positive"], sep="\t")
    assert list(most_positive["clean_title"]) == ["Beautiful Girls"]
    for figure in ("polarity_vs_mean", "band_means"):
        assert outputs[figure].read_text().lstrip().startswith("<?xml")
