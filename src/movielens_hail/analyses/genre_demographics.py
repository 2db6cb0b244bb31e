"""Which genres each age group x sex segment of users prefers.

A segment's preference for a genre is measured by lift: the genre's share of the
segment's genre-ratings over its share of all users' genre-ratings. A lift of 1.3
means the segment gives the genre 30% more of its attention than users overall;
a genre popular with everyone has a lift near 1 in every segment. Each cell also
carries the segment's mean rating of the genre with its count and 95% interval,
since liking to watch a genre and rating it highly are different things.

A movie with several genres counts once per genre: a rating of a movie that is
both a comedy and a drama is one comedy-rating and one drama-rating. Ratings of
movies with no genre are left out of the shares and counted in the summary.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import hail as hl
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import Colormap, LogNorm, Normalize
from matplotlib.ticker import FixedLocator, NullLocator, StrMethodFormatter

from movielens_hail import demographics, intervals, plotting, runner, stats

logger = logging.getLogger(__name__)

MIN_GENRE_RATINGS = 20
"""A genre needs this many ratings in a segment to enter the segment's top list,
the findings and the heatmaps' colours: without a floor a genre rated twice, once
by chance, tops the list with a huge lift."""

CELL_COLUMNS = (
    "age_group",
    "sex",
    "genre",
    "n_ratings",
    "share",
    "overall_share",
    "lift",
    "mean_rating",
    "sd_rating",
    "ci_low",
    "ci_high",
)
"""The columns of ``segment_genres.tsv``."""

TOP_COLUMNS = (
    "age_group",
    "sex",
    "rank",
    "genre",
    "lift",
    "share",
    "n_ratings",
    "mean_rating",
)
"""The columns of ``top_genres.tsv``."""

SEX_NAMES = {"F": "women", "M": "men"}
"""How the summary sentences name the MovieLens sex codes."""

MASKED_GREY = "#bbbbbb"
"""The colour of heatmap cells with too few ratings to show."""

LIFT_TICKS = (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0)
"""Colour bar ticks of the lift heatmap, round values on both sides of 1; those
outside the colour range are dropped."""


def run(
    ratings_path: Path,
    movies_path: Path,
    users_path: Path,
    age_bins: Sequence[int],
    top_genres: int,
    outputs: Mapping[str, Path],
    *,
    min_genre_ratings: int = MIN_GENRE_RATINGS,
) -> dict[str, Any]:
    """Write the segment x genre table, the top genres, the heatmaps and the
    summary of the analysis.

    :param ratings_path: the ``ratings`` Hail table; ``movies_path`` and
        ``users_path`` likewise.
    :param age_bins: lower edge of each age group (``demographics.age_bins``).
    :param top_genres: how many genres to name per segment
        (``genre_demographics.top_genres``).
    :param outputs: paths by output name: ``segment_genres`` and ``top_genres``
        (TSV), ``lift_heatmap`` and ``mean_heatmap`` (SVG), ``summary`` (JSON).
    :param min_genre_ratings: the ratings a genre needs in a segment to be ranked,
        named in a finding or coloured in the heatmaps.
    :return: the summary, as written to ``outputs["summary"]``.
    """
    age_labels = demographics.age_group_labels(age_bins)
    users = runner.read_table(users_path)
    ratings = rating_segments(
        runner.read_table(ratings_path),
        users,
        runner.read_table(movies_path),
        age_bins,
    )

    counts = rating_counts(ratings)
    aggregates = segment_genre_aggregates(ratings).checkpoint(
        hl.utils.new_temp_file("genre_demographics", "ht")
    )
    cells = with_shares(segment_genre_grid(aggregates, segment_table(users, age_bins)))
    cell_frame = cells_frame(cells, age_labels)
    top_frame = top_genres_frame(
        top_genre_table(cells, top_genres, min_genre_ratings), age_labels
    )
    runner.write_tsv(cell_frame, outputs["segment_genres"])
    runner.write_tsv(top_frame, outputs["top_genres"])

    plot_lift_heatmap(cell_frame, min_genre_ratings, outputs["lift_heatmap"])
    plot_mean_heatmap(cell_frame, min_genre_ratings, outputs["mean_heatmap"])
    summary = summarize(
        counts, cell_frame, top_frame, age_bins, top_genres, min_genre_ratings
    )
    runner.write_json(summary, outputs["summary"])
    logger.info(
        "genre_demographics: %d ratings, %d without genre, %d without segment; "
        "%d genre-ratings in %d segments (%d empty) x %d genres",
        counts["n_ratings"],
        counts["n_ratings_without_genre"],
        counts["n_ratings_without_segment"],
        counts["n_genre_ratings"],
        summary["n_segments"],
        summary["n_empty_segments"],
        summary["n_genres"],
    )
    return summary


def rating_segments(
    ratings: hl.Table, users: hl.Table, movies: hl.Table, age_bins: Sequence[int]
) -> hl.Table:
    """Each rating with its user's ``age_group`` and ``sex`` and its movie's
    ``genres``."""
    profiles = users.select(
        age_group=demographics.age_group(users.age, age_bins), sex=users.sex
    )
    ht = ratings.select(ratings.rating)
    return ht.annotate(
        **profiles[ht.user_id], genres=stats.genres_by_movie(movies).get(ht.movie_id)
    )


def rating_counts(ht: hl.Table) -> dict[str, int]:
    """How many ratings there are, how many genre-ratings they make, and how many
    have no genre or no segment (a user younger than the first age group).

    :param ht: ratings from ``rating_segments``.
    """
    genre_count = hl.len(hl.or_else(ht.genres, hl.empty_array(hl.tstr)))
    in_segment = hl.is_defined(ht.age_group) & hl.is_defined(ht.sex)
    counts = ht.aggregate(
        hl.struct(
            n_ratings=hl.agg.count(),
            n_genre_ratings=hl.agg.sum(genre_count),
            n_ratings_without_genre=hl.agg.count_where(genre_count == 0),
            n_ratings_without_segment=hl.agg.count_where(~in_segment),
        )
    )
    return {key: int(value) for key, value in counts.items()}


def segment_genre_aggregates(ht: hl.Table) -> hl.Table:
    """Count, sum, mean and standard deviation of the ratings of each genre in each
    segment, keyed by ``(age_group, sex, genre)``.

    A rating adds to every genre of its movie; a movie with no genre adds to none.
    Users outside every segment form rows with a missing ``age_group`` or ``sex``,
    which count towards the genres' overall shares.
    """
    genre_ratings = ht.explode(ht.genres, name="genre")
    return genre_ratings.group_by(
        genre_ratings.age_group, genre_ratings.sex, genre_ratings.genre
    ).aggregate(**stats.rating_aggregates(genre_ratings.rating))


def segment_table(users: hl.Table, age_bins: Sequence[int]) -> hl.Table:
    """Every age group x sex segment, keyed by ``(age_group, sex)``: each age
    group crossed with each sex seen among users, whether anyone in it rated or
    not."""
    sexes = users.group_by(users.sex).aggregate().key_by()
    sexes = sexes.filter(hl.is_defined(sexes.sex))
    labels = demographics.age_group_labels(age_bins)
    segments = sexes.annotate(age_group=hl.literal(labels)).explode("age_group")
    return segments.key_by("age_group", "sex")


def segment_genre_grid(aggregates: hl.Table, segments: hl.Table) -> hl.Table:
    """Every segment with every genre that has ratings, keyed by ``(age_group,
    sex, genre)``, with the cell's aggregates (0 ratings where it has none), the
    segment's genre-ratings and the genre's ``overall_share`` of all of them.

    The totals come from one pass over ``aggregates`` into dictionaries rather
    than from grouped tables, which saves Hail two shuffles.

    :param aggregates: from ``segment_genre_aggregates``.
    :param segments: from ``segment_table``.
    """
    segment_key = hl.struct(age_group=aggregates.age_group, sex=aggregates.sex)
    totals = aggregates.aggregate(
        hl.struct(
            by_genre=hl.agg.group_by(
                aggregates.genre, hl.agg.sum(aggregates.n_ratings)
            ),
            by_segment=hl.agg.group_by(segment_key, hl.agg.sum(aggregates.n_ratings)),
            everything=hl.agg.sum(aggregates.n_ratings),
        ),
        _localize=False,
    )
    every_segment = segments.aggregate(hl.agg.collect(segments.key), _localize=False)
    grid = hl.utils.range_table(1).key_by().select()
    grid = grid.annotate_globals(totals=totals, every_segment=every_segment)
    grid = grid.annotate(
        segment=grid.every_segment, genre=hl.sorted(grid.totals.by_genre.keys())
    )
    grid = grid.explode("segment").explode("genre")
    grid = grid.select(
        age_group=grid.segment.age_group,
        sex=grid.segment.sex,
        genre=grid.genre,
        n_segment_ratings=grid.totals.by_segment.get(grid.segment, hl.int64(0)),
        overall_share=grid.totals.by_genre[grid.genre] / grid.totals.everything,
    )
    grid = grid.select_globals().key_by("age_group", "sex", "genre")
    cell = aggregates[grid.key]
    return grid.annotate(
        n_ratings=hl.or_else(cell.n_ratings, hl.int64(0)),
        mean_rating=cell.mean_rating,
        sd_rating=cell.sd_rating,
    )


def with_shares(ht: hl.Table) -> hl.Table:
    """Add ``share``, the genre's share of its segment's genre-ratings, and
    ``lift``, that share over the genre's overall share.

    Both are missing in a segment with no ratings; a genre the segment never
    rated has share and lift 0.

    :param ht: from ``segment_genre_grid``.
    """
    share = hl.or_missing(ht.n_segment_ratings > 0, ht.n_ratings / ht.n_segment_ratings)
    return ht.annotate(share=share, lift=share / ht.overall_share)


def top_genre_table(ht: hl.Table, top_n: int, min_ratings: int) -> hl.Table:
    """The ``top_n`` genres of each segment by lift, with their ``rank`` from 1.

    Only genres with at least ``min_ratings`` ratings in the segment are ranked;
    ties go to the genre with more ratings, then to the genre name. A segment with
    no genre to rank keeps one row with the genre fields missing.

    :param ht: from ``with_shares``, keyed by ``(age_group, sex, genre)``.
    """
    candidate = hl.struct(
        genre=ht.genre,
        lift=ht.lift,
        share=ht.share,
        n_ratings=ht.n_ratings,
        mean_rating=ht.mean_rating,
    )
    ranked = ht.group_by(ht.age_group, ht.sex).aggregate(
        genres=hl.agg.filter(
            (ht.n_ratings >= min_ratings) & hl.is_defined(ht.lift),
            hl.agg.collect(candidate),
        )
    )
    best = hl.sorted(
        ranked.genres, key=lambda genre: (-genre.lift, -genre.n_ratings, genre.genre)
    )[:top_n]
    best = hl.enumerate(best).map(lambda pair: pair[1].annotate(rank=pair[0] + 1))
    nothing = hl.missing(best.dtype.element_type)
    ranked = ranked.annotate(
        genres=hl.if_else(hl.len(best) > 0, best, hl.array([nothing]))
    )
    ranked = ranked.explode("genres")
    return ranked.select(**ranked.genres)


def cells_frame(ht: hl.Table, age_labels: Sequence[str]) -> pd.DataFrame:
    """Localize the ``with_shares`` table in segment order, genres alphabetical,
    with the interval of each mean."""
    frame = _in_segment_order(ht.to_pandas(), age_labels, ["genre"])
    return intervals.with_mean_interval(frame)[list(CELL_COLUMNS)]


def top_genres_frame(ht: hl.Table, age_labels: Sequence[str]) -> pd.DataFrame:
    """Localize the ``top_genre_table`` in segment order, then by rank."""
    frame = _in_segment_order(ht.to_pandas(), age_labels, ["rank"])
    return frame[list(TOP_COLUMNS)]


def _in_segment_order(
    frame: pd.DataFrame, age_labels: Sequence[str], then: list[str]
) -> pd.DataFrame:
    """Sort by age group (youngest first), sex, then the ``then`` columns."""
    rank = {label: position for position, label in enumerate(age_labels)}
    return frame.sort_values(
        ["age_group", "sex", *then],
        key=lambda column: column.map(rank) if column.name == "age_group" else column,
        ignore_index=True,
    )


def plot_lift_heatmap(cells: pd.DataFrame, min_ratings: int, path: Path) -> None:
    """Segments x genres coloured by lift on a diverging scale centred on 1.

    The scale is logarithmic, so a lift of 2 and one of 0.5 are equally far from
    1 in colour. Cells with fewer than ``min_ratings`` ratings are grey.
    """
    lift = _matrix(cells, "lift", min_ratings)
    shown = _shown_values(lift)
    # The widest lift on either side of 1 sets both ends, so 1 sits mid-scale.
    spread = max(1.1, float(np.exp(np.abs(np.log(shown)).max()))) if shown.size else 2
    norm = LogNorm(vmin=1 / spread, vmax=spread)
    colormap = matplotlib.colormaps["RdBu"].with_extremes(bad=MASKED_GREY)
    ticks = [tick for tick in LIFT_TICKS if 1 / spread <= tick <= spread]
    _heatmap(lift, norm, colormap, "lift (segment share / overall share)", ticks, path)


def plot_mean_heatmap(cells: pd.DataFrame, min_ratings: int, path: Path) -> None:
    """Segments x genres coloured by mean rating on a sequential scale; cells
    with fewer than ``min_ratings`` ratings are grey."""
    means = _matrix(cells, "mean_rating", min_ratings)
    shown = _shown_values(means)
    low, high = (float(shown.min()), float(shown.max())) if shown.size else (1, 5)
    norm = Normalize(vmin=low, vmax=max(high, low + 0.01))
    colormap = matplotlib.colormaps["cividis"].with_extremes(bad=MASKED_GREY)
    _heatmap(means, norm, colormap, "mean rating (1-5 stars)", None, path)


def _matrix(cells: pd.DataFrame, value: str, min_ratings: int) -> pd.DataFrame:
    """Segments (rows, in table order) x genres (columns, alphabetical) of
    ``value``, missing where a cell has fewer than ``min_ratings`` ratings."""
    shown = cells.assign(
        segment=cells["age_group"].astype(str) + " " + cells["sex"].astype(str),
        shown=cells[value].astype("float64").where(cells["n_ratings"] >= min_ratings),
    )
    segments = list(dict.fromkeys(shown["segment"]))
    matrix = shown.pivot(index="segment", columns="genre", values="shown")
    return matrix.reindex(index=segments, columns=sorted(matrix.columns))


def _shown_values(matrix: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The values of ``matrix`` that are not missing, flat."""
    values = matrix.to_numpy(dtype="float64").ravel()
    return values[~np.isnan(values)]


