"""Config validation: defaults, and errors that name the key and the allowed values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from movielens_hail.config import ConfigError, load_schema, validate_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema(ROOT / "workflow/schemas/config.schema.yaml")


def test_empty_config_gets_every_default(schema: dict[str, Any]) -> None:
    config = validate_config({}, schema)

    assert config["dataset"]["source"] == "auto"
    assert config["ingest"]["mode"] == "strict"
    assert config["stats"]["prior_weight"] == 10
    assert config["hail"] == {
        "threads": 1,
        "spark_master": "",
        "spark_conf": {},
        "jvm_options": "-XX:TieredStopAtLevel=1",
    }


def test_shipped_config_states_the_defaults(schema: dict[str, Any]) -> None:
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text())

    assert validate_config(shipped, schema) == validate_config({}, schema)


def test_partial_section_keeps_given_values(schema: dict[str, Any]) -> None:
    config = validate_config({"dataset": {"source": "pypi"}}, schema)

    assert config["dataset"]["source"] == "pypi"
    assert config["dataset"]["recbole_version"] == "1.2.1"


def test_input_is_not_modified(schema: dict[str, Any]) -> None:
    given: dict[str, Any] = {"dataset": {}}
    validate_config(given, schema)

    assert given == {"dataset": {}}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"datset": {}},
            "(top level): unknown key(s) 'datset'; allowed keys: "
            "collaborative_filtering, dataset, demographics",
        ),
        (
            {"dataset": {"sorce": "local"}},
            "dataset: unknown key(s) 'sorce'; allowed keys: grouplens_url, local_dir",
        ),
        (
            {"dataset": {"source": "s3"}},
            "dataset.source: 's3' is not one of 'auto', 'grouplens', 'pypi', 'local'",
        ),
        ({"ingest": {"mode": "loose"}}, "ingest.mode: 'loose' is not one of"),
        ({"hail": {"threads": 0}}, "hail.threads: 0 is less than the minimum of 1"),
        ({"hail": {"threads": "two"}}, "hail.threads: 'two' is not of type 'integer'"),
        ({"stats": {"prior_weight": -1}}, "stats.prior_weight: -1 is less than"),
        (
            {"dataset": {"grouplens_url": "http://example.org/ml.zip"}},
            "dataset.grouplens_url: 'http://example.org/ml.zip' does not match",
        ),
    ],
)
def test_bad_values_are_named(
    schema: dict[str, Any], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config(config, schema, source="my.yaml")

    assert str(caught.value).startswith("my.yaml has 1 problem(s):")
    assert message in str(caught.value)


def test_every_problem_is_listed(schema: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"has 2 problem\(s\)"):
        validate_config({"ingest": {"mode": "x"}, "hail": {"threads": 0}}, schema)


def test_every_key_is_described(schema: dict[str, Any]) -> None:
    def walk(node: dict[str, Any], path: str) -> list[str]:
        missing = [] if "description" in node else [path]
        for key, child in node.get("properties", {}).items():
            missing += walk(child, f"{path}.{key}")
        return missing

    assert walk(schema, "config") == []
