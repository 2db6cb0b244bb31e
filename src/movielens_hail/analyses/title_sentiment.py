"""TextBlob sentiment of movie titles against the movies' mean ratings.

Does a title that sounds happy ("Beautiful Girls") get better ratings than one
that sounds grim ("Bad Boys")? Every title is cleaned first: the "(1995)" year
is dropped, a trailing article goes back to the front ("Usual Suspects, The" ->
"The Usual Suspects"), and alternate titles in parentheses are dropped. MovieLens
lists the English title first and puts the original-language title ("Shanghai
Triad (Yao a yao yao dao waipo qiao)"), or another English name ("Seven (a.k.a.
Se7en)"), in parentheses after it; TextBlob's lexicon is English, so the first
title is the one it can read.

TextBlob's default pattern analyzer scores each cleaned title: polarity from -1
(negative) to 1 (positive) and subjectivity from 0 (objective) to 1 (subjective).
It ships its own lexicon, so it needs no corpus download. Scoring runs in Python
on the distinct titles; the scores then join each movie's rating count and mean
in Hail. Correlations with the mean rating are taken over the movies with at
least ``min_ratings`` ratings, over all titles and over the titles that do not
score exactly neutral, with 95% intervals from Fisher's z-transform.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import hail as hl
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from scipy import stats  # type: ignore[import-untyped, unused-ignore]
from textblob import TextBlob  # type: ignore[import-untyped, unused-ignore]

from movielens_hail import plotting
from movielens_hail.intervals import LEVEL, with_mean_interval
from movielens_hail.runner import read_table, write_json, write_tsv
from movielens_hail.stats import rating_aggregates

logger = logging.getLogger(__name__)

BANDS = ("negative", "neutral", "positive")
"""Polarity bands in plotting order: polarity below, equal to and above zero."""

SUBSETS = ("all", "non_neutral")
METHODS = ("pearson", "spearman")
OUTPUTS = (
    "titles",
    "correlations",
    "bands",
    "most_positive",
    "most_negative",
    "polarity_vs_mean",
    "band_means",
    "summary",
)
"""The output paths ``run`` needs, by name."""

PLACEHOLDER_TITLE = "unknown"
"""The title GroupLens gives its placeholder movie 267, which is no title."""

# Articles MovieLens moves to the end of a title ("Postino, Il"). "I" (Italian
# plural) is left out on purpose: "Me, Myself & I" would become "I Me, Myself &".
TRAILING_ARTICLE = re.compile(
    r",\s*(The|An|A|Les|La|Le|L'|Il|Lo|Gli|Das|Die|Der|Den|Det|El|Los|Las|O|Os"
    r"|Un|Une|Una|Uno|Ein|Eine|Het|De)$"
)
YEAR = re.compile(r"\s*\(\s*\d{4}(?:\s*[-–/]\s*\d{4})?\s*\)\s*$")
TRAILING_PARENTHESES = re.compile(r"\s*\([^()]*\)\s*$")
ALSO_KNOWN_AS = re.compile(r"\s+a\.k\.a\.\s.*$", re.IGNORECASE)
SPACES = re.compile(r"\s+")

# TextBlob's arithmetic on word scores leaves floating-point noise ("Bad Boys"
# scores -0.6999999999999998 where "bad" is -0.7), so equal scores can differ in
# the last bits; six decimals makes them tie and keeps a score of 1e-17 from
# counting as positive.
SCORE_DECIMALS = 6


def clean_title(title: str) -> str:
    """The title as a reader would say it, for TextBlob to score.

    Drops the release year, every alternate title in parentheses at the end (the
    original-language title or an "a.k.a." name, with any article of its own)
    and a bare "a.k.a." tail, then moves a trailing article to the front:
    "Big Blue, The (Grand bleu, Le) (1988)" -> "The Big Blue". Parentheses
    inside a title ("(500) Days of Summer") stay. The GroupLens placeholder
    "unknown" is no title and cleans to "".

    A few films list the original title first and the English one in
    parentheses ("Ma vie en rose (My Life in Pink)"); they keep the original and
    score as neutral.
    """
    text = SPACES.sub(" ", title).strip()
    if text.casefold() == PLACEHOLDER_TITLE:
        return ""
    text = YEAR.sub("", text)
    while (shorter := TRAILING_PARENTHESES.sub("", text)) not in ("", text):
        text = shorter
    text = ALSO_KNOWN_AS.sub("", text).strip()
    return _article_to_front(text)


def _article_to_front(title: str) -> str:
    """Move a trailing ", The" or ", L'" to the front of ``title``."""
    match = TRAILING_ARTICLE.search(title)
    if match is None:
        return title
    article = match.group(1)
    rest = title[: match.start()].strip()
    return f"{article}{rest}" if article.endswith("'") else f"{article} {rest}"


def score_titles(titles: Mapping[int, str | None]) -> list[dict[str, Any]]:
    """Clean and score each movie's title with TextBlob.

    :param titles: movie id -> title as MovieLens writes it.
    :return: one row per movie: ``movie_id``, ``clean_title``, ``polarity`` and
        ``subjectivity``; the scores are None where the title cleans to nothing.

    Each distinct cleaned title is scored once. Titles in other languages score
    as neutral: TextBlob's lexicon is English.
    """
    cleaned = {movie_id: clean_title(title or "") for movie_id, title in titles.items()}
    scores = {text: _sentiment(text) for text in set(cleaned.values()) if text}
    rows = []
    for movie_id, text in sorted(cleaned.items()):
        polarity, subjectivity = scores.get(text, (None, None))
        rows.append(
            {
                "movie_id": movie_id,
                "clean_title": text,
                "polarity": polarity,
                "subjectivity": subjectivity,
            }
        )
    return rows


def _sentiment(text: str) -> tuple[float, float]:
    """TextBlob's polarity and subjectivity of ``text``, rounded."""
    sentiment = TextBlob(text).sentiment
    # Adding 0.0 turns a rounded -0.0 into 0.0, which prints without a sign.
    return (
        round(float(sentiment.polarity), SCORE_DECIMALS) + 0.0,
        round(float(sentiment.subjectivity), SCORE_DECIMALS) + 0.0,
    )