def _heatmap(
    matrix: pd.DataFrame,
    norm: Normalize,
    colormap: Colormap,
    label: str,
    ticks: list[float] | None,
    path: Path,
) -> None:
    """Draw ``matrix`` as a heatmap with each cell's value written in it."""
    values = np.ma.masked_invalid(matrix.to_numpy(dtype="float64"))
    width = 2.5 + 0.45 * matrix.shape[1]
    height = 1.6 + 0.3 * matrix.shape[0]
    with plotting.figure(width, height) as (fig, axes):
        image = axes.imshow(values, cmap=colormap, norm=norm, aspect="auto")
        axes.grid(False)
        axes.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=45, ha="right")
        axes.set_yticks(range(matrix.shape[0]), matrix.index)
        axes.set_xlabel("genre")
        axes.set_ylabel("age group and sex")
        for (row, column), value in np.ndenumerate(matrix.to_numpy(dtype="float64")):
            if np.isnan(value):
                continue
            red, green, blue, _ = colormap(norm(value))
            dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
            axes.text(
                column,
                row,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=6.5,
                color="white" if dark else "black",
            )
        colorbar = fig.colorbar(image, ax=axes, label=label, shrink=0.8)
        if ticks is not None:
            colorbar.ax.yaxis.set_major_locator(FixedLocator(ticks))
            colorbar.ax.yaxis.set_major_formatter(StrMethodFormatter("{x:.2f}"))
            colorbar.ax.yaxis.set_minor_locator(NullLocator())
        plotting.save_svg(fig, path)


