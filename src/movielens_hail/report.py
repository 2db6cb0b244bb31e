"""Render the analyses' outputs into one self-contained HTML report.

The report reads only files: each section's ``summary.json``, TSV tables and SVG
figures, the data's ``source.json`` and the config the run used. It imports no
Hail and starts no JVM. Styles and figures are inlined and a Content-Security-
Policy forbids every external load, so the file opens from disk with no network.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

ANALYSES: tuple[tuple[str, str], ...] = (
    ("popularity", "Movie popularity"),
    ("engagement", "Who rates: engagement by demographics"),
    ("genre_demographics", "Genre preferences by age and sex"),
    ("collaborative_filtering", "Collaborative filtering"),
    ("temporal_trends", "Ratings over time"),
    ("title_sentiment", "Title sentiment and ratings"),
    ("geography", "Geography of users"),
    ("genre_ratings", "Average rating per genre"),
    ("saved_queries", "Filtering: saved queries and a live filter"),
    ("recommendations", "Profile-based recommendations"),
)
"""Every analysis the report can show, in report order: (rule name, heading). Each
has ``report/templates/sections/<rule>.html.j2``."""

KEY_PACKAGES = ("hail", "pyspark", "snakemake", "pandas", "matplotlib", "jinja2")
XML_PROLOGUE = re.compile(r"\A(?:<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*)+")


@dataclass
class Section:
    """One report section: its anchor, heading, summary, tables and figures."""

    anchor: str
    title: str
    summary: dict[str, Any]
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    figures: dict[str, Markup] = field(default_factory=dict)
    downloads: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        """The section's one-sentence finding, from its summary."""
        return str(self.summary.get("headline", ""))


def read_json(path: Path) -> dict[str, Any]:
    """A JSON file as a dict."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def read_tsv(path: Path) -> list[dict[str, str]]:
    """A TSV file with a header row as a list of rows."""
    return parse_tsv(path.read_text(encoding="utf-8"))


def parse_tsv(text: str) -> list[dict[str, str]]:
    """TSV text with a header row as a list of rows."""
    rows = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    return list(rows)


def data_url(text: str, media_type: str = "text/tab-separated-values") -> str:
    """``text`` as a base64 data URL, for a download link inside the page."""
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"data:{media_type};charset=utf-8;base64,{encoded}"


def csp_hash(text: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def script_json(text: str) -> Markup:
    """JSON text made safe inside a ``<script type="application/json">`` block.

    ``<``, ``>`` and ``&`` become JSON escapes, so a title such as
    ``</script>`` in the data cannot end the block; JSON.parse reads them back.
    """
    escaped = text.replace("&", "\\u0026").replace("<", "\\u003c")
    return Markup(escaped.replace(">", "\\u003e"))


def inline_svg(path: Path) -> Markup:
    """An SVG file's markup for inlining, without its XML prologue.

    The SVGs come from the workflow's own plotting code, which escapes any text
    it draws, so the markup is trusted as is.
    """
    return Markup(XML_PROLOGUE.sub("", path.read_text(encoding="utf-8")))


def run_time(environ: Mapping[str, str] | None = None) -> str:
    """When the report was made: SOURCE_DATE_EPOCH if set, else now, in UTC."""
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH")
    moment = (
        dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
        if epoch
        else dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0)
    )
    return moment.isoformat().replace("+00:00", "Z")


def git_commit(repo: Path) -> str:
    """The workflow's git commit, marked ``(modified)`` when the tree has changes,
    or "not a git checkout"."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"{commit} (modified)" if changes else commit


