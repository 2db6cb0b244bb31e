"""Who rates: users and ratings by age group, sex and occupation.

Each segment of users gets its size, the ratings its users gave, how many ratings
per user that makes, and the mean of those ratings with a 95% interval. The
activity index, a segment's share of all ratings over its share of all users, says
whether the segment rates more (above 1) or less (below 1) than its size suggests.

The interval of a segment's mean needs the spread of the segment's single ratings.
``user_stats`` holds each user's count, sum and sample standard deviation, from
which the user's sum of squared ratings follows exactly; summing those over a
segment gives the pooled standard deviation without reading the ratings again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import hail as hl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter
from matplotlib.typing import HashableList

from movielens_hail import demographics, intervals, plotting, runner

logger = logging.getLogger(__name__)

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "by_age_group": ("age_group",),
    "by_sex": ("sex",),
    "by_occupation": ("occupation",),
    "by_age_group_sex": ("age_group", "sex"),
}
"""Each segment table by output name, with the user fields that define a segment."""

MEASURES = (
    "n_users",
    "share_users",
    "n_ratings",
    "share_ratings",
    "activity_index",
    "ratings_per_user",
    "median_ratings_per_user",
    "mean_rating",
    "sd_rating",
    "ci_low",
    "ci_high",
)
"""The columns of every segment table after the fields that name the segment."""

HAIL_MEASURES = MEASURES[:-2]
"""The measures computed in Hail; the interval is added to the localized table."""

SEGMENT_FIELDS = ("age_group", "sex", "occupation")
"""The user fields that segments are defined by."""

MIN_USERS_FOR_FINDINGS = 20
"""Segments with fewer users are left out when the findings name the most and least
active segments: a few keen users can give a small occupation an extreme index."""

BINS_PER_DECADE = 10
"""Bins of the ratings-per-user histogram per factor of ten in ratings."""

SEX_NAMES = {"F": "women", "M": "men"}
"""How the summary sentences name the MovieLens sex codes."""

PANEL_TITLES = {
    "by_age_group": "Age group",
    "by_sex": "Sex",
    "by_occupation": "Occupation",
    "by_age_group_sex": "Age group × sex",
}


def run(
    user_stats_path: Path,
    age_bins: Sequence[int],
    outputs: Mapping[str, Path],
    *,
    min_users: int = MIN_USERS_FOR_FINDINGS,
) -> dict[str, Any]:
    """Write the segment tables, the figures and the summary of the analysis.

    :param user_stats_path: the ``user_stats`` Hail table.
    :param age_bins: lower edge of each age group (``demographics.age_bins``).
    :param outputs: paths by output name: ``by_age_group``, ``by_sex``,
        ``by_occupation`` and ``by_age_group_sex`` (TSV), ``segments`` and
        ``ratings_per_user`` (SVG), ``summary`` (JSON).
    :param min_users: segments the findings may name need this many users.
    :return: the summary, as written to ``outputs["summary"]``.
    """
    age_labels = demographics.age_group_labels(age_bins)
    users = runner.read_table(user_stats_path)
    users = with_sum_of_squares(with_age_group(users, age_bins))

    overall = overall_stats(users)
    frames = segment_frames(all_segment_stats(users, age_labels), age_labels)
    for name, frame in frames.items():
        runner.write_tsv(frame, outputs[name])
    histogram = ratings_per_user_histogram(users).to_pandas()

    plot_segments(frames, outputs["segments"])
    plot_ratings_per_user(
        histogram, overall["median_ratings_per_user"], outputs["ratings_per_user"]
    )
    summary = summarize(overall, frames, age_bins, min_users)
    runner.write_json(summary, outputs["summary"])
    logger.info(
        "engagement: %d users, %d ratings; %d of %d age groups empty, "
        "%d users below the first age group",
        overall["n_users"],
        overall["n_ratings"],
        int((frames["by_age_group"]["n_users"] == 0).sum()),
        len(age_labels),
        overall["n_users_without_age_group"],
    )
    return summary


def with_age_group(ht: hl.Table, age_bins: Sequence[int]) -> hl.Table:
    """Add ``age_group``, the label of the group each user's age falls in."""
    return ht.annotate(age_group=demographics.age_group(ht.age, age_bins))


