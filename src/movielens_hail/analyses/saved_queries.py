"""Saved queries: the named queries of ``config.yaml``, run with the query model.

Each entry of ``saved_queries.queries`` names a set of criteria (the fields of
:class:`movielens_hail.query.Criteria`). Every query is checked before any runs,
against the genres and against the occupations and states present in the data,
so one misspelt value stops the rule with the query's name and the problem
rather than after the others have run. Each query writes its ranked movies to a
TSV of its own.

The rule also writes ``filter_data.json``, the movies, users and ratings in the
compact layout of :func:`movielens_hail.query.filter_data`: the report, which
starts no JVM, embeds it so that a JavaScript filter can run any query in the
browser with the same arithmetic and the same ranking. Above
``max_embedded_ratings`` it holds counts per movie, sex, age group and rating
instead, and the filter's user criteria become coarser.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from movielens_hail.query import (
    DEFAULT_MAX_EMBEDDED_MOVIES,
    DEFAULT_MAX_EMBEDDED_RATINGS,
    Criteria,
    QueryError,
    QueryTables,
    answer_query,
    criteria_from_mapping,
    criteria_to_mapping,
    describe,
    output_frame,
    problems,
    read_tables,
    write_filter_data,
)
from movielens_hail.runner import write_json, write_tsv

logger = logging.getLogger(__name__)


def checked_queries(
    queries: Mapping[str, Mapping[str, Any]], tables: QueryTables
) -> dict[str, Criteria]:
    """Every saved query as criteria, checked against the data.

    :raises QueryError: listing every problem of every query, each prefixed
        with ``saved_queries.queries.<name>``.
    """
    checked: dict[str, Criteria] = {}
    found: list[str] = []
    for name, mapping in queries.items():
        try:
            criteria = criteria_from_mapping(mapping)
        except QueryError as error:
            found += [f"saved query {name}: {problem}" for problem in error.problems]
            continue
        found += [
            f"saved query {name}: {problem}"
            for problem in problems(criteria, tables.vocabulary)
        ]
        checked[name] = criteria
    if found:
        raise QueryError(found)
    return checked


def run(
    table_paths: Mapping[str, Path],
    settings: Mapping[str, Any],
    prior_weight: float,
    age_bins: Sequence[int],
    outputs: Mapping[str, Path],
    query_outputs: Mapping[str, Path],
) -> dict[str, Any]:
    """Run every saved query; write its TSV, the filter data and the summary.

    :param table_paths: the ``ratings``, ``movies`` and ``users`` Hail tables.
    :param settings: the ``saved_queries`` section of the config: ``queries``
        (name -> criteria) and ``max_embedded_ratings``.
    :param prior_weight: ``stats.prior_weight``, the damping of ``damped_mean``.
    :param age_bins: ``demographics.age_bins``, the age groups the filter data
        counts by when it is too large to hold the ratings.
    :param outputs: ``filter_data`` (JSON) and ``summary`` (JSON).
    :param query_outputs: the TSV of each query, by query name.
    :return: the summary.
    """
    tables = read_tables(
        table_paths["ratings"], table_paths["movies"], table_paths["users"]
    )
    queries = checked_queries(settings["queries"], tables)
    unplaced = sorted(set(queries) - set(query_outputs))
    if unplaced:
        raise ValueError(
            f"saved queries {', '.join(unplaced)} have no output file; the rule's "
            f"outputs are for {', '.join(sorted(query_outputs)) or 'no query'}"
        )

    records = []
    for name, criteria in queries.items():
        result, n_matching = answer_query(tables, criteria, prior_weight)
        write_tsv(output_frame(result), query_outputs[name])
        logger.info(
            "saved_queries: %s: %d movies from %d matching ratings",
            name,
            len(result),
            n_matching,
        )
        records.append(query_record(name, criteria, result, n_matching))

    data = write_filter_data(
        tables,
        outputs["filter_data"],
        prior_weight,
        age_bins=age_bins,
        max_embedded_ratings=settings.get(
            "max_embedded_ratings", DEFAULT_MAX_EMBEDDED_RATINGS
        ),
        max_embedded_movies=settings.get(
            "max_embedded_movies", DEFAULT_MAX_EMBEDDED_MOVIES
        ),
    )
    summary = summarize(records, tables, data, settings, prior_weight)
    write_json(summary, outputs["summary"])
    logger.info(
        "saved_queries: %d queries over %d ratings; the live filter holds %s",
        len(records),
        tables.n_ratings,
        summary["live_filter"]["holds"],
    )
    return summary


def query_record(
    name: str, criteria: Criteria, result: pd.DataFrame, n_matching: int
) -> dict[str, Any]:
    """One query's entry in the summary: what it asks and its top movie."""
    top = None
    if len(result):
        row = result.iloc[0]
        top = {
            "movie_id": int(row["movie_id"]),
            "title": str(row["title"]),
            "n_ratings": int(row["n_ratings"]),
            "mean_rating": float(row["mean_rating"]),
            "damped_mean": float(row["damped_mean"]),
        }
    return {
        "name": name,
        "description": describe(criteria),
        "criteria": criteria_to_mapping(criteria),
        "n_rows": len(result),
        "n_matching_ratings": n_matching,
        "top_title": top["title"] if top else None,
        "top": top,
    }


