"""Turn the checked MovieLens frames into Hail tables with declared types.

The tables keep the schema of ``hail.utils.get_movie_lens`` and add what the
analyses need:

* ``movies``, keyed by ``id``: ``title`` (with its "(1995)" suffix), ``genres``
  (an array of the 18 genre names), ``release_date`` (GroupLens only) and
  ``release_year`` (from the title, else the release date);
* ``users``, keyed by ``id``: ``age``, ``sex``, ``occupation``, ``zipcode``;
* ``ratings``, keyed by ``(user_id, movie_id)``: ``rating`` and ``timestamp``.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import hail as hl
import pandas as pd

from movielens_hail.readers import (
    Mode,
    MovieLensData,
    read_movielens,
    verify_checksums,
)
from movielens_hail.runner import read_table, write_json, write_table, write_tsv
from movielens_hail.session import engine_versions, hail_path

logger = logging.getLogger(__name__)

GENRE_SEPARATOR = "|"

TYPES: dict[str, dict[str, hl.HailType]] = {
    "ratings": {
        "user_id": hl.tint32,
        "movie_id": hl.tint32,
        "rating": hl.tint32,
        "timestamp": hl.tint64,
    },
    "movies": {
        "id": hl.tint32,
        "title": hl.tstr,
        "genres": hl.tstr,
        "release_date": hl.tstr,
        "release_year": hl.tint32,
    },
    "users": {
        "id": hl.tint32,
        "age": hl.tint32,
        "sex": hl.tstr,
        "occupation": hl.tstr,
        "zipcode": hl.tstr,
    },
}
KEYS = {"ratings": ["user_id", "movie_id"], "movies": ["id"], "users": ["id"]}


def run(
    raw_dir: Path,
    mode: Mode,
    table_paths: dict[str, Path],
    report_paths: dict[str, Path],
    staging: Path,
) -> dict[str, Any]:
    """Check ``raw_dir`` against its recorded checksums, read it, and write the
    three Hail tables and the "The data" outputs.

    :param table_paths: where to write the ``movies``, ``ratings`` and ``users``
        tables.
    :param report_paths: where to write ``summary`` (JSON), ``distribution``
        (TSV), ``figure`` (SVG) and ``rejected`` (TSV of rows set aside).
    :param staging: a scratch folder for the files handed to Hail.
    :return: the summary.
    """
    verify_checksums(raw_dir)
    data = read_movielens(raw_dir, mode=mode)
    for name, table in to_hail(data, staging).items():
        write_table(table, table_paths[name])
    written = {name: read_table(path) for name, path in table_paths.items()}
    summary = summarize(written["ratings"], written["movies"], written["users"], data)
    summary["environment"] = engine_versions()

    distribution = rating_distribution(summary)
    write_tsv(data.rejected, report_paths["rejected"])
    write_tsv(distribution, report_paths["distribution"])
    plot_rating_distribution(distribution, report_paths["figure"])
    write_json(summary, report_paths["summary"])
    logger.info(
        "ingest: %d ratings, %d users, %d movies; %d rejected",
        summary["n_ratings"],
        summary["n_users"],
        summary["n_movies"],
        summary["n_rejected"],
    )
    return summary


def to_hail(data: MovieLensData, staging: Path) -> dict[str, hl.Table]:
    """Import the frames of ``data`` as keyed Hail tables.

    The frames pass through tab-separated files in ``staging`` so that Hail reads
    them in parallel with the declared types of :data:`TYPES`; no type is
    imputed. Empty fields (a movie without a release date) become missing.
    """
    staging.mkdir(parents=True, exist_ok=True)
    frames = {
        "ratings": data.ratings,
        "movies": data.movies.assign(
            genres=data.movies["genres"].map(GENRE_SEPARATOR.join)
        ),
        "users": data.users,
    }
    tables = {}
    for name, frame in frames.items():
        path = staging / f"{name}.tsv"
        frame[list(TYPES[name])].to_csv(
            path, sep="\t", index=False, quoting=csv.QUOTE_NONE, na_rep=""
        )
        table = hl.import_table(hail_path(path), types=TYPES[name], missing="")
        tables[name] = table.key_by(*KEYS[name])

    movies = tables["movies"]
    tables["movies"] = movies.annotate(
        genres=hl.or_else(movies.genres.split(r"\|"), hl.empty_array(hl.tstr))
    )
    return tables


def summarize(
    ratings: hl.Table, movies: hl.Table, users: hl.Table, data: MovieLensData
) -> dict[str, Any]:
    """Headline numbers of the ingested data for the report's "The data" section."""
    stats = ratings.aggregate(
        hl.struct(
            n=hl.agg.count(),
            mean=hl.agg.mean(ratings.rating),
            first=hl.agg.min(ratings.timestamp),
            last=hl.agg.max(ratings.timestamp),
            distribution=hl.agg.counter(ratings.rating),
        )
    )
    n_movies, n_users = movies.count(), users.count()
    density = stats.n / (n_movies * n_users) if n_movies and n_users else 0.0
    return {
        "headline": (
            f"{stats.n:,} ratings of {n_movies:,} movies by {n_users:,} users; "
            f"{density:.1%} of all user-movie pairs are rated, "
            f"with a mean rating of {stats.mean:.2f} stars."
        ),
        "layout": data.layout,
        "n_ratings": stats.n,
        "n_movies": n_movies,
        "n_users": n_users,
        "mean_rating": stats.mean,
        "first_timestamp": stats.first,
        "last_timestamp": stats.last,
        "rating_distribution": {
            str(k): v for k, v in sorted(stats.distribution.items())
        },
        "density": density,
        "rows_read": data.rows_read,
        "n_rejected": len(data.rejected),
        "rejected_by_reason": _reason_kinds(data),
    }


def _reason_kinds(data: MovieLensData) -> dict[str, int]:
    """Rejections counted per file and problem, values stripped from the reason."""
    kinds = (
        data.rejected["file"]
        + ": "
        + data.rejected["reason"].str.replace(r"'[^']*'|\b\d+\b", "…", regex=True)
    )
    return {
        str(kind): int(count)
        for kind, count in kinds.value_counts().sort_index().items()
    }


def rating_distribution(summary: dict[str, Any]) -> pd.DataFrame:
    """The count and share of each rating value, 1 to 5."""
    counts = {
        int(value): count for value, count in summary["rating_distribution"].items()
    }
    total = sum(counts.values())
    return pd.DataFrame(
        {
            "rating": list(range(1, 6)),
            "n_ratings": [counts.get(value, 0) for value in range(1, 6)],
            "share": [
                counts.get(value, 0) / total if total else 0.0 for value in range(1, 6)
            ],
        }
    )


def plot_rating_distribution(distribution: pd.DataFrame, path: Path) -> None:
    """Bar chart of how many ratings have each value, 1 to 5."""
    from movielens_hail.plotting import figure, save_svg

    with figure(5.0, 3.0) as (fig, axes):
        axes.bar(distribution["rating"], distribution["n_ratings"], width=0.7)
        axes.set_xlabel("rating (stars)")
        axes.set_ylabel("number of ratings")
        axes.set_xticks(distribution["rating"])
        axes.grid(axis="x", visible=False)
        save_svg(fig, path)
