"""The whole workflow under the real Snakemake scheduler, on synthetic data.

One run in a temporary folder (the session's ``work`` fixture) serves every test
here: it checks each declared output, the report, and that a second look finds
nothing to do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from workflow_run import (
    MOVIES,
    RATINGS,
    ROOT,
    USERS,
    planned_rules,
    snakemake,
    snakemake_command,
)

from movielens_hail.synth import generate

pytestmark = pytest.mark.workflow


def test_every_declared_output_is_present_and_current(work: Path) -> None:
    summary = snakemake(work, "--summary")

    assert summary.returncode == 0, summary.stderr
    rows = [line.split("\t") for line in summary.stdout.strip().splitlines()]
    header, outputs = rows[0], rows[1:]
    status = header.index("status")
    assert len(outputs) >= 13 + len(ANALYSES) * 3
    assert [row[0] for row in outputs if row[status] != "ok"] == []
    for row in outputs:
        assert (work / row[0]).exists(), row[0]


def test_nothing_to_do_right_after(work: Path) -> None:
    dry_run = snakemake(work, "--dry-run")

    assert dry_run.returncode == 0, dry_run.stderr
    assert "Nothing to be done" in dry_run.stdout + dry_run.stderr


def test_provenance_and_counts_follow_the_data(work: Path) -> None:
    source = json.loads((work / "resources/movielens/ml-100k/source.json").read_text())
    summary = json.loads((work / "results/ingest/summary.json").read_text())

    assert source["source"] == "local"
    assert source["files"]["u.data"]["rows"] == RATINGS
    assert (summary["n_ratings"], summary["n_users"], summary["n_movies"]) == (
        RATINGS,
        USERS,
        MOVIES,
    )
    assert sum(summary["rating_distribution"].values()) == RATINGS


ANALYSES = (
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
)


def test_report_has_every_section(work: Path) -> None:
    html = (work / "results/report.html").read_text()

    for section in ("data", *ANALYSES):
        assert f'<section id="{section}">' in html, section
        assert f'<a href="#{section}">' in html, section
    assert "Turned off in the configuration" not in html


def test_every_analysis_wrote_its_summary(work: Path) -> None:
    for analysis in ANALYSES:
        summary = json.loads((work / f"results/{analysis}/summary.json").read_text())
        assert summary["headline"], analysis


def test_report_is_written_with_the_data_section(work: Path) -> None:
    html = (work / "results/report.html").read_text()

    assert '<section id="data">' in html
    assert f"{RATINGS:,} ratings of {MOVIES:,} movies by {USERS:,} users" in html
    assert "<svg" in html
    assert '"source": "local"' in html or "&#34;source&#34;: &#34;local&#34;" in html


def test_every_rule_logged_and_benchmarked(work: Path) -> None:
    rules = ["fetch_movielens", "ingest", "movie_stats", "user_stats", "report"]
    rules += list(ANALYSES)

    for rule in rules:
        assert (work / "logs" / f"{rule}.log").exists(), rule
        benchmark = (work / "benchmarks" / f"{rule}.tsv").read_text().splitlines()
        assert benchmark[0].startswith("s\th:m:s"), rule
    assert (
        "ingest: 3000 ratings, 60 users, 120 movies; 0 rejected"
        in (work / "logs/ingest.log").read_text()
    )


def test_no_rule_leaves_scratch_files_behind(work: Path) -> None:
    left = [path for path in (work / "results/.hail-tmp").rglob("*") if path.is_file()]
    removed = re.search(
        r"geography: removed (\d+) scratch files",
        (work / "logs/geography.log").read_text(),
    )

    assert left == []
    # geography checkpoints two tables, so its folder held files to remove.
    assert removed is not None
    assert int(removed.group(1)) > 0


def dry_run_with(work: Path, change: dict[str, object]) -> set[str]:
    """The rules a dry run plans after ``change`` is merged into config.yaml; the
    file is restored afterwards."""
    path = work / "config.yaml"
    original = path.read_text()
    config = yaml.safe_load(original)
    for section, settings in change.items():
        config.setdefault(section, {}).update(settings)
    path.write_text(yaml.safe_dump(config))
    try:
        dry_run = snakemake(work, "--dry-run")
    finally:
        path.write_text(original)
    assert dry_run.returncode == 0, dry_run.stderr
    return planned_rules(dry_run)


def test_changing_one_setting_reruns_that_analysis_and_the_report(work: Path) -> None:
    planned = dry_run_with(work, {"popularity": {"min_ratings": 2}})

    assert planned == {"popularity", "report", "all"}


def test_changing_a_shared_setting_reruns_its_users(work: Path) -> None:
    planned = dry_run_with(work, {"demographics": {"age_bins": [1, 30, 60]}})

    # saved_queries counts by age group when a data set is too large to embed.
    assert planned == {
        "engagement",
        "genre_demographics",
        "saved_queries",
        "report",
        "all",
    }


def test_changing_the_evaluation_reruns_both_recommenders(work: Path) -> None:
    planned = dry_run_with(work, {"evaluation": {"folds": 3}})

    assert planned == {
        "collaborative_filtering",
        "recommendations",
        "report",
        "all",
    }


def dry_run_after_editing(work: Path, relative: str) -> set[str]:
    """The rules a dry run plans once the repository file ``relative`` is edited
    (a comment appended); the file's bytes and time are put back after.

    Snakemake reruns a job only when an input is both newer than its outputs and
    different in content, so the edit has to change the bytes."""
    path = ROOT / relative
    before, original = path.stat(), path.read_bytes()
    comment = b"/* edited */\n" if path.suffix == ".css" else b"# edited\n"
    path.write_bytes(original + comment)
    os.utime(path, ns=(before.st_atime_ns, time.time_ns() + 60_000_000_000))
    try:
        dry_run = snakemake(work, "--dry-run")
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert dry_run.returncode == 0, dry_run.stderr
    return planned_rules(dry_run)


@pytest.mark.parametrize(
    ("relative", "rules"),
    [
        ("src/movielens_hail/analyses/popularity.py", {"popularity"}),
        (
            "src/movielens_hail/intervals.py",
            {
                "popularity",
                "engagement",
                "genre_demographics",
                "temporal_trends",
                "title_sentiment",
                "geography",
                "genre_ratings",
            },
        ),
        (
            "src/movielens_hail/evaluation.py",
            {"collaborative_filtering", "recommendations"},
        ),
        ("report/templates/report.css", set()),
    ],
)
def test_editing_code_reruns_exactly_the_rules_that_use_it(
    work: Path, relative: str, rules: set[str]
) -> None:
    assert dry_run_after_editing(work, relative) == rules | {"report", "all"}


def test_a_bad_row_stops_the_run_naming_it_and_leaves_no_outputs(
    tmp_path: Path,
) -> None:
    generate(tmp_path / "synthetic", users=20, movies=30, ratings=200, seed=3)
    ratings = tmp_path / "synthetic" / "u.data"
    lines = ratings.read_text().splitlines()
    user, movie, _, timestamp = lines[2].split("\t")
    lines[2] = "\t".join([user, movie, "7", timestamp])
    ratings.write_text("\n".join(lines) + "\n")
    config = {"dataset": {"source": "local", "local_dir": "synthetic"}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))

    run = snakemake(tmp_path, "--cores", "2")

    assert run.returncode != 0
    assert "u.data, line 3: rating 7 is outside 1-5" in run.stdout + run.stderr
    # Snakemake makes the output folders before the job starts; nothing else
    # may be left, and no table may look written.
    written = [
        str(path.relative_to(tmp_path))
        for path in (tmp_path / "results").rglob("*")
        if ".hail-tmp" not in path.parts
        and (path.is_file() or path.suffix in (".ht", ".partial"))
    ]
    assert written == []


REPRODUCIBLE = {"SOURCE_DATE_EPOCH": "1764806400"}


def result_files(work: Path) -> dict[str, bytes]:
    """Every table, figure and summary a run wrote, and the report, by path.

    Hail's own table folders are left out: their part files carry random names.
    """
    paths = [
        path
        for pattern in ("*.tsv", "*.svg", "*.json", "*.html")
        for path in (work / "results").rglob(pattern)
        if path.relative_to(work / "results").parts[0] not in ("hail", ".hail-tmp")
    ]
    return {str(path.relative_to(work)): path.read_bytes() for path in paths}


def kill_during(work: Path, rule_log: str) -> None:
    """Start a cold run and kill it, scheduler and jobs at once, two seconds
    after ``rule_log`` appears: a crash in the middle of that rule."""
    run = subprocess.Popen(
        snakemake_command(work, "--cores", "2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 900
    while not (work / rule_log).exists():
        assert run.poll() is None, f"the run ended before {rule_log} appeared"
        assert time.monotonic() < deadline, f"{rule_log} never appeared"
        time.sleep(0.2)
    time.sleep(2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=60)


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_results_byte_for_byte(
    work: Path,
) -> None:
    refreshed = snakemake(
        work, "--cores", "1", "--forcerun", "report", environ=REPRODUCIBLE
    )
    assert refreshed.returncode == 0, refreshed.stderr[-3000:]
    first = result_files(work)
    for folder in ("results", "logs", "benchmarks"):
        shutil.rmtree(work / folder)

    kill_during(work, "logs/movie_stats.log")
    unlocked = snakemake(work, "--unlock")
    assert unlocked.returncode == 0, unlocked.stderr[-3000:]
    resumed = snakemake(
        work, "--cores", "2", "--rerun-incomplete", environ=REPRODUCIBLE
    )

    assert resumed.returncode == 0, resumed.stderr[-5000:]
    second = result_files(work)
    assert sorted(second) == sorted(first)
    assert [path for path in first if first[path] != second[path]] == []
