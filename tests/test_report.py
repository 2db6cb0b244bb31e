"""Report rendering from fixture outputs: self-contained, escaped, deterministic."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from movielens_hail import report

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "report" / "templates"
SVG = (
    '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n'
    '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>\n'
)


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@pytest.fixture
def outputs(tmp_path: Path) -> dict[str, Path]:
    """Fixture outputs of fetch, ingest and the stats rules."""
    ingest, source, stats = tmp_path / "ingest", tmp_path / "source", tmp_path / "stats"
    write_json(
        ingest / "summary.json",
        {
            "headline": "5 ratings of <b>4</b> movies & 3 users.",
            "n_ratings": 5,
            "n_users": 3,
            "n_movies": 4,
            "mean_rating": 3.2,
            "n_rejected": 2,
            "rejected_by_reason": {"u.data: rating … is outside 1-5": 2},
        },
    )
    (ingest / "rating_distribution.tsv").write_text(
        "rating\tn_ratings\tshare\n1\t1\t0.2\n2\t0\t0.0\n"
        "3\t2\t0.4\n4\t1\t0.2\n5\t1\t0.2\n"
    )
    (ingest / "rating_distribution.svg").write_text(SVG)
    write_json(
        source / "source.json",
        {
            "source": "pypi",
            "layout": "recbole",
            "origin": {"package": "recbole==1.2.1"},
            "files": {"ml-100k.inter": {"sha256": "ab" * 32, "bytes": 10, "rows": 5}},
            "failed_attempts": [{"source": "grouplens", "error": "<no network>"}],
        },
    )
    counts = {"n_unrated": 1, "min_ratings": 0, "median_ratings": 1, "max_ratings": 3}
    write_json(stats / "movie_stats.json", counts)
    write_json(stats / "user_stats.json", counts)
    return {"ingest": ingest, "source": source, "stats": stats}


def render(outputs: dict[str, Path], tmp_path: Path) -> str:
    section = report.data_section(
        outputs["ingest"], outputs["source"], outputs["stats"]
    )
    out = tmp_path / "report.html"
    report.write_report(
        out,
        template_dir=TEMPLATES,
        sections=[section],
        config={"report": {"title": "T"}},
        title="Test <report>",
    )
    return out.read_text()


def test_report_has_the_data_section_and_provenance(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    html = render(outputs, tmp_path)

    assert '<section id="data">' in html
    assert '<a href="#data">The data</a>' in html
    assert "ab" * 32 in html
    assert "recbole==1.2.1" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg">' in html
    assert "<?xml" not in html
    assert "u.data: rating … is outside 1-5" in html
    assert '"title": "T"' in html or "&#34;title&#34;: &#34;T&#34;" in html


def test_data_derived_text_is_escaped(outputs: dict[str, Path], tmp_path: Path) -> None:
    html = render(outputs, tmp_path)

    assert "5 ratings of &lt;b&gt;4&lt;/b&gt; movies &amp; 3 users." in html
    assert "<b>4</b>" not in html
    assert "&lt;no network&gt;" in html
    assert "<title>Test &lt;report&gt;</title>" in html


def test_report_loads_nothing_from_outside(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    html = render(outputs, tmp_path)

    assert "default-src 'none'" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html


def test_source_date_epoch_fixes_the_run_time(
    outputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")

    first = render(outputs, tmp_path)
    second = render(outputs, tmp_path)

    assert "Generated 1970-01-02T00:00:00Z" in first
    assert first == second


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (100000, "100,000"),
        ("943", "943"),
        (3.52986, "3.53"),
        ("0.2", "0.20"),
        (None, "–"),
    ],
)
def test_number_format(value: object, text: str) -> None:
    assert report.format_number(value) == text


def test_download_link_decodes_to_the_table(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    html = render(outputs, tmp_path)

    link = re.search(r'download="data-distribution.tsv"\s+href="([^"]+)"', html)
    assert link is not None
    encoded = link.group(1).split("base64,", 1)[1]
    assert (
        base64.b64decode(encoded).decode()
        == (outputs["ingest"] / "rating_distribution.tsv").read_text()
    )


def test_only_the_report_script_may_run(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    html = render(outputs, tmp_path)

    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL)
    assert script is not None
    digest = hashlib.sha256(script.group(1).encode()).digest()
    assert f"script-src 'sha256-{base64.b64encode(digest).decode()}'" in html
    assert html.count("<script") == 1


def test_run_statistics_slowest_first_unless_reproducible(tmp_path: Path) -> None:
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load"
    (tmp_path / "ingest.tsv").write_text(
        f"{header}\n33.2\t0:00:33\t604.5\t0\t0\t0\t0\t0\t0\n"
    )
    (tmp_path / "report.tsv").write_text(
        f"{header}\n0.9\t0:00:00\t65.6\t0\t0\t0\t0\t0\t0\n"
    )

    assert report.run_statistics(tmp_path, environ={}) == [
        {"rule": "ingest", "seconds": 33.2, "max_rss_mb": 604.5},
        {"rule": "report", "seconds": 0.9, "max_rss_mb": 65.6},
    ]
    assert report.run_statistics(tmp_path, environ={"SOURCE_DATE_EPOCH": "1"}) == []


def test_commit_outside_git_says_so(tmp_path: Path) -> None:
    assert report.git_commit(tmp_path) == "not a git checkout"


def test_commit_of_this_checkout() -> None:
    commit = report.git_commit(ROOT)

    assert re.fullmatch(r"[0-9a-f]{40}( \(modified\))?", commit) or (
        commit == "not a git checkout"
    )


def test_engine_versions_from_the_ingest_summary(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    summary_path = outputs["ingest"] / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary["environment"] = {"hail": "0.2.139-x", "spark": "3.5.9", "java": "17.0.15"}
    summary_path.write_text(json.dumps(summary))

    html = render(outputs, tmp_path)

    assert "<tr><td>java (computed the results)</td><td>17.0.15</td></tr>" in html
    assert "<tr><td>spark (computed the results)</td><td>3.5.9</td></tr>" in html
