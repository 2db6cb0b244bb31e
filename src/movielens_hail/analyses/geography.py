"""Users, ratings and genre preferences mapped by ZIP code, state and ZIP3 region.

MovieLens keeps each user's ZIP code as typed at sign-up. Every distinct code is
classified by its pattern (:func:`~movielens_hail.zip_codes.parse_zipcode`): a
5-digit US ZIP, a ZIP+4 (cut to its first five digits), a Canadian postal code
(which MovieLens cuts to five characters, "T8H1N"), or neither. The US codes, a
few hundred, are looked up in the offline ``zipcodes`` database for city, county,
state and coordinates. The lookup becomes a small Hail table keyed by the raw
code, and Hail joins it to the users and their ratings and does every count and
mean. A code that matches no US ZIP (Canadian, invalid, or well-formed but
unknown, like "00000") is listed with its users and ratings, never dropped
silently.

A region's taste is its genre *lift*: the region's share of genre-ratings that
fall in a genre, divided by the national share of that genre. "National" means
all users with a US ZIP, so both shares count the same kind of user. A rating
counts once per genre of its movie; movies with no genre add nothing. Only
genres with at least ``MIN_GENRE_RATINGS`` ratings in a region can be its top
genre, so that one fan of a rare genre does not make a state's taste.

The maps are drawn in equal-area projections: Conus Albers (EPSG:5070) for the
48 contiguous states and DC, Alaska Albers (EPSG:3338) and Hawaii Albers
(ESRI:102007) in insets that keep neither their true position nor the main
map's scale. Puerto Rico, the other territories and military post codes have
rows in the tables but no place on the maps; the summary counts their users.
"""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd  # type: ignore[import-untyped]
import hail as hl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from movielens_hail import plotting
from movielens_hail.intervals import with_mean_interval
from movielens_hail.runner import read_table, write_json, write_tsv
from movielens_hail.stats import genres_by_movie, rating_aggregates
from movielens_hail.zip_codes import find_zip, parse_zipcode

logger = logging.getLogger(__name__)

MIN_GENRE_RATINGS = 20
"""A genre needs this many ratings in a region to be named the region's top."""

UNMATCHED_KINDS = ("canadian", "invalid", "unknown")
"""What a code that matches no US ZIP is: a Canadian postal code, a code of no
known pattern, or a well-formed US code that the database does not hold."""

LOOKUP_SCHEMA = (
    "struct{zipcode: str, kind: str, zip5: str, zip3: str, city: str, "
    "county: str, state: str, lat: float64, long: float64}"
)

STATES_AND_DC = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS "
    "MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
)
ON_MAP = frozenset(STATES_AND_DC.split())
"""The 50 states and DC: the codes the maps draw."""

PANELS: dict[str, tuple[str, float]] = {
    "conus": ("EPSG:5070", 5000.0),
    "alaska": ("EPSG:3338", 5000.0),
    "hawaii": ("ESRI:102007", 1000.0),
}
"""Each map panel's equal-area projection and the tolerance in metres its state
outlines are simplified to. Hawaii's islands are small, so its outlines keep
finer detail."""

HAWAII_MAIN_ISLANDS = (-161.0, 18.5, -154.5, 22.5)
"""Longitude and latitude bounds of the inhabited Hawaiian islands. The inset
leaves out the Northwestern Hawaiian Islands, which would stretch it to Kure
Atoll, 2,000 km away, and shrink the main islands to specks."""

NON_STATE_NAMES = {
    "AA": "Armed Forces Americas",
    "AE": "Armed Forces Europe",
    "AP": "Armed Forces Pacific",
    "FM": "Federated States of Micronesia",
    "MH": "Marshall Islands",
    "PW": "Palau",
}
"""Codes in the ZIP database that the Census state boundaries do not name."""

NO_DATA_GREY = "#e4e4e4"
HATCH_COLOUR = "#555555"

STATE_COLUMNS = [
    "state",
    "state_name",
    "n_users",
    "n_zipcodes",
    "n_ratings",
    "ratings_per_user",
    "mean_rating",
    "sd_rating",
    "ci_low",
    "ci_high",
    "top_genre",
    "top_genre_lift",
    "top_genre_ratings",
    "too_few_users",
]
ZIP3_COLUMNS = ["zip3", *STATE_COLUMNS]
UNMATCHED_COLUMNS = ["zipcode", "kind", "n_users", "n_ratings"]


