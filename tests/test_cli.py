"""The movielens-hail command line: ``synth``, and ``query`` on the micro data
set of microdata.py, whose answers test_query.py works out by hand."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from microdata import write_grouplens

from movielens_hail.cli import main
from movielens_hail.query import Criteria
from movielens_hail.readers import GENRES


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


@pytest.fixture(scope="module")
def micro_tables(hail: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The micro data set (see microdata.py) as Hail tables."""
    from movielens_hail import ingest
    from movielens_hail.readers import read_movielens

    folder = tmp_path_factory.mktemp("cli_query")
    raw = write_grouplens(folder / "raw")
    for name, table in ingest.to_hail(read_movielens(raw), folder / "staging").items():
        table.write(str(folder / "hail" / f"{name}.ht"))
    return folder / "hail"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``movielens-hail query`` with ``args``; the status, stdout and stderr."""
    status = main(["query", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def api_result(tables: Path, criteria: Criteria, prior_weight: float = 10) -> Any:
    from movielens_hail import query

    return query.run_query(query.load_tables(tables), criteria, prior_weight)


def test_query_tsv_equals_the_api(
    micro_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from movielens_hail import query

    status, out, err = run_cli(
        capsys, "--tables", str(micro_tables), "--genre", "Comedy", "--format", "tsv"
    )

    assert (status, err) == (0, "")
    printed = pd.read_csv(io.StringIO(out), sep="\t", keep_default_na=False)
    expected = query.output_frame(
        api_result(micro_tables, Criteria(genres_any=("Comedy",)))
    )
    assert list(printed.columns) == query.RESULT_COLUMNS
    pd.testing.assert_frame_equal(printed, expected, check_dtype=False)
    # Toy Story: (12 + 32) / 13; Café: (1 + 32) / 11.
    assert out.splitlines()[1].split("\t")[-2:] == ["4.0", "3.3846"]


def test_query_json_equals_the_api(
    micro_tables: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from movielens_hail import query

    config = tmp_path / "config.yaml"
    config.write_text("stats:\n  prior_weight: 0\n")

    status, out, _ = run_cli(
        capsys,
        "--tables",
        str(micro_tables),
        "--sex",
        "m",
        "--age",
        "-30",
        "--rating",
        "3-5",
        "--sort",
        "damped_mean",
        "--configfile",
        str(config),
        "--format",
        "json",
    )

    criteria = Criteria(sex="M", age_max=30, rating_min=3, sort="damped_mean")
    assert status == 0
    rows = json.loads(out)
    assert rows == query.result_records(api_result(micro_tables, criteria, 0))
    # With no pseudo-ratings the damped mean is the mean.
    assert [(row["movie_id"], row["damped_mean"]) for row in rows] == [
        (1, 4.0),
        (2, 3.0),
    ]


def test_query_table_is_aligned(
    micro_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_cli(capsys, "--tables", str(micro_tables))

    lines = out.splitlines()
    assert status == 0
    assert len(lines) == 4
    assert len({len(line) for line in lines}) == 1
    header = lines[0].split()
    assert header == [
        "rank",
        "movie_id",
        "title",
        "release_year",
        "genres",
        "n_ratings",
        "mean_rating",
        "damped_mean",
    ]
    title_at = lines[0].index("title")
    year_at = lines[0].index("release_year")
    assert [line[title_at:year_at].rstrip() for line in lines[1:]] == [
        "Toy Story (1995)",
        "Usual Suspects, The (1995)",
        "Café au lait (1993)",
    ]
    assert lines[1].endswith("4.0000       3.3846")


def test_query_with_no_match_succeeds(
    micro_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, "--tables", str(micro_tables), "--year", "2000-")

    assert (status, err) == (0, "")
    assert out.splitlines()[1:] == ["(no movie matches these criteria)"]


def test_query_names_unknown_values_from_the_data(
    micro_tables: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(
        capsys,
        "--tables",
        str(micro_tables),
        "--occupation",
        "astronaut",
        "--state",
        "ZZ",
    )

    assert (status, out) == (2, "")
    assert err.splitlines() == [
        "movielens-hail query: occupations: unknown 'astronaut'; the occupations "
        "in the data are other, technician, writer",
        "movielens-hail query: states: unknown 'ZZ'; the states in the data are AZ, MA",
    ]


def test_query_rejects_bad_criteria_before_reading_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(
        capsys,
        "--tables",
        str(tmp_path),
        "--sex",
        "X",
        "--age",
        "40-30",
        "--all-genres",
        "Comdy",
        "--min-count",
        "0",
    )

    assert (status, out) == (2, "")
    assert err.splitlines() == [
        "movielens-hail query: genres_all: unknown 'Comdy'; the genres are "
        + ", ".join(GENRES),
        "movielens-hail query: sex: 'X' is not one of F, M",
        "movielens-hail query: age range 40-30 is empty: age_min must not exceed "
        "age_max",
        "movielens-hail query: min_count: 0 is below 1; a movie needs at least 1 "
        "matching rating",
    ]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--age", "young", "argument --age: 'young' is not a range of ages"),
        ("--year", "1990-19x0", "argument --year: '1990-19x0' is not a range"),
        ("--rating", "-", "argument --rating: '-' is not a range of stars"),
        ("--sort", "best", "argument --sort: invalid choice: 'best'"),
        ("--format", "csv", "argument --format: invalid choice: 'csv'"),
        ("--limit", "ten", "argument --limit: invalid int value: 'ten'"),
    ],
)
def test_query_rejects_bad_arguments(
    capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["query", option, value])

    assert caught.value.code == 2
    assert f"movielens-hail query: error: {message}" in capsys.readouterr().err


def test_query_without_tables_says_how_to_make_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run_cli(capsys, "--tables", str(tmp_path / "hail"))

    assert (status, out) == (1, "")
    assert err == (
        f"movielens-hail query: {tmp_path / 'hail'} does not hold the Hail tables "
        "movies.ht, ratings.ht, users.ht; run `snakemake --cores 2` first to make "
        "them, or name the folder that holds them\n"
    )


def test_query_prior_weight_must_be_a_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("stats:\n  prior_weight: many\n")

    status, _, err = run_cli(capsys, "--configfile", str(config))

    assert status == 2
    assert err == (
        f"movielens-hail query: stats.prior_weight in {config} is 'many'; it must "
        "be a number of at least 0\n"
    )


def test_query_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["query", "--help"])

    assert caught.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for option in (
        "--genre GENRE",
        "--all-genres GENRE",
        "--sex SEX",
        "--age A-B",
        "--occupation NAME",
        "--state XX",
        "--zip-prefix DIGITS",
        "--year A-B",
        "--title TITLE",
        "--rating A-B",
        "--min-count N",
        "--min-mean STARS",
        "--sort {mean,count,damped_mean}",
        "--limit N",
        "--prior-weight W",
        "--tables DIR",
        "--configfile FILE",
        "--format {table,tsv,json}",
    ):
        assert f"{option} " in text, option
    assert "at least one of these genres" in text
    assert "every one of these genres" in text
    assert "Exit status: 0 on success" in text
