"""Fetch MovieLens 100K from GroupLens, from PyPI, or from a local folder.

MovieLens may not be redistributed, so the workflow gets it at run time:

* ``grouplens``: the zip from files.grouplens.org (as ``hail.utils.get_movie_lens``).
* ``pypi``: the copy inside the RecBole wheel, obtained with ``pip download``; this
  works wherever a package index is reachable, even without general internet.
* ``local``: a folder already on disk, in the GroupLens or the RecBole layout.
* ``auto``: GroupLens, then PyPI, logging why each failed source failed.

Every source is fetched into a hidden staging folder beside the destination and
checked before the staging folder is renamed into place in one step, so an
interrupted fetch leaves nothing a rerun could take for data. The folder gets a
``source.json`` recording the source, its origin and each file's SHA-256 and rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from movielens_hail.readers import LAYOUT_FILES, detect_layout, read_movielens

logger = logging.getLogger(__name__)

EXPECTED_ROWS = {"ratings": 100_000, "movies": 1_682, "users": 943}
AUTO_ORDER = ("grouplens", "pypi")
GROUPLENS_MEMBERS = ("ml-100k/u.data", "ml-100k/u.item", "ml-100k/u.user")
RECBOLE_MEMBERS = tuple(
    f"recbole/dataset_example/ml-100k/{name}"
    for name in LAYOUT_FILES["recbole"].values()
)
CHUNK = 1 << 20


class FetchError(RuntimeError):
    """No source could provide a checked copy of the data."""


def fetch_movielens(settings: Mapping[str, Any], destination: Path) -> dict[str, Any]:
    """Fetch the data named by the ``dataset`` config into ``destination``.

    :param settings: the ``dataset`` section of the config.
    :param destination: the folder to create; it must not exist yet.
    :return: the provenance written to ``destination / "source.json"``.
    :raises FetchError: when every source tried failed, with each reason.
    """
    if destination.exists():
        raise FileExistsError(f"{destination} exists; remove it to fetch again")
    destination.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(destination)

    source = settings["source"]
    sources = AUTO_ORDER if source == "auto" else (source,)
    attempts: list[dict[str, str]] = []
    for name in sources:
        staging = Path(
            tempfile.mkdtemp(
                prefix=f".{destination.name}.partial-", dir=destination.parent
            )
        )
        staging.chmod(0o755)
        try:
            origin = FETCHERS[name](settings, staging)
            provenance = describe(staging, name, origin, checked=name != "local")
        except (
            OSError,
            ValueError,
            subprocess.SubprocessError,
            zipfile.BadZipFile,
        ) as error:
            shutil.rmtree(staging)
            logger.warning("fetch_movielens: source %s failed: %s", name, error)
            attempts.append({"source": name, "error": str(error)})
            continue
        provenance["failed_attempts"] = attempts
        (staging / "source.json").write_text(json.dumps(provenance, indent=2) + "\n")
        staging.replace(destination)
        logger.info(
            "fetch_movielens: %s served %s",
            name,
            ", ".join(
                f"{entry['rows']} rows of {file}"
                for file, entry in provenance["files"].items()
            ),
        )
        return provenance

    reasons = "; ".join(f"{entry['source']}: {entry['error']}" for entry in attempts)
    raise FetchError(f"no source provided MovieLens 100K ({reasons})")


def describe(
    folder: Path, source: str, origin: Mapping[str, Any], *, checked: bool
) -> dict[str, Any]:
    """Provenance of a fetched folder: layout, files, SHA-256 and row counts.

    :param checked: also read every row and require the published row counts
        (100,000 ratings, 1,682 movies, 943 users) and no malformed row; a local
        folder is only counted, since any size is allowed there and ingest checks
        its rows.
    :raises ValueError: when a checked download does not have the expected shape.
    """
    layout = detect_layout(folder)
    header = 1 if layout == "recbole" else 0
    files = {}
    for table, name in LAYOUT_FILES[layout].items():
        path = folder / name
        rows = _count_lines(path) - header
        if checked and rows != EXPECTED_ROWS[table]:
            raise ValueError(
                f"{name} has {rows} rows; MovieLens 100K has {EXPECTED_ROWS[table]}"
            )
        files[name] = {
            "sha256": sha256(path),
            "bytes": path.stat().st_size,
            "rows": rows,
        }
    if checked:
        data = read_movielens(folder, mode="lenient")
        if len(data.rejected):
            first = data.rejected.iloc[0]
            raise ValueError(
                f"{len(data.rejected)} malformed rows, the first in {first['file']} "
                f"line {first['line']}: {first['reason']}"
            )
    return {"source": source, "layout": layout, "origin": dict(origin), "files": files}


def from_grouplens(settings: Mapping[str, Any], staging: Path) -> dict[str, Any]:
    """Download the GroupLens zip and extract the three data files."""
    url = settings["grouplens_url"]
    if not url.startswith("https://"):
        raise ValueError(f"refusing to download {url!r}: only https:// URLs are used")
    archive = staging / "ml-100k.zip.part"
    timeout = settings["timeout_seconds"]
    with (
        urllib.request.urlopen(url, timeout=timeout) as response,
        archive.open("wb") as handle,
    ):
        shutil.copyfileobj(response, handle, CHUNK)
    digest = sha256(archive)
    with zipfile.ZipFile(archive) as bundle:
        extract_members(bundle, GROUPLENS_MEMBERS, staging)
    archive.unlink()
    return {"url": url, "zip_sha256": digest}


def from_pypi(settings: Mapping[str, Any], staging: Path) -> dict[str, Any]:
    """Download the RecBole wheel with pip and extract its copy of the data."""
    requirement = f"recbole=={settings['recbole_version']}"
    timeout = settings["timeout_seconds"]
    wheels = staging / "wheel"
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        requirement,
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--timeout",
        str(timeout),
        "--retries",
        "1",
        "--dest",
        str(wheels),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout * 10, check=False
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise OSError(f"pip download {requirement} failed: {last}")
    (wheel,) = wheels.glob("recbole-*.whl")
    digest = sha256(wheel)
    with zipfile.ZipFile(wheel) as bundle:
        extract_members(bundle, RECBOLE_MEMBERS, staging)
    shutil.rmtree(wheels)
    return {"package": requirement, "wheel": wheel.name, "wheel_sha256": digest}


def from_local(settings: Mapping[str, Any], staging: Path) -> dict[str, Any]:
    """Copy the data files of a local folder in either layout."""
    if not settings["local_dir"]:
        raise ValueError("dataset.source is local but dataset.local_dir is empty")
    folder = Path(settings["local_dir"]).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"dataset.local_dir {str(folder)!r} is not a folder")
    layout = detect_layout(folder)
    for name in LAYOUT_FILES[layout].values():
        shutil.copyfile(folder / name, staging / name)
    return {"path": str(folder.resolve())}


FETCHERS: dict[str, Callable[[Mapping[str, Any], Path], dict[str, Any]]] = {
    "grouplens": from_grouplens,
    "pypi": from_pypi,
    "local": from_local,
}


def extract_members(
    bundle: zipfile.ZipFile, members: Iterable[str], target: Path
) -> None:
    """Extract the named members of a zip flat into ``target``.

    Names are checked before anything is written: a member that is absent, or
    whose name is absolute or climbs out with ``..``, stops the extraction.
    """
    members = list(members)
    present = set(bundle.namelist())
    for member in members:
        parts = PurePosixPath(member).parts
        if member.startswith("/") or ".." in parts or "\\" in member:
            raise ValueError(f"zip member {member!r} would be written outside {target}")
        if member not in present:
            raise ValueError(f"zip has no {member!r}; is it a MovieLens 100K archive?")
    for member in members:
        with (
            bundle.open(member) as source,
            (target / PurePosixPath(member).name).open("wb") as sink,
        ):
            shutil.copyfileobj(source, sink, CHUNK)


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(
            chunk.count(b"\n") for chunk in iter(lambda: handle.read(CHUNK), b"")
        )


def _remove_stale_staging(destination: Path) -> None:
    for stale in destination.parent.glob(f".{destination.name}.partial-*"):
        logger.info("fetch_movielens: removing %s left by an interrupted fetch", stale)
        shutil.rmtree(stale)