def lookup_zipcodes(raw_codes: Iterable[str]) -> list[dict[str, Any]]:
    """One row per distinct raw code: its kind and, for a US match, its place.

    :param raw_codes: the codes as MovieLens holds them; repeats are fine.
    :return: rows sorted by code, each with ``zipcode`` (the raw
        code), ``kind`` (``us`` for a matched US ZIP, else one of
        ``UNMATCHED_KINDS``), ``zip5``, and for matched codes ``zip3``,
        ``city``, ``county``, ``state``, ``lat`` and ``long``.
    """
    rows = []
    for raw in sorted(set(raw_codes)):
        parsed = parse_zipcode(raw)
        record = find_zip(parsed.zip5) if parsed.zip5 else None
        row: dict[str, Any] = {
            "zipcode": raw,
            "kind": parsed.kind,
            "zip5": parsed.zip5,
            **dict.fromkeys(("zip3", "city", "county", "state", "lat", "long")),
        }
        if parsed.zip5 and record is None:
            row["kind"] = "unknown"
        elif parsed.zip5 and record is not None:
            row.update(
                zip3=parsed.zip5[:3],
                city=record["city"] or None,
                county=record["county"] or None,
                state=record["state"],
                **coordinates(record),
            )
        rows.append(row)
    return rows


def coordinates(record: Mapping[str, Any]) -> dict[str, float | None]:
    """A ZIP record's latitude and longitude as floats.

    Military post codes (state AA, AE or AP) serve no fixed place and carry 0, 0
    in the database; they get no coordinates.
    """
    lat, long = float(record["lat"]), float(record["long"])
    if lat == 0 and long == 0:
        return {"lat": None, "long": None}
    return {"lat": lat, "long": long}


def lookup_table(lookup: Sequence[Mapping[str, Any]]) -> hl.Table:
    """The rows of :func:`lookup_zipcodes` as a Hail table keyed by ``zipcode``."""
    return hl.Table.parallelize(
        [dict(row) for row in lookup], hl.dtype(LOOKUP_SCHEMA), key="zipcode"
    )


def locate_users(user_stats: hl.Table, lookup: hl.Table) -> hl.Table:
    """Every user with the kind and place of their ZIP code.

    :param user_stats: keyed by ``user_id`` with ``zipcode`` and ``n_ratings``.
    :param lookup: :func:`lookup_table` over (at least) the users' codes. A
        missing code is looked up as the empty string, which is ``invalid``.
    :return: ``user_stats`` with ``kind``, ``zip5``, ``zip3``, ``city``,
        ``county``, ``state``, ``lat`` and ``long``; the place fields are
        missing unless ``kind`` is ``us``.
    """
    return user_stats.annotate(**lookup[hl.or_else(user_stats.zipcode, "")])


def locate_ratings(ratings: hl.Table, users: hl.Table, movies: hl.Table) -> hl.Table:
    """The ratings of users with a matched US ZIP, with the user's state and
    ZIP3 and the movie's genres (empty when it has none).

    :param users: :func:`locate_users`'s table.
    """
    genres = genres_by_movie(movies)
    user = users[ratings.user_id]
    ht = ratings.select(
        "rating",
        state=user.state,
        zip3=user.zip3,
        genres=hl.or_else(genres.get(ratings.movie_id), hl.empty_array(hl.tstr)),
    )
    return ht.filter(hl.is_defined(ht.state))


def region_stats(users: hl.Table, ratings: hl.Table, region: str) -> hl.Table:
    """Users and rating aggregates per state or ZIP3 region.

    Users without a rating count as users. A ZIP3 region can cross a state line;
    its ``main_state`` is the state most of its users live in (ties: the first
    code alphabetically).

    :param users: :func:`locate_users`'s table.
    :param ratings: :func:`locate_ratings`'s table.
    :param region: ``state`` or ``zip3``.
    :return: keyed by ``region``: ``main_state``, ``n_users``, ``n_zipcodes``
        (distinct 5-digit ZIPs), ``n_ratings``, ``ratings_per_user``,
        ``mean_rating`` and ``sd_rating`` (missing without ratings).
    """
    located = users.filter(hl.is_defined(users.state))
    by_region = located.group_by(located[region]).aggregate(
        n_users=hl.agg.count(),
        n_zipcodes=hl.len(hl.agg.collect_as_set(located.zip5)),
        users_by_state=hl.agg.counter(located.state),
    )
    rated = ratings.group_by(ratings[region]).aggregate(
        **rating_aggregates(ratings.rating)
    )
    ht = by_region.annotate(**rated[by_region[region]])
    n_ratings = hl.or_else(ht.n_ratings, hl.int64(0))
    states_first = hl.sorted(
        ht.users_by_state.items(), key=lambda item: (-item[1], item[0])
    )
    return ht.select(
        main_state=states_first[0][0],
        n_users=ht.n_users,
        n_zipcodes=ht.n_zipcodes,
        n_ratings=n_ratings,
        ratings_per_user=n_ratings / ht.n_users,
        mean_rating=ht.mean_rating,
        sd_rating=ht.sd_rating,
    )