def with_sum_of_squares(ht: hl.Table) -> hl.Table:
    """Add ``sum_squares``, each user's sum of squared ratings.

    It follows from the count ``n``, sum ``s`` and sample standard deviation ``sd``
    as ``sd ** 2 * (n - 1) + s ** 2 / n``: the user's squared deviations from their
    own mean plus ``n`` times their squared mean. A single rating has no standard
    deviation and gives ``s ** 2``; a user with no ratings gives 0.
    """
    deviations = hl.or_else(ht.sd_rating**2 * (ht.n_ratings - 1), 0.0)
    return ht.annotate(
        sum_squares=hl.if_else(
            ht.n_ratings > 0, deviations + ht.sum_rating**2 / ht.n_ratings, 0.0
        )
    )


def overall_stats(ht: hl.Table) -> dict[str, Any]:
    """Counts, mean rating and ratings per user over all users, localized.

    :param ht: users with ``age_group`` and ``sum_squares``.
    :return: ``n_users``, ``n_ratings``, the mean and standard deviation of all
        ratings with their interval, the least, median and most ratings per user,
        and how many users have no ratings or no age group.
    """
    n_ratings = hl.agg.sum(ht.n_ratings)
    totals = ht.aggregate(
        hl.struct(
            n_users=hl.agg.count(),
            n_users_without_ratings=hl.agg.count_where(ht.n_ratings == 0),
            n_users_without_age_group=hl.agg.count_where(hl.is_missing(ht.age_group)),
            n_ratings=n_ratings,
            min_ratings_per_user=hl.agg.min(ht.n_ratings),
            median_ratings_per_user=_median(ht.n_ratings),
            max_ratings_per_user=hl.agg.max(ht.n_ratings),
            **pooled_mean_and_sd(
                n_ratings, hl.agg.sum(ht.sum_rating), hl.agg.sum(ht.sum_squares)
            ),
        )
    )
    overall = dict(totals)
    interval = intervals.with_mean_interval(pd.DataFrame([overall])).iloc[0]
    for bound in ("ci_low", "ci_high"):
        overall[bound] = None if pd.isna(interval[bound]) else float(interval[bound])
    return overall


def _median(count: hl.Int64Expression) -> hl.Float64Expression:
    """The median of ``count`` over the rows aggregated.

    The counts are made floats first: Hail's median of integers rounds the mean
    of the two middle values down.
    """
    return hl.median(hl.agg.collect(hl.float64(count)))


def pooled_mean_and_sd(
    n_ratings: hl.Int64Expression,
    sum_rating: hl.Int64Expression,
    sum_squares: hl.Float64Expression,
) -> dict[str, hl.Float64Expression]:
    """The mean and sample standard deviation of ratings known only through their
    count, sum and sum of squares; missing for no ratings and one rating."""
    mean = sum_rating / n_ratings
    variance = (sum_squares - n_ratings * mean * mean) / (n_ratings - 1)
    return {
        "mean_rating": hl.or_missing(n_ratings > 0, mean),
        "sd_rating": hl.or_missing(n_ratings > 1, hl.sqrt(hl.max(variance, 0.0))),
    }