def summarize(
    counts: Mapping[str, int],
    cells: pd.DataFrame,
    top: pd.DataFrame,
    age_bins: Sequence[int],
    top_genres: int,
    min_ratings: int,
) -> dict[str, Any]:
    """The summary: headline, findings, settings and the numbers they quote."""
    segment_sizes = cells.groupby(["age_group", "sex"], sort=False)["n_ratings"].sum()
    eligible = cells[cells["n_ratings"] >= min_ratings]
    strongest = _extreme_cell(eligible, largest=True)
    weakest = _extreme_cell(eligible, largest=False)
    return {
        "headline": _headline(strongest, min_ratings),
        "findings": [
            _weakest_finding(weakest),
            _leader_finding(top, int((segment_sizes > 0).sum())),
            _mean_gap_finding(eligible),
            _counting_finding(counts),
        ],
        "settings": {
            "age_bins": list(age_bins),
            "top_genres": top_genres,
            "min_genre_ratings": min_ratings,
            "interval_level": intervals.LEVEL,
        },
        **counts,
        "n_segments": len(segment_sizes),
        "n_empty_segments": int((segment_sizes == 0).sum()),
        "n_genres": int(cells["genre"].nunique()),
        "n_cells_below_floor": int((cells["n_ratings"] < min_ratings).sum()),
        "strongest_preference": _cell_record(strongest),
        "weakest_preference": _cell_record(weakest),
    }