def genre_lift(ratings: hl.Table, region: str) -> hl.Table:
    """Each region's genre-ratings per genre, its share and the lift over the
    national share.

    :param ratings: :func:`locate_ratings`'s table.
    :param region: ``state`` or ``zip3``.
    :return: keyed by ``region``: ``genres``, one struct per genre the region
        rated, with ``genre``, ``n_genre_ratings``, ``share`` (of the region's
        genre-ratings), ``national_share`` and ``lift``, in genre order.
    """
    national = ratings.aggregate(
        hl.agg.explode(lambda genre: hl.agg.counter(genre), ratings.genres),
        _localize=False,
    )
    national_total = hl.sum(national.values())
    ht = ratings.group_by(ratings[region]).aggregate(
        counts=hl.agg.explode(lambda genre: hl.agg.counter(genre), ratings.genres)
    )
    region_total = hl.sum(ht.counts.values())

    def genre_entry(genre: hl.StringExpression, count: hl.Int64Expression) -> Any:
        share = count / region_total
        national_share = national[genre] / national_total
        return hl.struct(
            genre=genre,
            n_genre_ratings=count,
            share=share,
            national_share=national_share,
            lift=share / national_share,
        )

    genres = hl.sorted(ht.counts.items(), key=lambda item: item[0])
    return ht.select(genres=genres.map(lambda item: genre_entry(item[0], item[1])))


def top_genres(lift: hl.Table, region: str, min_genre_ratings: int) -> hl.Table:
    """Each region's genre with the highest lift among those it rated at least
    ``min_genre_ratings`` times (ties: the first name alphabetically).

    Regions where no genre reaches the floor have no row.

    :param lift: :func:`genre_lift`'s table.
    :return: keyed by ``region``: ``top_genre``, ``top_genre_lift`` and
        ``top_genre_ratings``.
    """
    eligible = lift.genres.filter(
        lambda genre: genre.n_genre_ratings >= min_genre_ratings
    )
    ht = lift.select(
        ranked=hl.sorted(eligible, key=lambda genre: (-genre.lift, genre.genre))
    )
    ht = ht.filter(hl.len(ht.ranked) > 0)
    best = ht.ranked[0]
    return ht.select(
        top_genre=best.genre,
        top_genre_lift=best.lift,
        top_genre_ratings=best.n_genre_ratings,
    )


def region_table(
    users: hl.Table, ratings: hl.Table, region: str, min_genre_ratings: int
) -> hl.Table:
    """:func:`region_stats` with each region's top genre joined on."""
    stats = region_stats(users, ratings, region)
    tops = top_genres(genre_lift(ratings, region), region, min_genre_ratings)
    return stats.annotate(**tops[stats[region]])


def zipcode_counts(users: hl.Table) -> hl.Table:
    """Users and ratings per ZIP code, with the place of matched codes.

    A matched code counts under its 5-digit ZIP, so "55414" and "55414-1234"
    are one row; a code that matches no US ZIP keeps its raw form (a missing
    code is the empty string).

    :param users: :func:`locate_users`'s table.
    :return: keyed by ``(zipcode, kind)``: ``state``, ``city``, ``lat`` and
        ``long`` (missing unless ``kind`` is ``us``), ``n_users`` and
        ``n_ratings``.
    """
    zipcode = hl.if_else(users.kind == "us", users.zip5, hl.or_else(users.zipcode, ""))
    return users.group_by(zipcode=zipcode, kind=users.kind).aggregate(
        state=hl.agg.take(users.state, 1)[0],
        city=hl.agg.take(users.city, 1)[0],
        lat=hl.agg.take(users.lat, 1)[0],
        long=hl.agg.take(users.long, 1)[0],
        n_users=hl.agg.count(),
        n_ratings=hl.agg.sum(users.n_ratings),
    )


def unmatched_frame(by_zipcode: pd.DataFrame) -> pd.DataFrame:
    """The codes of a localized :func:`zipcode_counts` that match no US ZIP,
    most users first (ties: by code)."""
    unmatched = by_zipcode[by_zipcode["kind"] != "us"]
    unmatched = unmatched.sort_values(["n_users", "zipcode"], ascending=[False, True])
    return unmatched[UNMATCHED_COLUMNS].reset_index(drop=True)


