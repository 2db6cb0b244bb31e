"""The generated report in a real browser: headless Chromium, driven by Playwright.

The page must load from disk with no console error and no request beyond the
file itself, and its live filter must give exactly the answer of the
``movielens-hail query`` command line for the same criteria. A screenshot of
the first screen is written to ``test-artifacts/`` for people to look at.

Chromium comes from Debian's ``chromium`` package (``/usr/bin/chromium``), or
from the path in ``CHROMIUM``; without it these tests fail and say so.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from workflow_run import MOVIES, RATINGS, ROOT, planned_rules, snakemake

from movielens_hail.chromium import FLAGS, chromium_path

pytestmark = pytest.mark.workflow

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ROOT / "test-artifacts"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path(), args=FLAGS
        )
        yield chromium
        chromium.close()


@contextmanager
def opened(browser: Any, work: Path) -> Iterator[dict[str, Any]]:
    """The report of ``work`` open in a fresh page, with what the page said and
    fetched."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    seen: dict[str, Any] = {"page": page, "console": [], "errors": [], "requests": []}
    page.on("console", lambda message: seen["console"].append(message))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", lambda request: seen["requests"].append(request.url))
    seen["url"] = (work / "results" / "report.html").as_uri()
    page.goto(seen["url"])
    yield seen
    page.close()


@pytest.fixture
def report(browser: Any, work: Path) -> Iterator[dict[str, Any]]:
    """The report of the synthetic run, which embeds every rating."""
    with opened(browser, work) as seen:
        yield seen


