"""The whole workflow under the real Snakemake scheduler, on synthetic data.

One run in a temporary folder serves every test here: it checks each declared
output, the report, and that a second look finds nothing to do.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from movielens_hail.synth import generate

ROOT = Path(__file__).resolve().parents[1]
USERS, MOVIES, RATINGS = 60, 120, 3000

pytestmark = pytest.mark.workflow


def snakemake(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Snakemake on the repository's Snakefile in ``work``."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(work),
        "--configfile",
        str(work / "config.yaml"),
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the workflow ran to completion on synthetic data."""
    work = tmp_path_factory.mktemp("workflow")
    generate(work / "synthetic", users=USERS, movies=MOVIES, ratings=RATINGS, seed=7)
    config = {"dataset": {"source": "local", "local_dir": str(work / "synthetic")}}
    (work / "config.yaml").write_text(yaml.safe_dump(config))

    run = snakemake(work, "--cores", "2")

    assert run.returncode == 0, run.stderr[-5000:]
    return work


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


def planned_rules(dry_run: subprocess.CompletedProcess[str]) -> set[str]:
    """The rules a dry run would run, from its job lines."""
    text = dry_run.stdout + dry_run.stderr
    return set(re.findall(r"^(?:local)?rule (\w+):", text, flags=re.MULTILINE))


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

    assert planned == {"engagement", "genre_demographics", "report", "all"}


def test_changing_the_evaluation_reruns_both_recommenders(work: Path) -> None:
    planned = dry_run_with(work, {"evaluation": {"folds": 3}})

    assert planned == {
        "collaborative_filtering",
        "recommendations",
        "report",
        "all",
    }