def summarize(
    records: list[dict[str, Any]],
    tables: QueryTables,
    data: Mapping[str, Any],
    settings: Mapping[str, Any],
    prior_weight: float,
) -> dict[str, Any]:
    """The headline, the findings and the numbers of the saved queries section."""
    left_out = data["movies_left_out"]
    live_filter = {
        "holds": "ratings" if data["ratings"] is not None else "aggregates",
        "n_ratings": tables.n_ratings - (left_out["n_ratings"] if left_out else 0),
        "limit": settings.get("max_embedded_ratings", DEFAULT_MAX_EMBEDDED_RATINGS),
        "n_movies": len(data["movies"]["id"]),
        "movie_limit": settings.get("max_embedded_movies", DEFAULT_MAX_EMBEDDED_MOVIES),
        "movies_left_out": left_out,
        "age_groups": (
            data["aggregates"]["age_groups"] if data["aggregates"] else None
        ),
    }
    return {
        "headline": headline(records),
        "findings": [
            *(query_finding(record) for record in records),
            live_filter_finding(live_filter),
        ],
        "settings": {
            key: value for key, value in settings.items() if key != "activate"
        },
        "queries": records,
        "n_ratings": tables.n_ratings,
        "global_mean": tables.global_mean,
        "prior_weight": prior_weight,
        "live_filter": live_filter,
    }


def headline(records: list[dict[str, Any]]) -> str:
    """One sentence: how many queries, the top movie of the first query that
    has one, and how many match no movie."""
    if not records:
        return "No saved queries are set in config.yaml (saved_queries.queries)."
    count = f"{len(records)} saved quer{'y' if len(records) == 1 else 'ies'}"
    answered = [record for record in records if record["top"] is not None]
    empty = len(records) - len(answered)
    if not answered:
        them = "it" if len(records) == 1 else "any of them"
        return f"{count}; no movie matches {them}."
    first = answered[0]
    unmatched = f"; {empty} match{'es' if empty == 1 else ''} no movie" if empty else ""
    return (
        f"{count}; {first['name']}'s top movie is {top_phrase(first['top'])}"
        f"{unmatched}."
    )


def top_phrase(top: Mapping[str, Any]) -> str:
    """A movie with its mean and count: "Babe (1995) (mean 4.52 over 23 ratings)"."""
    ratings = "rating" if top["n_ratings"] == 1 else "ratings"
    return (
        f"{top['title']} (mean {top['mean_rating']:.2f} over "
        f"{top['n_ratings']:,} {ratings})"
    )


def query_finding(record: Mapping[str, Any]) -> str:
    """What one query asks, how many movies pass, and which is first."""
    movies = "movie" if record["n_rows"] == 1 else "movies"
    found = (
        f"{record['name']} ({record['description']}): {record['n_rows']} {movies} "
        f"from {record['n_matching_ratings']:,} matching ratings"
    )
    if record["top"] is None:
        return found + "."
    return f"{found}; first is {top_phrase(record['top'])}."


def live_filter_finding(live_filter: Mapping[str, Any]) -> str:
    """What the report's live filter holds, and which criteria it answers
    coarsely."""
    left_out = live_filter["movies_left_out"]
    movies = (
        f" of the {live_filter['n_movies']:,} most rated movies" if left_out else ""
    )
    if live_filter["holds"] == "ratings":
        found = (
            f"The report's live filter holds all {live_filter['n_ratings']:,} "
            f"ratings{movies} and runs any query in the browser with the same "
            "ranking."
        )
    else:
        found = (
            f"The report's live filter holds rating counts per movie, sex and age "
            f"group, not the {live_filter['n_ratings']:,} ratings{movies}, which "
            f"exceed saved_queries.max_embedded_ratings ({live_filter['limit']:,}): "
            f"it picks ages by group ({', '.join(live_filter['age_groups'])}) and "
            "cannot filter by occupation, state or ZIP code; the saved queries and "
            "movielens-hail query answer those exactly."
        )
    if left_out is None:
        return found
    return (
        f"{found} It leaves out {left_out['n_movies']:,} movies beyond "
        f"saved_queries.max_embedded_movies ({live_filter['movie_limit']:,}), "
        f"with at most {left_out['most_ratings']:,} ratings each, so it gives the "
        f"command's answer when at least {left_out['most_ratings'] + 1:,} matching "
        "ratings are asked for."
    )