def segment_stats(
    ht: hl.Table, by: Sequence[str], age_labels: Sequence[str]
) -> hl.Table:
    """One row per segment of users, keyed by the fields ``by``, with its measures.

    Every age group appears, with 0 users and missing means when nobody is in it;
    other fields show the values seen among users. Users outside every age group
    (younger than the first edge) count in the shares' totals but in no age group.

    :param ht: users with ``age_group`` and ``sum_squares``.
    :param by: the user fields that define a segment, e.g. ``("age_group", "sex")``.
    :param age_labels: every age group label, from ``demographics.age_group_labels``.
    """
    totals = ht.aggregate(
        hl.struct(n_users=hl.agg.count(), n_ratings=hl.agg.sum(ht.n_ratings)),
        _localize=False,
    )
    segments = ht.group_by(*(ht[field] for field in by)).aggregate(
        n_users=hl.agg.count(),
        n_ratings=hl.agg.sum(ht.n_ratings),
        sum_rating=hl.agg.sum(ht.sum_rating),
        sum_squares=hl.agg.sum(ht.sum_squares),
        median_ratings_per_user=_median(ht.n_ratings),
    )
    grid = segment_grid(ht, by, age_labels)
    grid = grid.annotate(**segments[grid.key]).annotate_globals(totals=totals)
    return with_segment_measures(grid)


def segment_grid(
    ht: hl.Table, by: Sequence[str], age_labels: Sequence[str]
) -> hl.Table:
    """Every segment a table by ``by`` shows, keyed by ``by``: each age group in
    ``age_labels`` crossed with each value of the other fields seen in ``ht``."""
    others = [field for field in by if field != "age_group"]
    if others:
        grid = ht.group_by(*(ht[field] for field in others)).aggregate().key_by()
        for field in others:
            grid = grid.filter(hl.is_defined(grid[field]))
    else:
        grid = hl.utils.range_table(1).key_by().select()
    if "age_group" in by:
        grid = grid.annotate(age_group=hl.literal(list(age_labels)))
        grid = grid.explode("age_group")
    return grid.key_by(*by)


def with_segment_measures(ht: hl.Table) -> hl.Table:
    """Fill empty segments with zeros and add shares, activity index, ratings per
    user, mean and standard deviation.

    :param ht: segments with ``n_users``, ``n_ratings``, ``sum_rating`` and
        ``sum_squares`` (missing for empty segments), and a global ``totals``
        holding ``n_users`` and ``n_ratings`` over all users.
    """
    ht = ht.annotate(
        n_users=hl.or_else(ht.n_users, hl.int64(0)),
        n_ratings=hl.or_else(ht.n_ratings, hl.int64(0)),
        sum_rating=hl.or_else(ht.sum_rating, hl.int64(0)),
        sum_squares=hl.or_else(ht.sum_squares, 0.0),
    )
    share_users = hl.or_missing(ht.totals.n_users > 0, ht.n_users / ht.totals.n_users)
    share_ratings = hl.or_missing(
        ht.totals.n_ratings > 0, ht.n_ratings / ht.totals.n_ratings
    )
    return ht.annotate(
        share_users=share_users,
        share_ratings=share_ratings,
        activity_index=hl.or_missing(ht.n_users > 0, share_ratings / share_users),
        ratings_per_user=hl.or_missing(ht.n_users > 0, ht.n_ratings / ht.n_users),
        **pooled_mean_and_sd(ht.n_ratings, ht.sum_rating, ht.sum_squares),
    )


def all_segment_stats(ht: hl.Table, age_labels: Sequence[str]) -> hl.Table:
    """The segments of every table in ``DIMENSIONS``, unkeyed, in one table.

    Collecting them in one table lets one query localize them all. The field
    ``table`` names the segment table a row belongs to; of ``age_group``, ``sex``
    and ``occupation``, those that do not define its segments are missing.
    """
    parts = []
    for name, by in DIMENSIONS.items():
        segments = segment_stats(ht, by, age_labels).key_by()
        parts.append(
            segments.select(
                table=name,
                **{
                    field: segments[field] if field in by else hl.missing(hl.tstr)
                    for field in SEGMENT_FIELDS
                },
                **{measure: segments[measure] for measure in HAIL_MEASURES},
            ).select_globals()
        )
    return parts[0].union(*parts[1:])


