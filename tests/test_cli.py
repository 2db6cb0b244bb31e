"""The movielens-hail command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from movielens_hail.cli import main


def test_synth_writes_the_requested_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "synthetic"

    status = main(
        ["synth", "--users", "5", "--movies", "8", "--ratings", "20", "--out", str(out)]
    )

    assert status == 0
    assert len((out / "u.data").read_text().splitlines()) == 20
    assert len((out / "u.user").read_text().splitlines()) == 5
    assert len((out / "u.item").read_bytes().splitlines()) == 8
    assert f"wrote 20 ratings, 5 users and 8 movies to {out}" in capsys.readouterr().out


def test_synth_refuses_impossible_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "synth",
            "--users",
            "2",
            "--movies",
            "2",
            "--ratings",
            "5",
            "--out",
            str(tmp_path),
        ]
    )

    assert status == 2
    assert "movielens-hail synth: ratings (5) exceed users * movies (4)" in (
        capsys.readouterr().err
    )
    assert list(tmp_path.iterdir()) == []


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([])

    assert caught.value.code == 2
    assert "synth" in capsys.readouterr().err
