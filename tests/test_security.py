"""No shell ever sees a string from the config or the data.

The workflow starts programs in two places (git for the report's provenance,
pip for the PyPI copy of the data), both with argument lists. These tests read
the code itself, so a later ``shell=True``, ``os.system`` or Snakemake
``shell:`` directive fails here before it can run a crafted config value.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from movielens_hail.config import ConfigError, load_schema, validate_config

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "workflow").rglob("*.py")])
SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output"}


def subprocess_calls(tree: ast.AST) -> list[ast.Call]:
    """Every ``subprocess.<call>(...)`` in a module."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "subprocess"
        and node.func.attr in SUBPROCESS_CALLS
    ]


@pytest.mark.parametrize("path", PYTHON, ids=lambda path: path.name)
def test_programs_start_from_argument_lists_without_a_shell(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))

    for call in subprocess_calls(tree):
        assert not isinstance(call.args[0], ast.Constant | ast.JoinedStr), path
        for keyword in call.keywords:
            assert keyword.arg != "shell", f"{path}:{call.lineno} passes shell="
    names = {
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    }
    assert not names & {"os.system", "os.popen"}, path


def test_the_check_finds_the_programs_the_workflow_starts() -> None:
    found = {
        str(path.relative_to(ROOT)): len(subprocess_calls(ast.parse(path.read_text())))
        for path in PYTHON
    }

    assert found["src/movielens_hail/report.py"] == 2  # git rev-parse, status
    assert found["src/movielens_hail/fetch.py"] == 1  # pip download
    assert found["src/movielens_hail/spark_cluster.py"] == 1  # spark-class


def test_no_rule_runs_a_shell_command() -> None:
    rules = [ROOT / "Snakefile", *sorted((ROOT / "workflow/rules").glob("*.smk"))]
    for path in rules:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s+(shell|run):", text, flags=re.MULTILINE), path


@pytest.mark.parametrize(
    "version", ["1.2.1 --index-url https://example.org", "1.2.1; rm -rf /", "latest"]
)
def test_the_package_version_fetched_must_be_a_version(version: str) -> None:
    schema = load_schema(ROOT / "workflow/schemas/config.schema.yaml")
    config: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["dataset"]["recbole_version"] = version

    with pytest.raises(ConfigError, match=r"dataset\.recbole_version"):
        validate_config(config, schema)