def _extreme_cell(eligible: pd.DataFrame, *, largest: bool) -> pd.Series | None:
    """The cell with the highest (or lowest) lift; ties go to more ratings."""
    if eligible.empty:
        return None
    ordered = eligible.sort_values(
        ["lift", "n_ratings", "genre"],
        ascending=[not largest, False, True],
        kind="stable",
    )
    return ordered.iloc[0]


def _cell_record(cell: pd.Series | None) -> dict[str, Any] | None:
    if cell is None:
        return None
    return {
        "age_group": str(cell["age_group"]),
        "sex": str(cell["sex"]),
        "segment": _segment_name(cell),
        "genre": str(cell["genre"]),
        "n_ratings": int(cell["n_ratings"]),
        "share": float(cell["share"]),
        "overall_share": float(cell["overall_share"]),
        "lift": float(cell["lift"]),
    }


def _segment_name(row: pd.Series) -> str:
    """A segment in words: "women aged 18-24"."""
    sex = SEX_NAMES.get(str(row["sex"]), f"users of sex {row['sex']}")
    return f"{sex} aged {row['age_group']}"


def _headline(strongest: pd.Series | None, min_ratings: int) -> str:
    if strongest is None:
        return f"No age group x sex segment rated any genre {min_ratings} times."
    return (
        f"The strongest genre preference is {strongest['genre']} among "
        f"{_segment_name(strongest)}: {float(strongest['share']):.1%} of their "
        f"genre-ratings against {float(strongest['overall_share']):.1%} across all "
        f"users (lift {float(strongest['lift']):.2f}, "
        f"{int(strongest['n_ratings']):,} ratings)."
    )


