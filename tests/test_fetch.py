"""Fetching: the source order, atomic results, safe extraction and provenance.

The network sources are replaced by fakes that write the micro data set (or
fail); the local source is the real one.
"""

from __future__ import annotations

import contextlib
import io
import json
import urllib.request
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from microdata import write_grouplens

from movielens_hail import fetch
from movielens_hail.fetch import FetchError, extract_members, fetch_movielens, sha256

SETTINGS = {
    "source": "auto",
    "local_dir": "",
    "grouplens_url": "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
    "recbole_version": "1.2.1",
    "timeout_seconds": 1,
}


def unreachable(settings: Mapping[str, Any], staging: Path) -> dict[str, Any]:
    raise OSError("Name or service not known")


def serves_micro_data(settings: Mapping[str, Any], staging: Path) -> dict[str, Any]:
    write_grouplens(staging)
    return {"url": "fake"}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which fetchers run, in order; network ones fail unless replaced."""
    order: list[str] = []

    def recording(name: str, fetcher: Any) -> Any:
        def wrapped(settings: Mapping[str, Any], staging: Path) -> dict[str, Any]:
            order.append(name)
            result: dict[str, Any] = fetcher(settings, staging)
            return result

        return wrapped

    for name in ("grouplens", "pypi"):
        monkeypatch.setitem(fetch.FETCHERS, name, recording(name, unreachable))
    monkeypatch.setitem(fetch.FETCHERS, "local", recording("local", fetch.from_local))
    # The fakes serve 5 ratings, not 100,000: accept any row count here.
    monkeypatch.setattr(fetch, "EXPECTED_ROWS", {"ratings": 5, "movies": 4, "users": 3})
    return order


def test_auto_tries_grouplens_then_pypi(
    calls: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(
        fetch.FETCHERS,
        "pypi",
        lambda settings, staging: serves_micro_data(settings, staging),
    )
    destination = tmp_path / "ml-100k"

    provenance = fetch_movielens(SETTINGS, destination)

    assert calls == ["grouplens"]
    assert provenance["source"] == "pypi"
    assert provenance["failed_attempts"] == [
        {"source": "grouplens", "error": "Name or service not known"}
    ]
    assert json.loads((destination / "source.json").read_text()) == provenance
    assert provenance["files"]["u.data"] == {
        "sha256": sha256(destination / "u.data"),
        "bytes": (destination / "u.data").stat().st_size,
        "rows": 5,
    }


def test_every_failure_is_reported_and_nothing_is_left(
    calls: list[str], tmp_path: Path
) -> None:
    destination = tmp_path / "ml-100k"

    with pytest.raises(FetchError) as caught:
        fetch_movielens(SETTINGS, destination)

    assert calls == ["grouplens", "pypi"]
    assert "grouplens: Name or service not known" in str(caught.value)
    assert "pypi: Name or service not known" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_fetch_that_fails_midway_leaves_nothing(
    calls: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def half_written(settings: Mapping[str, Any], staging: Path) -> dict[str, Any]:
        write_grouplens(staging)
        with (staging / "u.data").open("ab") as ratings:
            ratings.write(b"3\t2\t4\t8812")  # a sixth line, cut off
        return {"url": "fake"}

    monkeypatch.setitem(fetch.FETCHERS, "grouplens", half_written)

    with pytest.raises(FetchError, match="file ends mid-line"):
        fetch_movielens({**SETTINGS, "source": "grouplens"}, tmp_path / "ml-100k")

    assert list(tmp_path.iterdir()) == []


def test_download_with_the_wrong_row_count_is_refused(
    calls: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(fetch.FETCHERS, "grouplens", serves_micro_data)
    monkeypatch.setattr(
        fetch, "EXPECTED_ROWS", {"ratings": 100_000, "movies": 4, "users": 3}
    )

    with pytest.raises(
        FetchError, match=r"u\.data has 5 rows; MovieLens 100K has 100000"
    ):
        fetch_movielens({**SETTINGS, "source": "grouplens"}, tmp_path / "ml-100k")


def test_local_source_copies_the_files(
    calls: list[str], grouplens_dir: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "fetched"
    settings = {**SETTINGS, "source": "local", "local_dir": str(grouplens_dir)}

    provenance = fetch_movielens(settings, destination)

    assert calls == ["local"]
    assert provenance["layout"] == "grouplens"
    assert provenance["origin"] == {"path": str(grouplens_dir.resolve())}
    assert sorted(path.name for path in destination.iterdir()) == [
        "source.json",
        "u.data",
        "u.item",
        "u.user",
    ]
    assert (destination / "u.item").read_bytes() == (
        grouplens_dir / "u.item"
    ).read_bytes()
    assert {name: entry["rows"] for name, entry in provenance["files"].items()} == {
        "u.data": 5,
        "u.item": 4,
        "u.user": 3,
    }


def test_local_source_without_a_folder_is_named(
    calls: list[str], tmp_path: Path
) -> None:
    settings = {**SETTINGS, "source": "local", "local_dir": str(tmp_path / "nowhere")}

    with pytest.raises(
        FetchError, match=r"local: dataset.local_dir '.*nowhere' is not"
    ):
        fetch_movielens(settings, tmp_path / "ml-100k")


def test_stale_staging_from_an_interrupted_fetch_is_removed(
    calls: list[str], grouplens_dir: Path, tmp_path: Path
) -> None:
    stale = tmp_path / ".ml-100k.partial-abc123"
    write_grouplens(stale)
    settings = {**SETTINGS, "source": "local", "local_dir": str(grouplens_dir)}

    fetch_movielens(settings, tmp_path / "ml-100k")

    assert not stale.exists()


def test_zip_members_cannot_escape_the_target(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../escaped.txt", "x")
        bundle.writestr("/etc/owned", "x")

    with zipfile.ZipFile(archive) as bundle:
        for member in ("../escaped.txt", "/etc/owned"):
            with pytest.raises(ValueError, match="outside"):
                extract_members(bundle, [member], tmp_path / "out")

    assert not (tmp_path / "escaped.txt").exists()


def test_zip_without_the_data_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("ml-100k/u.data", "1\t1\t5\t1\n")

    with (
        zipfile.ZipFile(archive) as bundle,
        pytest.raises(ValueError, match=r"u\.item"),
    ):
        extract_members(bundle, fetch.GROUPLENS_MEMBERS, tmp_path)

    assert not (tmp_path / "u.data").exists()


def test_grouplens_refuses_plain_http(tmp_path: Path) -> None:
    settings = {**SETTINGS, "grouplens_url": "http://example.org/ml-100k.zip"}

    with pytest.raises(ValueError, match="only https"):
        fetch.from_grouplens(settings, tmp_path)


@pytest.mark.parametrize("kept", [0.5, 0.0])
def test_a_truncated_zip_download_is_refused_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kept: float
) -> None:
    folder = write_grouplens(tmp_path / "source")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        for name in ("u.data", "u.item", "u.user"):
            bundle.write(folder / name, f"ml-100k/{name}")
    payload = archive.getvalue()[: int(len(archive.getvalue()) * kept)]
    monkeypatch.setattr(
        urllib.request,
        "urlopen",
        lambda url, timeout: contextlib.nullcontext(io.BytesIO(payload)),
    )
    destination = tmp_path / "resources" / "ml-100k"

    with pytest.raises(FetchError, match=r"grouplens: File is not a zip file"):
        fetch_movielens({**SETTINGS, "source": "grouplens"}, destination)

    assert list(destination.parent.iterdir()) == []