def region_frame(
    regions: pd.DataFrame,
    region: str,
    state_names: Mapping[str, str],
    min_users: int,
) -> pd.DataFrame:
    """A localized :func:`region_table` with 95% intervals, state names and the
    ``too_few_users`` flag, most users first (ties: more ratings, then code).

    For ZIP3 regions ``state`` is the region's main state.
    """
    frame = with_mean_interval(regions)
    if region == "zip3":
        frame = frame.assign(state=frame["main_state"])
    frame = frame.assign(
        state_name=[state_names.get(code, code) for code in frame["state"]],
        too_few_users=frame["n_users"] < min_users,
    )
    frame = frame.sort_values(
        ["n_users", "n_ratings", region], ascending=[False, False, True]
    )
    columns = ZIP3_COLUMNS if region == "zip3" else STATE_COLUMNS
    return frame[columns].reset_index(drop=True)


def state_shapes(path: Path | None = None) -> gpd.GeoDataFrame:
    """The US Census 2016 cartographic state boundaries (1:500,000).

    :param path: a shapefile with ``STUSPS`` and ``NAME`` fields; by default
        the copy the ``plotly-geo`` package ships.
    :return: ``state`` (postal code), ``state_name`` and the outline, in
        NAD83 longitude and latitude (EPSG:4269).
    """
    if path is None:
        # plotly-geo installs as plain files, so the resource is a real path and
        # the .shx and .dbf beside it are found.
        path = Path(
            str(
                importlib.resources.files("_plotly_geo")
                / "package_data"
                / "cb_2016_us_state_500k.shp"
            )
        )
    shapes = gpd.read_file(path)
    if shapes.crs is None:
        # plotly-geo's copy comes without its .prj; the Census publishes the
        # boundaries in NAD83 longitude and latitude.
        shapes = shapes.set_crs("EPSG:4269")
    shapes = shapes.rename(columns={"STUSPS": "state", "NAME": "state_name"})
    return shapes[["state", "state_name", "geometry"]]


def panel_of(state: str) -> str | None:
    """The map panel a state is drawn in; None for codes not on the maps."""
    if state == "AK":
        return "alaska"
    if state == "HI":
        return "hawaii"
    return "conus" if state in ON_MAP else None