def run_statistics(
    benchmarks: Path, environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Wall time and peak memory of each rule from its Snakemake benchmark file,
    slowest first; empty when SOURCE_DATE_EPOCH asks for a reproducible report.

    They describe the run, not the data, and differ between runs.
    """
    environ = os.environ if environ is None else environ
    if environ.get("SOURCE_DATE_EPOCH") or not benchmarks.is_dir():
        return []
    rules = []
    for path in sorted(benchmarks.glob("*.tsv")):
        rows = read_tsv(path)
        if not rows:
            continue
        last = rows[-1]
        rules.append(
            {
                "rule": path.stem,
                "seconds": float(last["s"]),
                "max_rss_mb": _float_or_none(last.get("max_rss")),
            }
        )
    return sorted(rules, key=lambda rule: -rule["seconds"])


def _float_or_none(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "", "-", "NA") else None
    except ValueError:
        return None


def versions(packages: Sequence[str] = KEY_PACKAGES) -> dict[str, str]:
    """Python's and the key packages' versions, read without importing them."""
    found = {"python": platform.python_version()}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def render(template_dir: Path, context: Mapping[str, Any]) -> str:
    """Render ``report.html.j2`` from ``template_dir`` with autoescaping on."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["number"] = format_number
    environment.filters["data_url"] = data_url
    return environment.get_template("report.html.j2").render(**context)


def format_number(value: Any, digits: int = 2) -> str:
    """Thousands separators for whole numbers, ``digits`` decimals otherwise."""
    if value is None or value == "":
        return "–"
    number = float(value)
    if number.is_integer() and not (isinstance(value, str) and "." in value):
        return f"{int(number):,}"
    return f"{number:,.{digits}f}"


def data_section(ingest_dir: Path, source_dir: Path, stats_dir: Path) -> Section:
    """The "The data" section: counts, the rating distribution and provenance."""
    summary = read_json(ingest_dir / "summary.json")
    distribution = (ingest_dir / "rating_distribution.tsv").read_text(encoding="utf-8")
    return Section(
        anchor="data",
        title="The data",
        summary=summary,
        tables={"distribution": parse_tsv(distribution)},
        downloads={"distribution": distribution},
        figures={"distribution": inline_svg(ingest_dir / "rating_distribution.svg")},
        extra={
            "source": read_json(source_dir / "source.json"),
            "movie_stats": read_json(stats_dir / "movie_stats.json"),
            "user_stats": read_json(stats_dir / "user_stats.json"),
        },
    )


def analysis_section(folder: Path, anchor: str, title: str) -> Section:
    """A section from an analysis folder: ``summary.json``, every TSV as a table
    and every SVG as a figure, each under its file name without the suffix, and
    the live filter's ``filter_data.json`` where there is one."""
    tsv = {
        path.stem: path.read_text(encoding="utf-8")
        for path in sorted(folder.glob("*.tsv"))
    }
    filter_data = folder / "filter_data.json"
    extra = (
        {"filter_data": script_json(filter_data.read_text(encoding="utf-8"))}
        if filter_data.exists()
        else {}
    )
    return Section(
        anchor=anchor,
        title=title,
        summary=read_json(folder / "summary.json"),
        tables={name: parse_tsv(text) for name, text in tsv.items()},
        figures={path.stem: inline_svg(path) for path in sorted(folder.glob("*.svg"))},
        downloads=tsv,
        extra=extra,
    )


def analysis_sections(
    results: Path, active: Sequence[str]
) -> tuple[list[Section], list[str]]:
    """The sections of the ``active`` analyses in report order, and the headings
    of the analyses that were turned off."""
    sections = [
        analysis_section(results / name, name, title)
        for name, title in ANALYSES
        if name in active
    ]
    not_run = [title for name, title in ANALYSES if name not in active]
    return sections, not_run


def write_report(
    out: Path,
    *,
    template_dir: Path,
    sections: Sequence[Section],
    config: Mapping[str, Any],
    title: str,
    not_run: Sequence[str] = (),
    repo: Path | None = None,
    benchmarks: Path | None = None,
) -> None:
    """Render the report with its sections, the config and provenance to ``out``.

    :param repo: the workflow's folder, for its git commit.
    :param benchmarks: the folder of the rules' benchmark files, for run statistics.
    """
    stylesheet = (template_dir / "report.css").read_text(encoding="utf-8")
    script = (template_dir / "report.js").read_text(encoding="utf-8")
    engine: dict[str, str] = next(
        (s.summary.get("environment", {}) for s in sections if s.anchor == "data"), {}
    )
    html = render(
        template_dir,
        {
            "title": title,
            "sections": sections,
            "not_run": not_run,
            "config_json": json.dumps(config, indent=2, sort_keys=True),
            "versions": versions(),
            "engine": engine,
            "commit": git_commit(repo) if repo else "not recorded",
            "run_statistics": run_statistics(benchmarks) if benchmarks else [],
            "generated": run_time(),
            "stylesheet": Markup(stylesheet),
            "script": Markup(script),
            "script_hash": Markup(csp_hash(script)),
        },
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
