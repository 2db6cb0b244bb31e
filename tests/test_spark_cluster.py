"""The local standalone cluster, the comparison of two runs, and the workflow on
a real Spark cluster giving the results of local mode."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from workflow_run import ROOT, snakemake

from movielens_hail.spark_cluster import (
    ClusterStartError,
    compare_results,
    hail_masters,
    standalone_cluster,
)

TOP = "title\tn_ratings\tmean\tgenre\nAlien (1979)\t12\t4.25\tSci-Fi\nHeat\t3\t3.5\t\n"
SUMMARY: dict[str, Any] = {
    "headline": "2 movies",
    "n_movies": 2,
    "best": [{"title": "Alien (1979)", "mean": 4.25}],
    "settings": {"min_ratings": 3, "activate": True},
}
# Each Hail rule takes one of the worker's two cores, so `--cores 2` runs two of
# them side by side, as in local mode, rather than one after the other.
CLUSTER_SPARK_CONF = {"spark.cores.max": "1", "spark.executor.memory": "2g"}
HAIL_RULES = {
    "ingest",
    "movie_stats",
    "user_stats",
    "popularity",
    "engagement",
    "genre_demographics",
    "collaborative_filtering",
    "temporal_trends",
    "title_sentiment",
    "geography",
    "genre_ratings",
    "saved_queries",
    "recommendations",
}


def write_results(
    results: Path, *, top: str = TOP, summary: dict[str, Any] | None = None
) -> Path:
    """A tiny ``results/`` folder: one analysis with a TSV and a summary, plus
    files the comparison ignores."""
    analysis = results / "popularity"
    analysis.mkdir(parents=True)
    (analysis / "top.tsv").write_text(top)
    (analysis / "summary.json").write_text(json.dumps(summary or SUMMARY))
    (analysis / "top.svg").write_text(f"<svg>{results}</svg>")
    (results / "report.html").write_text(f"<html>{results}</html>")
    (results / "hail" / "ratings.ht").mkdir(parents=True)
    (results / "hail" / "ratings.ht" / "metadata.json").write_text(str(results))
    return results


def test_two_equal_runs_have_no_differences(tmp_path: Path) -> None:
    expected = write_results(tmp_path / "local")
    actual = write_results(tmp_path / "cluster")

    assert compare_results(expected, actual) == []


def test_a_changed_number_is_named_by_file_column_and_row(tmp_path: Path) -> None:
    expected = write_results(tmp_path / "local")
    actual = write_results(tmp_path / "cluster", top=TOP.replace("3.5", "3.6"))

    assert compare_results(expected, actual) == [
        "popularity/top.tsv: column mean, row 2: 3.5 != 3.6"
    ]


def test_a_changed_text_is_a_difference(tmp_path: Path) -> None:
    expected = write_results(tmp_path / "local")
    actual = write_results(tmp_path / "cluster", top=TOP.replace("\t\n", "\tCrime\n"))

    assert compare_results(expected, actual) == [
        "popularity/top.tsv: column genre, row 2: nan != 'Crime'"
    ]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    expected = write_results(tmp_path / "local")
    actual = write_results(tmp_path / "cluster")
    (actual / "popularity" / "top.tsv").unlink()
    (actual / "popularity" / "bottom.tsv").write_text(TOP)

    assert compare_results(expected, actual) == [
        f"popularity/top.tsv: missing in {actual}",
        f"popularity/bottom.tsv: only in {actual}",
    ]


def test_numbers_within_the_tolerance_agree(tmp_path: Path) -> None:
    summary = json.loads(json.dumps(SUMMARY))
    summary["best"][0]["mean"] = 4.25 * (1 + 1e-12)
    expected = write_results(tmp_path / "local")
    actual = write_results(
        tmp_path / "cluster",
        top=TOP.replace("4.25", "4.250000000001"),
        summary=summary,
    )

    assert compare_results(expected, actual) == []


def test_summaries_are_compared_key_by_key(tmp_path: Path) -> None:
    summary = json.loads(json.dumps(SUMMARY))
    summary["best"][0]["mean"] = 4.26
    summary["settings"]["activate"] = 1
    del summary["n_movies"]
    expected = write_results(tmp_path / "local")
    actual = write_results(tmp_path / "cluster", summary=summary)

    assert compare_results(expected, actual) == [
        "popularity/summary.json: key 'n_movies' missing in actual",
        "popularity/summary.json.best[0].mean: 4.25 != 4.26",
        "popularity/summary.json.settings.activate: True != 1",
    ]


def test_a_missing_folder_is_an_error_not_an_empty_comparison(tmp_path: Path) -> None:
    expected = write_results(tmp_path / "local")

    with pytest.raises(FileNotFoundError, match="no results folder at"):
        compare_results(expected, tmp_path / "cluster")
    with pytest.raises(FileNotFoundError, match="no results folder at"):
        compare_results(tmp_path / "elsewhere", expected)


def test_a_reference_without_results_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "local" / "hail").mkdir(parents=True)
    actual = write_results(tmp_path / "cluster")

    with pytest.raises(ValueError, match="holds no <analysis>"):
        compare_results(tmp_path / "local", actual)


def test_the_engine_versions_of_a_run_are_not_compared(tmp_path: Path) -> None:
    expected = write_results(
        tmp_path / "local", summary={**SUMMARY, "environment": {"spark": "3.5.9"}}
    )
    actual = write_results(
        tmp_path / "cluster", summary={**SUMMARY, "environment": {"spark": "3.5.3"}}
    )

    assert compare_results(expected, actual) == []


def test_the_master_of_each_rule_is_read_from_its_log(tmp_path: Path) -> None:
    line = "2026-01-01 00:00:00,000 INFO movielens_hail.session: hail 0.2.139-x started"
    (tmp_path / "ingest.log").write_text(f"{line} on local[1]\n{line} on yarn\n")
    (tmp_path / "popularity.log").write_text(f"JVM noise\n{line} on spark://h:7077\n")
    (tmp_path / "report.log").write_text("report: 11 sections\n")

    assert hail_masters(tmp_path) == {"ingest": "yarn", "popularity": "spark://h:7077"}


def calls_given_a_str_path(tree: ast.AST) -> list[int]:
    """Lines that hand Hail ``str(path)``: ``hl.<function>(str(...))`` or
    ``<table>.write/checkpoint/export(str(...))``."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        first = node.args[0] if node.args else None
        given_str = (
            isinstance(first, ast.Call)
            and isinstance(first.func, ast.Name)
            and first.func.id == "str"
        )
        on_hail = isinstance(node.func.value, ast.Name) and node.func.value.id == "hl"
        table_io = node.func.attr in {"write", "checkpoint", "export"}
        if given_str and (on_hail or table_io):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "src").rglob("*.py")),
    ids=lambda path: str(path.relative_to(ROOT / "src")),
)
def test_hail_is_given_absolute_paths_only(path: Path) -> None:
    """A relative path names another file on a cluster's executors, so paths
    reach Hail through session.hail_path (or runner.read_table, write_table)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))

    assert calls_given_a_str_path(tree) == [], path


def test_the_path_check_finds_a_relative_path() -> None:
    tree = ast.parse("hl.read_table(str(p))\nht.write(str(p))\nhl.read_table(x)")

    assert calls_given_a_str_path(tree) == [1, 2]


def test_a_cluster_that_does_not_come_up_names_its_logs(tmp_path: Path) -> None:
    with (
        pytest.raises(ClusterStartError, match=r"within 0 s.*worker\.log"),
        standalone_cluster(tmp_path, timeout=0),
    ):
        pass


def test_a_worker_that_exits_names_its_log(tmp_path: Path) -> None:
    with (
        pytest.raises(ClusterStartError, match=r"exited .* see .*worker\.log"),
        standalone_cluster(tmp_path, memory="lots"),
    ):
        pass


@pytest.mark.workflow
@pytest.mark.slow
def test_the_workflow_on_a_standalone_cluster_matches_local_mode(
    work: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    config = yaml.safe_load((work / "config.yaml").read_text())

    with standalone_cluster(tmp_path / "spark") as master:
        config["hail"] = {"spark_master": master, "spark_conf": CLUSTER_SPARK_CONF}
        (run / "config.yaml").write_text(yaml.safe_dump(config))
        finished = snakemake(run, "--cores", "2")

    assert finished.returncode == 0, finished.stderr[-5000:]
    assert hail_masters(run / "logs") == dict.fromkeys(HAIL_RULES, master)
    applications = list((tmp_path / "spark" / "worker").glob("app-*"))
    assert len(applications) == len(HAIL_RULES)
    assert list((tmp_path / "spark" / "worker").rglob("results")) == []
    assert compare_results(work / "results", run / "results") == []
