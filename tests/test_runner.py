"""What every workflow script gets from movielens_hail.runner.rule_log.

``rule_log`` redirects the process's own stdout and stderr, so each case runs
in a child Python, as a workflow script would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
from movielens_hail import runner

with runner.rule_log(Path("logs/demo.log"), "demo"):
    scratch = runner.scratch_dir("demo")
    (scratch / "checkpoint.ht").mkdir(parents=True)
    (scratch / "checkpoint.ht" / "part-0").write_bytes(b"x" * 1000)
    (scratch / "staged.tsv").write_bytes(b"y" * 500)
    print("the rule ran")
    if sys.argv[1] == "fail":
        raise ValueError("u.data, line 3: rating 7 is outside 1-5")
"""


def run_rule(folder: Path, outcome: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, outcome],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_rule_that_succeeds_removes_its_scratch_and_logs_it(
    tmp_path: Path,
) -> None:
    run = run_rule(tmp_path, "succeed")

    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "results/.hail-tmp/demo").exists()
    log = (tmp_path / "logs/demo.log").read_text()
    assert "the rule ran" in log
    assert "demo: removed 2 scratch files (0.0 MB) from results/.hail-tmp/demo" in log
    assert run.stdout == ""


def test_a_rule_that_fails_removes_its_scratch_and_says_why(tmp_path: Path) -> None:
    run = run_rule(tmp_path, "fail")

    assert run.returncode == 1
    assert not (tmp_path / "results/.hail-tmp/demo").exists()
    assert run.stderr.startswith(
        "demo failed: u.data, line 3: rating 7 is outside 1-5\n"
        "(full log: logs/demo.log)\n"
    )
    log = (tmp_path / "logs/demo.log").read_text()
    assert "demo failed" in log
    assert "Traceback" in log
    assert "removed 2 scratch files" in log


def test_another_rules_scratch_is_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "results/.hail-tmp/geography/checkpoint.ht"
    other.mkdir(parents=True)

    run = run_rule(tmp_path, "succeed")

    assert run.returncode == 0, run.stderr
    assert other.is_dir()