def scores_table(scores: list[dict[str, Any]]) -> hl.Table:
    """The rows of :func:`score_titles` as a Hail table keyed by ``movie_id``."""
    schema = hl.tstruct(
        movie_id=hl.tint32,
        clean_title=hl.tstr,
        polarity=hl.tfloat64,
        subjectivity=hl.tfloat64,
    )
    return hl.Table.parallelize(scores, schema, key="movie_id")


def polarity_band(polarity: hl.Float64Expression) -> hl.StringExpression:
    """The band of ``polarity``: "negative", "neutral" or "positive" as it is
    below, at or above zero; missing where the polarity is."""
    band = (
        hl.case()
        .when(polarity < 0, "negative")
        .when(polarity == 0, "neutral")
        .default("positive")
    )
    return hl.or_missing(hl.is_defined(polarity), band)


def with_sentiment(ht: hl.Table, scores: hl.Table) -> hl.Table:
    """Annotate each movie of ``movie_stats`` with its title's scores and band.

    :param ht: ``movie_stats``, keyed by ``movie_id``.
    :param scores: :func:`scores_table`, keyed by ``movie_id``.
    """
    ht = ht.annotate(**scores[ht.movie_id])
    return ht.annotate(band=polarity_band(ht.polarity))


def analysed_movies(ht: hl.Table, min_ratings: int) -> hl.Table:
    """The movies with a scored title and at least ``min_ratings`` ratings."""
    return ht.filter(
        hl.is_defined(ht.polarity)
        & hl.is_defined(ht.mean_rating)
        & (ht.n_ratings >= min_ratings)
    )