@pytest.fixture(scope="module")
def coarse_work(work: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the synthetic run with fewer ratings and movies allowed in the
    page than it has, rerun by Snakemake: the report then embeds counts per
    movie, sex, age group and rating for the most rated movies."""
    copy = tmp_path_factory.mktemp("coarse") / "work"
    shutil.copytree(work, copy, symlinks=True)
    config = yaml.safe_load((copy / "config.yaml").read_text())
    config["saved_queries"] = {
        "max_embedded_ratings": RATINGS // 2,
        "max_embedded_movies": MOVIES - 10,
    }
    (copy / "config.yaml").write_text(yaml.safe_dump(config))

    run = snakemake(copy, "--cores", "2")

    assert run.returncode == 0, run.stderr[-5000:]
    assert planned_rules(run) == {"saved_queries", "report", "all"}
    return copy


@pytest.fixture
def coarse_report(browser: Any, coarse_work: Path) -> Iterator[dict[str, Any]]:
    """The report that embeds counts instead of ratings."""
    with opened(browser, coarse_work) as seen:
        yield seen


def test_report_loads_offline_with_no_errors(report: dict[str, Any]) -> None:
    page = report["page"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-first-screen.png"))

    problems = [m.text for m in report["console"] if m.type in ("error", "warning")]
    assert problems == []
    assert report["errors"] == []
    assert report["requests"] == [report["url"]]
    assert page.locator("nav.toc a").count() >= 10
    assert (ARTIFACTS / "report-first-screen.png").stat().st_size > 10_000


def cli_answer(work: Path, options: Sequence[str]) -> list[dict[str, Any]]:
    """The ``movielens-hail query`` command's JSON answer for ``options``."""
    command = [
        sys.executable,
        "-m",
        "movielens_hail.cli",
        "query",
        "--tables",
        str(work / "results" / "hail"),
        "--format",
        "json",
        *options,
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    rows: list[dict[str, Any]] = json.loads(run.stdout)
    return rows


def page_answer(page: Any) -> list[dict[str, Any]]:
    """The live filter's table: movie id, count and full-precision means."""
    rows: list[dict[str, Any]] = page.eval_on_selector_all(
        "#filter-results tbody tr",
        """rows => rows.map(row => ({
            movie_id: Number(row.dataset.movieId),
            n_ratings: Number(row.cells[4].dataset.value),
            mean_rating: Number(row.cells[5].dataset.value),
            damped_mean: Number(row.cells[6].dataset.value),
        }))""",
    )
    return rows


def vocabulary(page: Any) -> dict[str, Any]:
    """The genres, occupations and states the page offers."""
    data: dict[str, Any] = page.evaluate(
        "JSON.parse(document.getElementById('filter-data').textContent)"
    )
    return data


def set_filter(page: Any, criteria: dict[str, Any]) -> None:
    """Set the live filter's controls: lists pick options, the rest are typed."""
    form = page.locator("#live-filter")
    form.locator("button[type=reset]").click()
    for name, value in criteria.items():
        control = form.locator(f"[name={name}]")
        if isinstance(value, list) or name in ("sex", "sort"):
            control.select_option(value)
        else:
            control.fill(str(value))


def criteria_cases(data: dict[str, Any]) -> list[tuple[dict[str, Any], list[str]]]:
    """(live filter controls, the same criteria as command-line options)."""
    occupation = data["occupations"][0]
    state = data["states"][0]
    return [
        (
            {"genres_any": ["Comedy", "Drama"], "sex": "F", "min_count": 2},
            shlex.split("--genre Comedy --genre Drama --sex F --min-count 2"),
        ),
        (
            {
                "genres_all": ["Action"],
                "age_min": 18,
                "age_max": 40,
                "rating_min": 4,
                "sort": "count",
                "limit": 15,
            },
            shlex.split(
                "--all-genres Action --age 18-40 --rating 4-5 --sort count --limit 15"
            ),
        ),
        (
            {
                "occupations": [occupation],
                "year_min": 1970,
                "year_max": 1999,
                "min_mean": 3,
                "sort": "damped_mean",
            },
            shlex.split(
                f"--occupation {occupation} --year 1970-1999 --min-mean 3 "
                "--sort damped_mean"
            ),
        ),
        (
            {"states": [state], "title": "the", "rating_max": 3},
            shlex.split(f"--state {state} --title the --rating 1-3"),
        ),
    ]


def assert_same_answer(
    page: Any, work: Path, cases: list[tuple[dict[str, Any], list[str]]]
) -> None:
    """For each case, the live filter's table equals the command line's."""
    for controls, options in cases:
        set_filter(page, controls)
        shown = page_answer(page)
        expected = cli_answer(work, options)

        assert shown, controls
        assert [row["movie_id"] for row in shown] == [
            row["movie_id"] for row in expected
        ], controls
        assert [row["n_ratings"] for row in shown] == [
            row["n_ratings"] for row in expected
        ]
        for field in ("mean_rating", "damped_mean"):
            assert [row[field] for row in shown] == pytest.approx(
                [row[field] for row in expected], abs=5.01e-5
            ), (controls, field)


def test_live_filter_gives_the_command_line_answer(
    report: dict[str, Any], work: Path
) -> None:
    assert_same_answer(report["page"], work, criteria_cases(vocabulary(report["page"])))
    assert report["errors"] == []


def coarse_cases(min_count: int) -> list[tuple[dict[str, Any], list[str]]]:
    """(live filter controls, command-line options) for the criteria the count
    layout answers, each asking for at least ``min_count`` matching ratings."""
    least = f"--min-count {min_count}"
    return [
        (
            {
                "genres_any": ["Comedy", "Drama"],
                "sex": "F",
                "age_groups": ["18-24", "25-34"],
                "min_count": min_count,
            },
            shlex.split(f"--genre Comedy --genre Drama --sex F --age 18-34 {least}"),
        ),
        (
            {
                "genres_all": ["Action"],
                "rating_min": 4,
                "sort": "count",
                "limit": 15,
                "min_count": min_count,
            },
            shlex.split(
                f"--all-genres Action --rating 4-5 --sort count --limit 15 {least}"
            ),
        ),
        (
            {
                "age_groups": ["45-49", "50-55", "56+"],
                "year_min": 1970,
                "year_max": 1999,
                "min_mean": 3,
                "sort": "damped_mean",
                "min_count": min_count,
            },
            shlex.split(
                f"--age 45- --year 1970-1999 --min-mean 3 --sort damped_mean {least}"
            ),
        ),
        (
            {"sex": "M", "title": "the", "rating_max": 3, "min_count": min_count},
            shlex.split(f"--sex M --title the --rating 1-3 {least}"),
        ),
    ]


def test_coarse_live_filter_gives_the_command_line_answer(
    coarse_report: dict[str, Any], coarse_work: Path
) -> None:
    page = coarse_report["page"]
    form = page.locator("#live-filter")

    for name in ("occupations", "states", "zip_prefix", "age_min", "age_max"):
        assert form.locator(f"[name={name}]").count() == 0, name
    assert form.locator("[name=age_groups] option").all_text_contents() == [
        "1-17",
        "18-24",
        "25-34",
        "35-44",
        "45-49",
        "50-55",
        "56+",
    ]
    text = " ".join(page.locator("#saved_queries p").all_text_contents())
    text = " ".join(text.split())
    assert "occupation, state and ZIP code are not offered" in text
    left_out = vocabulary(page)["movies_left_out"]
    assert left_out["n_movies"] == 10
    most = left_out["most_ratings"]
    assert f"Ask for at least {most + 1} matching ratings" in text
    assert_same_answer(page, coarse_work, coarse_cases(max(2, most + 1)))
    assert coarse_report["errors"] == []
    assert coarse_report["requests"] == [coarse_report["url"]]


def test_live_filter_names_an_empty_range(report: dict[str, Any]) -> None:
    page = report["page"]
    set_filter(page, {"age_min": 40, "age_max": 30})

    assert page.locator("#filter-status").text_content() == (
        "No results: age range 40-30 is empty."
    )
    assert page.locator("#filter-results tbody tr").count() == 0