def _weakest_finding(weakest: pd.Series | None) -> str:
    if weakest is None:
        return "No genre has enough ratings in any segment to compare."
    return (
        f"The weakest is {weakest['genre']} among {_segment_name(weakest)}: "
        f"{float(weakest['share']):.1%} of their genre-ratings against "
        f"{float(weakest['overall_share']):.1%} overall (lift "
        f"{float(weakest['lift']):.2f}, {int(weakest['n_ratings']):,} ratings)."
    )


def _leader_finding(top: pd.DataFrame, n_rated_segments: int) -> str:
    leaders = top[top["rank"] == 1]["genre"].value_counts()
    if leaders.empty:
        return "No segment has a genre with enough ratings to rank."
    most = leaders[leaders == leaders.max()].index
    genres = " and ".join(sorted(str(genre) for genre in most))
    verb = "tops" if len(most) == 1 else "each top"
    return (
        f"{genres} {verb} the list of {int(leaders.max())} of the "
        f"{n_rated_segments} segments with ratings, more than any other genre."
    )


def _mean_gap_finding(eligible: pd.DataFrame) -> str:
    """The genre whose mean rating differs most between two segments."""
    rated = eligible[eligible["mean_rating"].notna()]
    spans = rated.groupby("genre")["mean_rating"].agg(["min", "max", "count"])
    spans = spans[spans["count"] >= 2]
    if spans.empty:
        return "No genre has enough ratings in two segments to compare its mean."
    gaps = (spans["max"] - spans["min"]).sort_index()
    genre = gaps.idxmax()
    cells = rated[rated["genre"] == genre].sort_values("mean_rating", kind="stable")
    low, high = cells.iloc[0], cells.iloc[-1]
    return (
        f"{genre} divides segments most in mean rating: {_segment_name(high)} give "
        f"it {intervals.mean_text(high)}, "
        f"{_segment_name(low)} {intervals.mean_text(low)}."
    )


def _counting_finding(counts: Mapping[str, int]) -> str:
    with_genre = counts["n_ratings"] - counts["n_ratings_without_genre"]
    per_rating = counts["n_genre_ratings"] / with_genre if with_genre else 0.0
    without = counts["n_ratings_without_genre"]
    share = without / counts["n_ratings"] if counts["n_ratings"] else 0.0
    return (
        f"A movie with several genres counts once per genre, so {with_genre:,} "
        f"ratings make {counts['n_genre_ratings']:,} genre-ratings "
        f"({per_rating:.2f} per rating); {without:,} ratings ({share:.1%}) of "
        f"movies with no genre are left out."
    )
