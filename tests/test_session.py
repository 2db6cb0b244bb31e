"""The Hail session helper: Java discovery and the arguments given to hl.init."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from movielens_hail.session import (
    JavaNotFoundError,
    find_java,
    hail_path,
    init_options,
)


def test_java_from_java_home(tmp_path: Path) -> None:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\n")

    assert find_java({"JAVA_HOME": str(tmp_path), "PATH": ""}) == java


def test_java_from_path(tmp_path: Path) -> None:
    java = tmp_path / "java"
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)

    assert find_java({"PATH": str(tmp_path)}) == java


def test_missing_java_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(JavaNotFoundError, match="apt-get install openjdk-17"):
        find_java({"PATH": str(tmp_path)})


def test_broken_java_home_is_named(tmp_path: Path) -> None:
    with pytest.raises(JavaNotFoundError, match=f"JAVA_HOME is '{tmp_path}'"):
        find_java({"JAVA_HOME": str(tmp_path), "PATH": ""})


def test_local_mode_uses_the_rule_threads(tmp_path: Path) -> None:
    options = init_options(threads=3, log=tmp_path / "x.log", tmp_dir=tmp_path)

    assert options["local"] == "local[3]"
    assert "master" not in options
    assert options["log"] == str(tmp_path / "x.log")
    assert options["quiet"] is True
    assert options["tmp_dir"] == f"file://{tmp_path}"
    assert options["local_tmpdir"] == str(tmp_path)


def test_spark_master_and_settings_pass_through(tmp_path: Path) -> None:
    options = init_options(
        threads=2,
        log=tmp_path / "x.log",
        tmp_dir=tmp_path,
        spark_master="spark://127.0.0.1:7077",
        spark_conf={"spark.driver.memory": "8g"},
    )

    assert options["master"] == "spark://127.0.0.1:7077"
    assert "local" not in options
    assert options["spark_conf"]["spark.driver.memory"] == "8g"


def test_jvm_options_come_before_the_drivers_own(tmp_path: Path) -> None:
    options = init_options(
        threads=1,
        log=tmp_path / "x.log",
        tmp_dir=tmp_path,
        spark_conf={"spark.driver.extraJavaOptions": "-Dx=1"},
        jvm_options="-XX:TieredStopAtLevel=1",
    )
    alone = init_options(
        threads=1, log=tmp_path / "x.log", tmp_dir=tmp_path, jvm_options="-Xss4m"
    )
    none = init_options(threads=1, log=tmp_path / "x.log", tmp_dir=tmp_path)

    conf = options["spark_conf"]
    assert conf["spark.driver.extraJavaOptions"] == "-XX:TieredStopAtLevel=1 -Dx=1"
    assert alone["spark_conf"]["spark.driver.extraJavaOptions"] == "-Xss4m"
    assert "spark.driver.extraJavaOptions" not in none["spark_conf"]


def test_hail_gets_absolute_file_uris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert hail_path(Path("results/hail/ratings.ht")) == (
        f"file://{tmp_path}/results/hail/ratings.ht"
    )
    assert hail_path(tmp_path / "my results") == f"file://{tmp_path}/my results"


def test_a_relative_tmp_dir_reaches_hail_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    options = init_options(
        threads=1,
        log=Path("x.log"),
        tmp_dir=Path("results/.hail-tmp"),
        spark_master="spark://127.0.0.1:7077",
    )

    assert options["tmp_dir"] == f"file://{tmp_path}/results/.hail-tmp"
    assert options["local_tmpdir"] == f"{tmp_path}/results/.hail-tmp"


def test_a_table_path_with_a_space_round_trips(hail: Any, tmp_path: Path) -> None:
    from movielens_hail.runner import read_table, write_table

    path = tmp_path / "my results" / "ratings.ht"
    path.parent.mkdir()
    write_table(hail.utils.range_table(3), path)

    assert (path / "metadata.json.gz").exists()
    assert read_table(path).count() == 3


def test_engine_versions_name_the_running_jvm(hail: object) -> None:
    from movielens_hail.session import engine_versions

    found = engine_versions()

    assert found["hail"].startswith("0.2.")
    assert found["spark"].startswith("3.")
    assert found["java"].split(".")[0] in {"11", "17", "21"}