def band_counts(ht: hl.Table) -> dict[str, int]:
    """How many titles fall in each polarity band, every band present."""
    counter = ht.aggregate(
        hl.agg.filter(hl.is_defined(ht.band), hl.agg.counter(ht.band))
    )
    return {band: int(counter.get(band, 0)) for band in BANDS}


def band_means(ht: hl.Table) -> hl.Table:
    """One row per polarity band: movies, their ratings, and the mean and sample
    sd of the movies' mean ratings.

    Each movie counts once, whatever its number of ratings: the question is
    about titles, and a title belongs to one movie.
    """
    ht = ht.group_by(ht.band).aggregate(
        n_ratings=hl.agg.sum(ht.n_ratings),
        movie_means=rating_aggregates(ht.mean_rating),
    )
    return ht.select(
        n_movies=ht.movie_means.n_ratings,
        n_ratings=ht.n_ratings,
        mean=ht.movie_means.mean_rating,
        sd=ht.movie_means.sd_rating,
    )


def with_average_ranks(ht: hl.Table, field: str) -> hl.Table:
    """Annotate ``<field>_rank``: the rank of each row's value of ``field``, from
    1 for the smallest, tied values sharing the mean of their ranks.

    Spearman's rho is Pearson's r between these ranks. Rows whose value is
    missing get a missing rank.
    """
    counts = ht.group_by(value=ht[field]).aggregate(n=hl.agg.count())
    counts = counts.filter(hl.is_defined(counts.value))
    counts = counts.annotate(
        rank=hl.float64(hl.scan.sum(counts.n)) + (counts.n + 1) / 2
    )
    return ht.annotate(**{f"{field}_rank": counts[ht[field]].rank})


def correlation(ht: hl.Table) -> dict[str, Any]:
    """Pearson's r and Spearman's rho of polarity against mean rating, and the
    least-squares line of mean rating on polarity.

    :param ht: movies with a defined ``polarity`` and ``mean_rating``.
    :return: ``n_movies``, ``pearson``, ``spearman``, ``slope`` and
        ``intercept``; NaN where the data cannot give them (fewer than two
        movies, or every polarity the same).
    """
    ht = with_average_ranks(with_average_ranks(ht, "polarity"), "mean_rating")
    result = ht.aggregate(
        hl.struct(
            n_movies=hl.agg.count(),
            pearson=hl.agg.corr(ht.polarity, ht.mean_rating),
            spearman=hl.agg.corr(ht.polarity_rank, ht.mean_rating_rank),
            fit=hl.agg.linreg(ht.mean_rating, [1.0, ht.polarity]).beta,
        )
    )
    beta = result.fit if result.fit is not None else [math.nan, math.nan]
    return {
        "n_movies": int(result.n_movies),
        "pearson": _float(result.pearson),
        "spearman": _float(result.spearman),
        "intercept": _float(beta[0]),
        "slope": _float(beta[1]),
    }


def _float(value: float | None) -> float:
    """``value`` as a float, NaN where Hail returned a missing value."""
    return math.nan if value is None else float(value)


def correlation_test(
    r: float, n: int, level: float = LEVEL
) -> tuple[float, float, float]:
    """Two-sided p-value of no correlation, and the interval of ``r``.

    :return: ``(p_value, ci_low, ci_high)``. The p-value is the t test on
        ``n - 2`` degrees of freedom; the interval is Fisher's z-transform,
        ``tanh(atanh(r) +- z / sqrt(n - 3))``. Spearman's rho gets the same
        approximation. NaN where ``r`` is, or with too few movies (3 for the
        p-value, 4 for the interval).
    """
    if not math.isfinite(r) or n < 3:
        return math.nan, math.nan, math.nan
    if abs(r) >= 1:
        return 0.0, r, r
    t = r * math.sqrt((n - 2) / (1 - r * r))
    p_value = float(2 * stats.t.sf(abs(t), n - 2))
    if n < 4:
        return p_value, math.nan, math.nan
    half_width = float(stats.norm.ppf(0.5 + level / 2)) / math.sqrt(n - 3)
    z = math.atanh(r)
    return p_value, math.tanh(z - half_width), math.tanh(z + half_width)