def project_panels(shapes: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The 50 states and DC split into the map panels, each projected to its
    equal-area CRS and simplified, which keeps the SVGs small.

    Islands smaller than twice the square of a panel's tolerance (50 km² in the
    contiguous states and Alaska, 2 km² in Hawaii) would be a speck of a few
    vertices after simplifying, and are left out.
    """
    panel_names = shapes["state"].map(panel_of)
    panels = {}
    for panel, (crs, tolerance) in PANELS.items():
        selected = shapes[panel_names == panel]
        if panel == "hawaii":
            selected = selected.clip(HAWAII_MAIN_ISLANDS)
        parts = selected.to_crs(crs).explode(index_parts=False)
        parts = parts.set_geometry(parts.simplify(tolerance))
        parts = parts[parts.area >= 2 * tolerance**2]
        panels[panel] = parts.dissolve(by="state", as_index=False)
    return panels


def state_layers(
    shapes: gpd.GeoDataFrame,
    states: pd.DataFrame,
    column: str,
    min_users: int,
    *,
    shade_too_few: bool,
) -> gpd.GeoDataFrame:
    """The state outlines with the value to colour and what to draw for each.

    :param states: the states table: ``state``, ``n_users`` and ``column``.
    :param shade_too_few: colour states with fewer than ``min_users`` users as
        well (and hatch them); otherwise they stay grey and hatched.
    :return: ``shapes`` with ``n_users``, ``column`` and the flags ``shaded``
        (coloured by ``column``) and ``too_few`` (hatched).
    """
    values = states[list(dict.fromkeys(["state", "n_users", column]))]
    merged = shapes.merge(values, on="state", how="left")
    n_users = merged["n_users"].fillna(0)
    too_few = (n_users > 0) & (n_users < min_users)
    has_value = (n_users > 0) & merged[column].notna()
    shaded = has_value & (~too_few | shade_too_few)
    return merged.assign(shaded=shaded, too_few=too_few)


def users_map(
    panels: Mapping[str, gpd.GeoDataFrame], states: pd.DataFrame, min_users: int
) -> Figure:
    """A choropleth of users per state on a log scale; states with fewer than
    ``min_users`` users are coloured and hatched, states with none are grey."""
    most = max(float(states["n_users"].max()) if len(states) else 1.0, 2.0)
    return choropleth(
        panels,
        states,
        "n_users",
        min_users=min_users,
        shade_too_few=True,
        norm=LogNorm(vmin=1, vmax=most),
        cmap="viridis",
        label="users (log scale)",
        ticks=[
            tick
            for tick in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
            if tick <= most
        ],
    )


def mean_map(
    panels: Mapping[str, gpd.GeoDataFrame], states: pd.DataFrame, min_users: int
) -> Figure:
    """A choropleth of each state's mean rating; states with fewer than
    ``min_users`` users are grey and hatched, their mean too unstable to show."""
    shown = states.loc[states["n_users"] >= min_users, "mean_rating"].dropna()
    low, high = (float(shown.min()), float(shown.max())) if len(shown) else (1.0, 5.0)
    if high - low < 0.1:
        low, high = low - 0.05, high + 0.05
    return choropleth(
        panels,
        states,
        "mean_rating",
        min_users=min_users,
        shade_too_few=False,
        norm=Normalize(vmin=low, vmax=high),
        cmap="cividis",
        label="mean rating",
    )


def choropleth(
    panels: Mapping[str, gpd.GeoDataFrame],
    states: pd.DataFrame,
    column: str,
    *,
    min_users: int,
    shade_too_few: bool,
    norm: Normalize,
    cmap: str,
    label: str,
    ticks: Sequence[float] | None = None,
) -> Figure:
    """States coloured by ``column`` over the three panels, with a colour bar
    (ticks where given, else matplotlib's) and a legend for the grey and hatched
    states.

    Each panel's coloured states are one collection labelled ``shaded`` and the
    hatched ones one labelled ``too_few``, so a reader of the figure object can
    count them.
    """
    with plt.style.context(plotting.STYLE):
        fig, axes = map_axes(panels)
        for panel, shapes in panels.items():
            layers = state_layers(
                shapes, states, column, min_users, shade_too_few=shade_too_few
            )
            draw_layer(
                axes[panel], layers[~layers["shaded"]], "base", facecolor=NO_DATA_GREY
            )
            draw_layer(
                axes[panel],
                layers[layers["shaded"]],
                "shaded",
                column=column,
                cmap=cmap,
                norm=norm,
            )
            draw_layer(
                axes[panel],
                layers[layers["too_few"]],
                "too_few",
                facecolor="none",
                hatch="////",
                # Hatches take the edge colour (matplotlib before 3.10 has no
                # separate hatch colour), so these states get a dark outline.
                edgecolor=HATCH_COLOUR,
            )
        fig.colorbar(
            ScalarMappable(norm=norm, cmap=cmap),
            ax=axes["conus"],
            shrink=0.6,
            label=label,
            ticks=ticks,
            format="{x:g}",
        )
        legend = [
            Patch(facecolor=NO_DATA_GREY, label="no users"),
            Patch(
                facecolor="none" if shade_too_few else NO_DATA_GREY,
                edgecolor=HATCH_COLOUR,
                hatch="////",
                label=f"fewer than {min_users} users",
            ),
        ]
        axes["conus"].legend(
            handles=legend, loc="lower right", frameon=False, fontsize=8
        )
    return fig


def zip_points_map(
    panels: Mapping[str, gpd.GeoDataFrame], points: pd.DataFrame
) -> Figure:
    """Matched ZIP centroids over the state outlines, each dot's area
    proportional to the ratings given from it.

    Points in states off the maps (territories, military codes) are left out;
    each panel's dots are one collection labelled ``zip_points``.

    :param points: ``state``, ``lat``, ``long`` and ``n_ratings`` per ZIP.
    """
    most = max(float(points["n_ratings"].max()) if len(points) else 1.0, 1.0)
    with plt.style.context(plotting.STYLE):
        fig, axes = map_axes(panels)
        for panel, shapes in panels.items():
            draw_layer(
                axes[panel], shapes, "base", facecolor="#eeeeee", edgecolor="#bbbbbb"
            )
            here = points[points["state"].map(panel_of) == panel]
            if here.empty:
                continue
            located = gpd.GeoSeries(
                gpd.points_from_xy(here["long"], here["lat"]), crs="EPSG:4269"
            ).to_crs(shapes.crs)
            axes[panel].scatter(
                located.x,
                located.y,
                s=dot_area(here["n_ratings"], most),
                color=plotting.OKABE_ITO[0],
                alpha=0.6,
                edgecolors="white",
                linewidths=0.3,
                label="zip_points",
            )
        references = size_references(most)
        legend = [
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=float(np.sqrt(dot_area(pd.Series([value]), most)[0])),
                color=plotting.OKABE_ITO[0],
                alpha=0.6,
                label=f"{value:,} ratings",
            )
            for value in references
        ]
        axes["conus"].legend(
            handles=legend, loc="lower right", frameon=False, fontsize=8
        )
    return fig


def dot_area(n_ratings: pd.Series, most: float) -> np.ndarray:
    """Marker areas in points squared, proportional to ``n_ratings``; the
    largest ZIP gets 300, and every dot at least 4 so it stays visible."""
    return np.asarray(4.0 + 296.0 * n_ratings.astype("float64") / most)


def size_references(most: float) -> list[int]:
    """Round rating counts for the size legend: the largest ZIP's count
    rounded to one significant digit, and a tenth and a hundredth of it."""
    magnitude = 10 ** int(np.floor(np.log10(most)))
    top = int(round(most / magnitude) * magnitude)
    return sorted({value for value in (top, top // 10, top // 100) if value > 0})


def map_axes(
    panels: Mapping[str, gpd.GeoDataFrame],
) -> tuple[Figure, dict[str, Axes]]:
    """A figure with the contiguous states' axes and the Alaska and Hawaii
    insets in its empty lower-left corner, all without frames or ticks."""
    fig, conus = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
    left, bottom, right, top = panels["conus"].total_bounds
    width, height = right - left, top - bottom
    conus.set_xlim(left - 0.02 * width, right + 0.02 * width)
    conus.set_ylim(bottom - 0.12 * height, top + 0.02 * height)
    conus.set_aspect("equal")
    axes = {
        "conus": conus,
        "alaska": conus.inset_axes((0.0, 0.0, 0.28, 0.32)),
        "hawaii": conus.inset_axes((0.27, 0.0, 0.14, 0.16)),
    }
    for panel, ax in axes.items():
        ax.set_axis_off()
        if panel != "conus" and not panels[panel].empty:
            ax.set_aspect("equal")
            low_x, low_y, high_x, high_y = panels[panel].total_bounds
            ax.set_xlim(low_x, high_x)
            ax.set_ylim(low_y, high_y)
    return fig, axes


def draw_layer(ax: Axes, layer: gpd.GeoDataFrame, name: str, **style: Any) -> None:
    """Draw ``layer``'s outlines on ``ax`` as one collection labelled ``name``;
    nothing when it is empty."""
    if layer.empty:
        return
    drawn_before = len(ax.collections)
    layer.plot(ax=ax, aspect=None, **{"edgecolor": "white", "linewidth": 0.4, **style})
    for collection in ax.collections[drawn_before:]:
        collection.set_label(name)


def save_figure(fig: Figure, path: Path) -> None:
    """Write a figure as SVG and close it."""
    try:
        plotting.save_svg(fig, path)
    finally:
        plt.close(fig)


def run(
    user_stats_path: Path,
    ratings_path: Path,
    movies_path: Path,
    settings: Mapping[str, Any],
    outputs: Mapping[str, Path],
    *,
    min_genre_ratings: int = MIN_GENRE_RATINGS,
    shapes_path: Path | None = None,
) -> dict[str, Any]:
    """Write the state, ZIP3 and unmatched-code tables, the three maps and the
    summary; return the summary.

    :param settings: the ``geography`` section of the config: ``min_users``.
    :param outputs: paths by the rule's output names: ``states``, ``zip3`` and
        ``unmatched`` (TSV), ``users_map``, ``mean_map`` and ``zip_points``
        (SVG), and ``summary`` (JSON).
    :param shapes_path: the state boundaries; by default plotly-geo's copy.
    """
    min_users = int(settings["min_users"])
    user_stats = read_table(user_stats_path)
    ratings = read_table(ratings_path)
    movies = read_table(movies_path)

    codes = user_stats.aggregate(
        hl.agg.collect_as_set(hl.or_else(user_stats.zipcode, ""))
    )
    lookup = lookup_zipcodes(codes)
    log_lookup(lookup)
    # Both tables feed every query below. Written once to Hail's temporary
    # folder, they are read back instead of joined again for each query.
    users = locate_users(user_stats, lookup_table(lookup)).checkpoint(
        hl.utils.new_temp_file("geography-users", "ht")
    )
    located = locate_ratings(ratings, users, movies).checkpoint(
        hl.utils.new_temp_file("geography-ratings", "ht")
    )

    shapes = state_shapes(shapes_path)
    names = {
        **NON_STATE_NAMES,
        **dict(zip(shapes["state"], shapes["state_name"], strict=True)),
    }
    tables = {
        region: region_frame(
            region_table(users, located, region, min_genre_ratings).to_pandas(),
            region,
            names,
            min_users,
        )
        for region in ("state", "zip3")
    }
    by_zipcode = zipcode_counts(users).to_pandas()
    unmatched = unmatched_frame(by_zipcode)
    points = by_zipcode[by_zipcode["kind"] == "us"]
    n_users = int(by_zipcode["n_users"].sum())

    write_tsv(tables["state"], outputs["states"])
    write_tsv(tables["zip3"], outputs["zip3"])
    write_tsv(unmatched, outputs["unmatched"])
    panels = project_panels(shapes)
    save_figure(users_map(panels, tables["state"], min_users), outputs["users_map"])
    save_figure(mean_map(panels, tables["state"], min_users), outputs["mean_map"])
    save_figure(zip_points_map(panels, points), outputs["zip_points"])

    summary = summarize(
        n_users,
        tables["state"],
        tables["zip3"],
        unmatched,
        points,
        {"min_users": min_users, "min_genre_ratings": min_genre_ratings},
    )
    write_json(summary, outputs["summary"])
    logger.info(
        "geography: %d users, %d with a US ZIP in %d states and %d ZIP3 regions; "
        "%d users' codes match no US ZIP; %d located users off the maps",
        n_users,
        summary["n_located_users"],
        summary["n_states"],
        summary["n_zip3"],
        summary["unmatched"]["n_users"],
        summary["n_off_map_users"],
    )
    return summary


def log_lookup(lookup: Sequence[Mapping[str, Any]]) -> None:
    """Log how many distinct codes are of each kind."""
    kinds = pd.Series([row["kind"] for row in lookup], dtype="object")
    counts = kinds.value_counts()
    logger.info(
        "geography: %d distinct codes: %d matched a US ZIP, %d Canadian, "
        "%d invalid, %d unknown",
        len(lookup),
        int(counts.get("us", 0)),
        *(int(counts.get(kind, 0)) for kind in UNMATCHED_KINDS),
    )


def summarize(
    n_users: int,
    states: pd.DataFrame,
    zip3: pd.DataFrame,
    unmatched: pd.DataFrame,
    points: pd.DataFrame,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The headline numbers and sentences of the geography section."""
    min_users = int(settings["min_users"])
    enough = states[~states["too_few_users"].astype(bool)]
    off_map = points[points["state"].map(panel_of).isna()]
    top = state_record(states, 0)
    summary = {
        "n_users": n_users,
        "n_located_users": int(states["n_users"].sum()),
        "n_located_ratings": int(states["n_ratings"].sum()),
        "n_states": len(states),
        "n_states_too_few": int(states["too_few_users"].sum()),
        "n_zip3": len(zip3),
        "n_zip3_too_few": int(zip3["too_few_users"].sum()),
        "n_zipcodes": len(points),
        "n_off_map_users": int(off_map["n_users"].sum()),
        "off_map_states": sorted(set(off_map["state"])),
        "top_state": top,
        "unmatched": unmatched_counts(unmatched),
        "settings": dict(settings),
        "maps": {
            panel: {
                "crs": crs,
                "simplify_km": tolerance / 1000,
                "min_island_km2": 2 * tolerance**2 / 1e6,
            }
            for panel, (crs, tolerance) in PANELS.items()
        },
    }
    summary["headline"] = headline(summary)
    summary["findings"] = [
        sentence
        for sentence in (
            concentration_finding(summary, min_users),
            mean_range_finding(enough, min_users),
            lift_finding(enough, min_users, int(settings["min_genre_ratings"])),
            unmatched_finding(summary),
        )
        if sentence
    ]
    return summary


def state_record(states: pd.DataFrame, position: int) -> dict[str, Any] | None:
    """One state's counts and mean as plain values, None if out of range."""
    if not 0 <= position < len(states):
        return None
    row = states.iloc[position]
    return {
        "state": str(row["state"]),
        "state_name": str(row["state_name"]),
        "n_users": int(row["n_users"]),
        "n_ratings": int(row["n_ratings"]),
        "mean_rating": optional_float(row["mean_rating"]),
        "ci_low": optional_float(row["ci_low"]),
        "ci_high": optional_float(row["ci_high"]),
    }


def optional_float(value: Any) -> float | None:
    """A float, or None for a missing value."""
    return None if pd.isna(value) else float(value)


def unmatched_counts(unmatched: pd.DataFrame) -> dict[str, Any]:
    """Codes, users and ratings that match no US ZIP, in total and by kind."""
    by_kind = {
        kind: {
            "n_codes": int((unmatched["kind"] == kind).sum()),
            "n_users": int(unmatched.loc[unmatched["kind"] == kind, "n_users"].sum()),
            "n_ratings": int(
                unmatched.loc[unmatched["kind"] == kind, "n_ratings"].sum()
            ),
        }
        for kind in UNMATCHED_KINDS
    }
    return {
        "n_codes": len(unmatched),
        "n_users": int(unmatched["n_users"].sum()),
        "n_ratings": int(unmatched["n_ratings"].sum()),
        "by_kind": by_kind,
    }


def headline(summary: Mapping[str, Any]) -> str:
    """One sentence: where users live, the largest state, and what matched
    nothing."""
    unmatched = summary["unmatched"]["n_users"]
    no_match = (
        f"{unmatched:,} user's code matches no US ZIP"
        if unmatched == 1
        else f"{unmatched:,} users' codes match no US ZIP"
    )
    top = summary["top_state"]
    if top is None:
        return f"No user has a US ZIP code; {no_match}."
    return (
        f"{summary['n_located_users']:,} of {summary['n_users']:,} users live in "
        f"{count(summary['n_states'], 'state')} by ZIP code; {top['state_name']} "
        f"has the most ({top['n_users']:,}); {no_match}."
    )


def concentration_finding(summary: Mapping[str, Any], min_users: int) -> str | None:
    """How much the largest state holds, and how many states are thin."""
    top = summary["top_state"]
    if top is None:
        return None
    share = top["n_users"] / summary["n_located_users"]
    return (
        f"{top['state_name']} alone holds {share:.0%} of the users with a US ZIP "
        f"({top['n_users']:,} users, {top['n_ratings']:,} ratings); "
        f"{summary['n_states_too_few']} of {summary['n_states']} states have "
        f"fewer than {min_users} users and are hatched on the maps."
    )


def describe_mean(row: pd.Series) -> str:
    """A state's mean rating with its 95% interval and counts, for a sentence."""
    interval = (
        f", 95% CI {row['ci_low']:.2f}–{row['ci_high']:.2f}"
        if not pd.isna(row["ci_low"])
        else ""
    )
    return (
        f"{row['state_name']} ({row['mean_rating']:.2f}{interval}; "
        f"{int(row['n_ratings']):,} ratings from {int(row['n_users']):,} users)"
    )


def mean_range_finding(enough: pd.DataFrame, min_users: int) -> str | None:
    """The lowest and highest mean rating among states with enough users."""
    rated = enough.dropna(subset=["mean_rating"]).sort_values(
        ["mean_rating", "state"], ascending=[True, True]
    )
    if len(rated) < 2:
        return None
    return (
        f"Among the {len(rated)} states with at least {min_users} users, the mean "
        f"rating runs from {describe_mean(rated.iloc[0])} to "
        f"{describe_mean(rated.iloc[-1])}."
    )


def lift_finding(
    enough: pd.DataFrame, min_users: int, min_genre_ratings: int
) -> str | None:
    """The strongest regional taste among states with enough users."""
    tops = enough.dropna(subset=["top_genre_lift"]).sort_values(
        ["top_genre_lift", "state"], ascending=[False, True]
    )
    if tops.empty:
        return None
    row = tops.iloc[0]
    return (
        f"The strongest regional taste among states with at least {min_users} "
        f"users: {row['state_name']} gives {row['top_genre']} "
        f"{row['top_genre_lift']:.2f} times its national share of genre-ratings "
        f"({int(row['top_genre_ratings']):,} ratings; genres with fewer than "
        f"{min_genre_ratings} ratings in a state are not considered)."
    )


def unmatched_finding(summary: Mapping[str, Any]) -> str:
    """The codes that match no US ZIP, by kind, and users off the maps."""
    unmatched = summary["unmatched"]
    by_kind = unmatched["by_kind"]
    verb = "matches" if unmatched["n_codes"] == 1 else "match"
    sentence = (
        f"{count(unmatched['n_codes'], 'code')} held by "
        f"{count(unmatched['n_users'], 'user')} "
        f"({count(unmatched['n_ratings'], 'rating')}) {verb} no US ZIP "
        f"(Canadian postal codes: {by_kind['canadian']['n_codes']}; codes of no "
        f"known pattern: {by_kind['invalid']['n_codes']}; well-formed but "
        f"unknown: {by_kind['unknown']['n_codes']}); they are listed below and "
        "left out of the state and ZIP3 tables."
    )
    if summary["n_off_map_users"]:
        sentence += (
            f" {count(summary['n_off_map_users'], 'user')} with a US ZIP in "
            f"{', '.join(summary['off_map_states'])} are in the tables but not "
            "on the maps."
        )
    return sentence


def count(number: int, noun: str) -> str:
    """``number`` with thousands separators and ``noun``, plural unless 1."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"