def segment_frames(ht: hl.Table, age_labels: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Localize ``all_segment_stats`` as one frame per segment table, in a stable
    order and with intervals.

    Age groups come youngest first, every other field in alphabetical order.
    """
    segments = ht.to_pandas()
    rank = {label: position for position, label in enumerate(age_labels)}
    frames = {}
    for name, by in DIMENSIONS.items():
        frame = segments[segments["table"] == name].sort_values(
            list(by),
            key=lambda column: (
                column.map(rank) if column.name == "age_group" else column
            ),
            ignore_index=True,
        )
        frames[name] = intervals.with_mean_interval(frame)[[*by, *MEASURES]]
    return frames


def ratings_per_user_histogram(
    ht: hl.Table, bins_per_decade: int = BINS_PER_DECADE
) -> hl.Table:
    """Users counted in bins of ratings per user that are equally wide on a log
    scale, keyed by ``log_bin``.

    Bin ``b`` holds users with from ``10 ** (b / bins_per_decade)`` up to, but not
    including, ``10 ** ((b + 1) / bins_per_decade)`` ratings. Users without ratings
    have no place on a log scale and are left out; the summary counts them.
    """
    rated = ht.filter(ht.n_ratings > 0)
    log_bin = hl.int32(hl.floor(hl.log10(rated.n_ratings) * bins_per_decade))
    return rated.group_by(log_bin=log_bin).aggregate(n_users=hl.agg.count())


def plot_segments(frames: Mapping[str, pd.DataFrame], path: Path) -> None:
    """Bar charts of the activity index, one panel per dimension, with each bar
    labelled by its ratings per user."""
    age_rows = len(frames["by_age_group"])
    layout: list[HashableList[str]] = [
        ["by_age_group", "by_occupation"],
        ["by_sex", "by_occupation"],
        ["by_age_group_sex", "by_occupation"],
    ]
    with plt.style.context(plotting.STYLE):
        fig, panels = plt.subplot_mosaic(
            layout,
            figsize=(9.6, 8.4),
            layout="constrained",
            height_ratios=[age_rows + 1, len(frames["by_sex"]) + 1, age_rows + 2],
        )
        for name in ("by_age_group", "by_sex", "by_occupation"):
            field = DIMENSIONS[name][0]
            _activity_bars(panels[name], frames[name], field)
        _activity_bars_by_sex(panels["by_age_group_sex"], frames["by_age_group_sex"])
        # One x range for all panels, with room for the labels at the bar ends, so
        # that bars compare across panels.
        indexes = pd.concat([frame["activity_index"] for frame in frames.values()])
        widest = indexes.astype("float64").max()
        x_limit = 1.25 * (max(1.0, float(widest)) if pd.notna(widest) else 1.0)
        for name, axes in panels.items():
            axes.set_title(PANEL_TITLES[name], loc="left")
            axes.axvline(1.0, color="#555555", linestyle="--", linewidth=0.8)
            axes.set_xlim(0.0, x_limit)
        for name in ("by_age_group_sex", "by_occupation"):
            panels[name].set_xlabel("activity index: share of ratings / share of users")
        plotting.save_svg(fig, path)
        plt.close(fig)


def _activity_bars(axes: Axes, frame: pd.DataFrame, field: str) -> None:
    positions = list(range(len(frame)))
    index = frame["activity_index"].astype("float64")
    axes.barh(positions, index.fillna(0.0), color=plotting.OKABE_ITO[0])
    _label_bars(axes, positions, index, frame["ratings_per_user"])
    axes.set_yticks(positions, [str(value) for value in frame[field]])
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)


def _activity_bars_by_sex(axes: Axes, frame: pd.DataFrame) -> None:
    age_groups = list(dict.fromkeys(frame["age_group"]))
    sexes = sorted(set(frame["sex"]))
    height = 0.8 / max(len(sexes), 1)
    for offset, sex in enumerate(sexes):
        rows = frame[frame["sex"] == sex].set_index("age_group").reindex(age_groups)
        positions = [
            position - 0.4 + height * (offset + 0.5)
            for position in range(len(age_groups))
        ]
        index = rows["activity_index"].astype("float64")
        axes.barh(
            positions,
            index.fillna(0.0),
            height=height,
            color=plotting.OKABE_ITO[offset % len(plotting.OKABE_ITO)],
            label=SEX_NAMES.get(sex, sex),
        )
        _label_bars(axes, positions, index, rows["ratings_per_user"])
    axes.set_yticks(range(len(age_groups)), age_groups)
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)


def _label_bars(
    axes: Axes,
    positions: Sequence[float],
    index: pd.Series,
    ratings_per_user: pd.Series,
) -> None:
    """Write each bar's ratings per user at its end, or "no users" for none."""
    for position, value, per_user in zip(
        positions, index, ratings_per_user, strict=True
    ):
        if pd.isna(value):
            text, at = "no users", 0.02
        else:
            text, at = f"{float(per_user):.0f}/user", float(value) + 0.02
        axes.text(at, position, text, va="center", fontsize=7, color="#333333")


def plot_ratings_per_user(
    histogram: pd.DataFrame,
    median: float | None,
    path: Path,
    bins_per_decade: int = BINS_PER_DECADE,
) -> None:
    """Histogram of ratings per user on a log x axis, with the median marked."""
    bins = histogram.sort_values("log_bin")
    lower = 10.0 ** (bins["log_bin"].astype("float64") / bins_per_decade)
    upper = 10.0 ** ((bins["log_bin"].astype("float64") + 1) / bins_per_decade)
    with plotting.figure(6.4, 3.6) as (fig, axes):
        axes.bar(
            lower,
            bins["n_users"],
            width=upper - lower,
            align="edge",
            color=plotting.OKABE_ITO[0],
            edgecolor="white",
            linewidth=0.5,
        )
        if median is not None:
            axes.axvline(median, color=plotting.OKABE_ITO[3], linestyle="--")
            axes.annotate(
                f"median {median:.0f}",
                (median, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(4, -4),
                textcoords="offset points",
                va="top",
                color=plotting.OKABE_ITO[3],
            )
        axes.set_xscale("log")
        axes.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axes.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_xlabel("ratings per user (log scale)")
        axes.set_ylabel("users")
        plotting.save_svg(fig, path)


def summarize(
    overall: Mapping[str, Any],
    frames: Mapping[str, pd.DataFrame],
    age_bins: Sequence[int],
    min_users: int,
) -> dict[str, Any]:
    """The summary: headline, findings, settings and the numbers they quote."""
    most_active = {
        name: _segment_record(name, row)
        for name, row in (
            (name, _extreme(frames[name], min_users, largest=True))
            for name in DIMENSIONS
        )
        if row is not None
    }
    least_active = {
        name: _segment_record(name, row)
        for name, row in (
            (name, _extreme(frames[name], min_users, largest=False))
            for name in DIMENSIONS
        )
        if row is not None
    }
    return {
        "headline": _headline(overall, most_active, min_users),
        "findings": [
            _activity_finding(
                "by_age_group", "age groups", most_active, least_active, min_users
            ),
            _sex_finding(frames["by_sex"]),
            _activity_finding(
                "by_occupation", "occupations", most_active, least_active, min_users
            ),
            _mean_rating_finding(frames["by_age_group"], min_users),
        ],
        "settings": {
            "age_bins": list(age_bins),
            "min_users_for_findings": min_users,
            "interval_level": intervals.LEVEL,
        },
        **overall,
        "n_empty_age_groups": int((frames["by_age_group"]["n_users"] == 0).sum()),
        "most_active": most_active,
        "least_active": least_active,
    }


def _extreme(frame: pd.DataFrame, min_users: int, *, largest: bool) -> pd.Series | None:
    """The segment with the highest (or lowest) activity index among those with
    at least ``min_users`` users; ties go to the larger segment."""
    eligible = frame[(frame["n_users"] >= min_users) & frame["activity_index"].notna()]
    if eligible.empty:
        return None
    ordered = eligible.sort_values(
        ["activity_index", "n_users"], ascending=[not largest, False], kind="stable"
    )
    return ordered.iloc[0]


def _segment_record(name: str, row: pd.Series) -> dict[str, Any]:
    fields = DIMENSIONS[name]
    return {
        "segment": _describe(name, row),
        **{field: str(row[field]) for field in fields},
        "n_users": int(row["n_users"]),
        "share_users": float(row["share_users"]),
        "share_ratings": float(row["share_ratings"]),
        "activity_index": float(row["activity_index"]),
        "ratings_per_user": float(row["ratings_per_user"]),
    }


def _describe(name: str, row: pd.Series) -> str:
    """A segment in words: "users aged 25-34", "women", "women aged 25-34"."""
    if name == "by_age_group":
        return f"users aged {row['age_group']}"
    if name == "by_sex":
        return _sex_name(row["sex"])
    if name == "by_occupation":
        return f"users listed as {row['occupation']}"
    return f"{_sex_name(row['sex'])} aged {row['age_group']}"


def _sex_name(sex: str) -> str:
    return SEX_NAMES.get(sex, f"users of sex {sex}")


def _headline(
    overall: Mapping[str, Any],
    most_active: Mapping[str, Mapping[str, Any]],
    min_users: int,
) -> str:
    median = overall["median_ratings_per_user"]
    if median is None:
        opening = "No user rated any movie"
    else:
        movies = "movie" if median == 1 else "movies"
        opening = f"The median user rated {median:.0f} {movies}"
    if not most_active:
        return f"{opening}; no segment has {min_users} users or more to compare."
    top = max(most_active.values(), key=lambda record: record["activity_index"])
    return (
        f"{opening}; {top['segment']} rate most for their number, giving "
        f"{top['share_ratings']:.1%} of all {overall['n_ratings']:,} ratings as "
        f"{top['share_users']:.1%} of users (activity index "
        f"{top['activity_index']:.2f})."
    )


def _activity_finding(
    name: str,
    plural: str,
    most_active: Mapping[str, Mapping[str, Any]],
    least_active: Mapping[str, Mapping[str, Any]],
    min_users: int,
) -> str:
    if name not in most_active:
        return f"No {plural[:-1]} has {min_users} users or more to compare."
    most, least = most_active[name], least_active[name]
    return (
        f"Among {plural} with at least {min_users} users, {most['segment']} rate "
        f"most for their number: {most['share_users']:.1%} of users give "
        f"{most['share_ratings']:.1%} of ratings (activity index "
        f"{most['activity_index']:.2f}, {most['ratings_per_user']:.0f} ratings per "
        f"user); {least['segment']} rate least (index "
        f"{least['activity_index']:.2f}, {least['ratings_per_user']:.0f} per user)."
    )


def _sex_finding(frame: pd.DataFrame) -> str:
    parts = [
        f"{_sex_name(row['sex'])} are {float(row['share_users']):.1%} of users and "
        f"give {float(row['share_ratings']):.1%} of ratings "
        f"({float(row['ratings_per_user']):.0f} per user) with a mean rating of "
        f"{intervals.mean_text(row)}"
        for _, row in frame.iterrows()
        if row["n_ratings"] > 0
    ]
    if not parts:
        return "No user of any sex has rated a movie."
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def _mean_rating_finding(frame: pd.DataFrame, min_users: int) -> str:
    rated = frame[(frame["n_users"] >= min_users) & frame["mean_rating"].notna()]
    if len(rated) < 2:
        return f"Fewer than two age groups have {min_users} users to compare."
    ordered = rated.sort_values("mean_rating", kind="stable")
    low, high = ordered.iloc[0], ordered.iloc[-1]
    return (
        f"Users aged {high['age_group']} give the highest mean rating, "
        f"{intervals.mean_text(high)}; users aged {low['age_group']} the lowest, "
        f"{intervals.mean_text(low)}."
    )
