"""Open static HTML reports in headless Chromium and print what each costs.

Usage::

    python bench/reports.py results/report.html OTHER.html ...

For each file: its size, the time from opening it to the ``load`` event, the
requests it made beyond the file itself (and how many of them left the machine),
console errors, whether it declares a Content-Security-Policy, and what it holds
(tables, inline SVG figures, images). Meant to compare this workflow's report
with Snakemake's ``--report`` and MultiQC's on the same machine; the README's
"The report beside Snakemake's and MultiQC's" says how those were made.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from movielens_hail.chromium import FLAGS, chromium_path

COUNT_ELEMENTS = """() => ({
    tables: document.querySelectorAll("table").length,
    svgs: document.querySelectorAll("svg").length,
    images: document.querySelectorAll("img").length,
    csp: !!document.querySelector('meta[http-equiv="Content-Security-Policy"]'),
})"""


LOCAL = ("file:", "data:", "blob:")
"""Requests that stay on the machine."""


def record_error(message: Any, errors: list[str]) -> None:
    """Keep the console messages of level error."""
    if message.type == "error":
        errors.append(message.text)


def measure(browser: Any, path: Path) -> dict[str, Any]:
    """Open ``path`` in a new page and collect its figures."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    url = path.resolve().as_uri()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: record_error(message, errors))
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    loaded = time.perf_counter() - started
    counts = page.evaluate(COUNT_ELEMENTS)
    page.close()
    others = [request for request in requests if request != url]
    return {
        "size_mb": path.stat().st_size / 1e6,
        "load_s": loaded,
        "requests": len(others),
        "external": sum(not url.startswith(LOCAL) for url in others),
        "errors": len(errors),
        **counts,
    }


def main(paths: list[Path]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=FLAGS
        )
        rows = [(path, measure(browser, path)) for path in paths]
        browser.close()
    print(
        "| report | size | open to load | requests (external) | console errors "
        "| CSP | tables | inline SVG | images |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for path, row in rows:
        print(
            f"| {path} | {row['size_mb']:.1f} MB | {row['load_s']:.2f} s "
            f"| {row['requests']} ({row['external']}) | {row['errors']} "
            f"| {'yes' if row['csp'] else 'no'} | {row['tables']} | {row['svgs']} "
            f"| {row['images']} |"
        )


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main([Path(argument) for argument in sys.argv[1:]])
