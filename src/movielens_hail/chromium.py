"""Headless Chromium for opening the report, as its browser test and
``bench/reports.py`` do.

The binary is Debian's ``chromium`` package, or the one ``CHROMIUM`` names.
"""

from __future__ import annotations

import os
import shutil

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless, and nothing that reaches the network by itself, so a page's own
requests are the only ones."""


def chromium_path() -> str:
    """The Chromium binary to drive.

    :raises FileNotFoundError: saying how to install one.
    """
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        raise FileNotFoundError(
            "Chromium not found: install Debian's package (apt-get install "
            "chromium) or set CHROMIUM to a Chromium binary"
        )
    return path