def correlation_rows(subset: str, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of ``correlations.tsv`` for one subset: one per method."""
    rows = []
    for method in METHODS:
        r = result[method]
        p_value, ci_low, ci_high = correlation_test(r, result["n_movies"])
        rows.append(
            {
                "subset": subset,
                "method": method,
                "n_movies": result["n_movies"],
                "r": r,
                "p_value": p_value,
                "ci_low": ci_low,
                "ci_high": ci_high,
            }
        )
    return rows


def most_polar(
    ht: hl.Table, top_n: int, direction: Literal["positive", "negative"]
) -> hl.Table:
    """The ``top_n`` titles furthest from neutral in one direction.

    Ties go to the movie with more ratings, then to the lower id. Only titles
    of that sign qualify, so the list is shorter when fewer titles have one.
    """
    if direction == "positive":
        ht = ht.filter(ht.polarity > 0)
        order = hl.desc(ht.polarity)
    else:
        ht = ht.filter(ht.polarity < 0)
        order = hl.asc(ht.polarity)
    return ht.order_by(order, hl.desc(ht.n_ratings), ht.movie_id).head(top_n)


TITLE_COLUMNS = [
    "movie_id",
    "title",
    "clean_title",
    "polarity",
    "subjectivity",
    "band",
    "n_ratings",
    "mean_rating",
]


def localize_titles(ht: hl.Table) -> pd.DataFrame:
    """The title columns of ``ht`` as a pandas frame, in ``ht``'s order."""
    return ht.key_by().select(*TITLE_COLUMNS).to_pandas()


def band_frame(ht: hl.Table) -> pd.DataFrame:
    """Localize :func:`band_means`, with every band (an empty one has 0 movies)
    and the 95% t interval of each band's mean."""
    frame = ht.to_pandas().set_index("band").reindex(list(BANDS))
    frame = frame.rename_axis("band").reset_index()
    frame[["n_movies", "n_ratings"]] = (
        frame[["n_movies", "n_ratings"]].fillna(0).astype("int64")
    )
    frame = with_mean_interval(frame, n="n_movies", mean="mean", sd="sd")
    return frame[["band", "n_movies", "n_ratings", "mean", "sd", "ci_low", "ci_high"]]


def ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a leading ``rank`` column from 1, in its order."""
    frame = frame.reset_index(drop=True)
    return frame.assign(rank=range(1, len(frame) + 1))[["rank", *TITLE_COLUMNS]]


def plot_polarity_vs_mean(
    titles: pd.DataFrame, fit: Mapping[str, Any], path: Path
) -> None:
    """Scatter of mean rating against polarity, one point per non-neutral title,
    its area by number of ratings, with the least-squares line."""
    with plotting.figure(6.4, 4.0) as (fig, axes):
        if titles.empty:
            axes.text(0.5, 0.5, "no non-neutral title", ha="center", va="center")
        else:
            largest = float(titles["n_ratings"].max())
            axes.scatter(
                titles["polarity"],
                titles["mean_rating"],
                s=_point_area(titles["n_ratings"], largest),
                color=plotting.OKABE_ITO[0],
                alpha=0.45,
                linewidths=0,
            )
            _draw_fit(axes, fit)
            axes.legend(
                handles=_size_legend(largest),
                title="ratings",
                loc="lower right",
                fontsize=8,
                title_fontsize=8,
            )
        axes.set_xlim(-1.05, 1.05)
        axes.set_xlabel("title polarity (TextBlob)")
        axes.set_ylabel("mean rating")
        plotting.save_svg(fig, path)


def _point_area(n_ratings: pd.Series, largest: float) -> pd.Series:
    """Marker areas from 4 to 120 points², proportional to the count."""
    return 4 + 116 * n_ratings.astype("float64") / max(largest, 1.0)


def _draw_fit(axes: Any, fit: Mapping[str, Any]) -> None:
    """Draw the least-squares line across the polarity range, if there is one."""
    if not (math.isfinite(fit["slope"]) and math.isfinite(fit["intercept"])):
        return
    xs = np.array([-1.0, 1.0])
    axes.plot(
        xs,
        fit["intercept"] + fit["slope"] * xs,
        color=plotting.OKABE_ITO[3],
        linewidth=1.5,
    )


def _size_legend(largest: float) -> list[Line2D]:
    """Legend entries for three marker sizes: the largest count and fractions."""
    counts = sorted({max(1, round(largest * share)) for share in (0.1, 0.5, 1.0)})
    return [
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markersize=math.sqrt(float(_point_area(pd.Series([n]), largest)[0])),
            color=plotting.OKABE_ITO[0],
            alpha=0.45,
            label=f"{n:,}",
        )
        for n in counts
    ]


def plot_band_means(bands: pd.DataFrame, path: Path) -> None:
    """Mean rating of each polarity band with its 95% interval and its count."""
    with plotting.figure(5.2, 3.4) as (fig, axes):
        positions = np.arange(len(bands))
        means = bands["mean"].astype("float64")
        lower = (means - bands["ci_low"].astype("float64")).fillna(0)
        upper = (bands["ci_high"].astype("float64") - means).fillna(0)
        axes.errorbar(
            positions,
            means,
            yerr=[lower.to_numpy(), upper.to_numpy()],
            fmt="o",
            color=plotting.OKABE_ITO[0],
            ecolor=plotting.OKABE_ITO[0],
            capsize=4,
        )
        axes.set_xticks(
            positions,
            [
                f"{band}\n{n:,} movies"
                for band, n in zip(bands["band"], bands["n_movies"], strict=True)
            ],
        )
        axes.set_xlim(-0.5, len(bands) - 0.5)
        axes.set_xlabel("title polarity band")
        axes.set_ylabel("mean of movie mean ratings")
        plotting.save_svg(fig, path)


def headline(
    pearson: Mapping[str, Any], counts: Mapping[str, int], min_ratings: int
) -> str:
    """One sentence: how title sentiment relates to ratings, and how many titles
    TextBlob scores exactly neutral."""
    scored = sum(counts.values())
    neutral = (
        f"{_share(counts['neutral'], scored)} of titles score exactly neutral"
        if scored
        else "no title could be scored"
    )
    r, n = pearson["r"], pearson["n_movies"]
    if not math.isfinite(r):
        return (
            f"Title sentiment could not be compared with ratings over {n:,} movies "
            f"with at least {min_ratings} ratings; {neutral}."
        )
    numbers = f"r = {r:.2f}{_ci_text(pearson)} over {n:,} movies"
    return f"{_relation_words(pearson)}: {numbers}; {neutral}."


def _relation_words(pearson: Mapping[str, Any]) -> str:
    """Words for a correlation: near none, unclear, or its direction and size."""
    r, low, high = pearson["r"], pearson["ci_low"], pearson["ci_high"]
    spans_zero = not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high
    if abs(r) < 0.1:
        return "Title sentiment says almost nothing about ratings"
    if spans_zero:
        return "Title sentiment shows no clear relation to ratings"
    size = "slightly" if abs(r) < 0.3 else "moderately" if abs(r) < 0.5 else "much"
    direction = "higher" if r > 0 else "lower"
    return f"Movies with more positive titles get {size} {direction} ratings"


def _ci_text(row: Mapping[Any, Any]) -> str:
    """The row's interval as " (95% CI low to high)", or "" without one."""
    low, high = row["ci_low"], row["ci_high"]
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f" (95% CI {low:.2f} to {high:.2f})"


def findings(
    counts: Mapping[str, int],
    correlations: Mapping[str, list[dict[str, Any]]],
    bands: pd.DataFrame,
    extremes: Mapping[str, pd.DataFrame],
    min_ratings: int,
) -> list[str]:
    """The report's findings: neutral share, non-neutral correlation, band means
    and the most positive and most negative titles."""
    sentences = [_neutral_finding(counts)]
    pearson, spearman = correlations["non_neutral"]
    if math.isfinite(pearson["r"]):
        sentences.append(
            f"Over the {pearson['n_movies']:,} non-neutral titles with at least "
            f"{min_ratings} ratings, Pearson r = {pearson['r']:.2f}"
            f"{_ci_text(pearson)} and Spearman rho = {spearman['r']:.2f}"
            f"{_ci_text(spearman)}."
        )
    described = [
        f"{row['band']} titles {row['mean']:.2f} ({_interval_text(row)}"
        f"{row['n_movies']:,} movies)"
        for row in bands.to_dict("records")
        if row["n_movies"] > 0
    ]
    if described:
        sentences.append("Mean rating of movies with " + "; ".join(described) + ".")
    extreme_texts = [
        f"the most {direction} title is “{top['clean_title']}” "
        f"(polarity {top['polarity']:.2f}; {_rating_text(top)})"
        for direction, frame in extremes.items()
        if not frame.empty
        for top in frame.head(1).to_dict("records")
    ]
    if extreme_texts:
        text = "; ".join(extreme_texts)
        sentences.append(text[0].upper() + text[1:] + ".")
    return sentences


def _neutral_finding(counts: Mapping[str, int]) -> str:
    """The finding on how many titles score neutral, positive and negative."""
    scored = sum(counts.values())
    return (
        f"TextBlob scores {counts['neutral']:,} of {scored:,} titles "
        f"({_share(counts['neutral'], scored)}) exactly neutral: most titles hold "
        "no word of its English lexicon, and titles in other languages always "
        f"score neutral. {counts['positive']:,} score positive and "
        f"{counts['negative']:,} negative."
    )


def _share(part: int, whole: int) -> str:
    """``part`` as a whole percentage of ``whole``."""
    return f"{part / whole:.0%}" if whole else "no titles"


def _interval_text(row: Mapping[Any, Any]) -> str:
    """The row's interval as "95% CI low to high, ", or "" without one."""
    low, high = row["ci_low"], row["ci_high"]
    if not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f"95% CI {low:.2f} to {high:.2f}, "


def _rating_text(row: Mapping[Any, Any]) -> str:
    n_ratings = int(row["n_ratings"])
    if n_ratings == 0 or not math.isfinite(row["mean_rating"]):
        return "no ratings"
    plural = "rating" if n_ratings == 1 else "ratings"
    return f"mean rating {row['mean_rating']:.2f} over {n_ratings:,} {plural}"


def run(
    movie_stats_path: Path,
    *,
    min_ratings: int,
    top_n: int,
    outputs: Mapping[str, Path],
) -> dict[str, Any]:
    """Score every title, relate the scores to ratings and write every output.

    :param movie_stats_path: the ``movie_stats`` Hail table.
    :param min_ratings: movies with fewer ratings stay out of the correlations,
        the band means and the scatter plot.
    :param top_n: how many most positive and most negative titles to list.
    :param outputs: a path for each name in :data:`OUTPUTS`.
    :return: the summary, as written to ``outputs["summary"]``.
    """
    missing = [name for name in OUTPUTS if name not in outputs]
    if missing:
        raise ValueError(f"title_sentiment: no output path for {', '.join(missing)}")

    movie_stats = read_table(movie_stats_path)
    titles = {row.movie_id: row.title for row in movie_stats.select("title").collect()}
    # Every query below starts from this join; keeping it spares rebuilding it.
    ht = with_sentiment(movie_stats, scores_table(score_titles(titles))).persist()
    counts = band_counts(ht)
    logger.info(
        "title_sentiment: %d titles, %d not scored; %d neutral, %d positive, "
        "%d negative",
        len(titles),
        len(titles) - sum(counts.values()),
        counts["neutral"],
        counts["positive"],
        counts["negative"],
    )

    analysed = analysed_movies(ht, min_ratings)
    results = {
        "all": correlation(analysed),
        "non_neutral": correlation(analysed.filter(analysed.band != "neutral")),
    }
    records = {subset: correlation_rows(subset, results[subset]) for subset in SUBSETS}
    logger.info(
        "title_sentiment: %d movies with at least %d ratings, %d non-neutral; "
        "Pearson r %.3f over all, %.3f over non-neutral",
        results["all"]["n_movies"],
        min_ratings,
        results["non_neutral"]["n_movies"],
        results["all"]["pearson"],
        results["non_neutral"]["pearson"],
    )

    correlations = pd.DataFrame([row for subset in SUBSETS for row in records[subset]])
    bands = band_frame(band_means(analysed))
    title_frame = localize_titles(ht)
    extremes = {
        direction: ranked(localize_titles(most_polar(ht, top_n, direction)))
        for direction in ("positive", "negative")
    }
    write_tsv(title_frame, outputs["titles"])
    write_tsv(correlations, outputs["correlations"])
    write_tsv(bands, outputs["bands"])
    write_tsv(extremes["positive"], outputs["most_positive"])
    write_tsv(extremes["negative"], outputs["most_negative"])

    fit = fitted_line(results["non_neutral"])
    plot_polarity_vs_mean(
        non_neutral_titles(title_frame, min_ratings), fit, outputs["polarity_vs_mean"]
    )
    plot_band_means(bands, outputs["band_means"])

    summary = {
        "headline": headline(records["all"][0], counts, min_ratings),
        "findings": findings(counts, records, bands, extremes, min_ratings),
        "settings": {"min_ratings": min_ratings, "top_n": top_n},
        **title_counts(counts, len(titles)),
        "n_analysed": results["all"]["n_movies"],
        "n_analysed_non_neutral": results["non_neutral"]["n_movies"],
        "correlations": {
            subset: {row["method"]: _statistics(row) for row in records[subset]}
            for subset in SUBSETS
        },
        "fit": fit,
    }
    write_json(summary, outputs["summary"])
    logger.info("title_sentiment: %s", summary["headline"])
    return summary


def fitted_line(result: Mapping[str, Any]) -> dict[str, Any]:
    """The least-squares line of the scatter plot, with its equation as the
    caption prints it ("" where there is no line)."""
    intercept, slope = result["intercept"], result["slope"]
    equation = ""
    if math.isfinite(intercept) and math.isfinite(slope):
        sign = "-" if slope < 0 else "+"
        equation = f"mean rating = {intercept:.2f} {sign} {abs(slope):.2f} × polarity"
    return {
        "n_movies": result["n_movies"],
        "r": result["pearson"],
        "intercept": intercept,
        "slope": slope,
        "equation": equation,
    }


def non_neutral_titles(titles: pd.DataFrame, min_ratings: int) -> pd.DataFrame:
    """The rows of ``titles.tsv`` the scatter plot shows: non-neutral titles of
    movies with at least ``min_ratings`` ratings."""
    return titles[
        titles["band"].isin(["negative", "positive"])
        & (titles["n_ratings"] >= min_ratings)
        & titles["mean_rating"].notna()
    ]


def title_counts(counts: Mapping[str, int], n_movies: int) -> dict[str, Any]:
    """How many titles were scored, and how many fall in each band."""
    n_scored = sum(counts.values())
    return {
        "n_movies": n_movies,
        "n_scored": n_scored,
        "n_unscored": n_movies - n_scored,
        "n_neutral": counts["neutral"],
        "n_positive": counts["positive"],
        "n_negative": counts["negative"],
        "neutral_share": counts["neutral"] / n_scored if n_scored else math.nan,
    }


def _statistics(row: Mapping[str, Any]) -> dict[str, Any]:
    """A correlation row's numbers, for the summary."""
    return {key: row[key] for key in ("n_movies", "r", "p_value", "ci_low", "ci_high")}
