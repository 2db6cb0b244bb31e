"""Render the analyses' outputs into one self-contained HTML report.

The report reads only files: each section's ``summary.json``, TSV tables and SVG
figures, the data's ``source.json`` and the config the run used. It imports no
Hail and starts no JVM. Styles and figures are inlined and a Content-Security-
Policy forbids every external load, so the file opens from disk with no network.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

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
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


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
    return Section(
        anchor="data",
        title="The data",
        summary=summary,
        tables={"distribution": read_tsv(ingest_dir / "rating_distribution.tsv")},
        figures={"distribution": inline_svg(ingest_dir / "rating_distribution.svg")},
        extra={
            "source": read_json(source_dir / "source.json"),
            "movie_stats": read_json(stats_dir / "movie_stats.json"),
            "user_stats": read_json(stats_dir / "user_stats.json"),
        },
    )


def write_report(
    out: Path,
    *,
    template_dir: Path,
    sections: Sequence[Section],
    config: Mapping[str, Any],
    title: str,
) -> None:
    """Render the report with its sections, the config and provenance to ``out``."""
    html = render(
        template_dir,
        {
            "title": title,
            "sections": sections,
            "config_json": json.dumps(config, indent=2, sort_keys=True),
            "versions": versions(),
            "generated": run_time(),
            "stylesheet": Markup(
                (template_dir / "report.css").read_text(encoding="utf-8")
            ),
        },
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
