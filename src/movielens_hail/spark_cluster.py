"""A Spark standalone cluster on this machine, and a check that two runs agree.

:func:`standalone_cluster` starts a master and one worker from the Spark that
pyspark ships, bound to 127.0.0.1, and stops both when the block ends. Every Hail
rule pointed at it (``hail.spark_master`` in config.yaml) is a Spark application
whose executors run in the worker's processes, not in the rule's own JVM: the
same code path as a cluster of many machines, on one.

:func:`compare_results` says where the ``results/`` folders of two workflow runs
differ, so a run on a cluster can be held against a run in local mode.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
HOST = "127.0.0.1"
STOP_TIMEOUT = 30.0

# Numbers agree when within RTOL of each other; ATOL lets a sum that cancels to
# 0.0 in one run and to 1e-17 in the other, adding in another order, agree too.
RTOL = 1e-9
ATOL = 1e-12
# Folders of results/ that hold no analysis output: tables and Hail's scratch.
SKIPPED_FOLDERS = frozenset({"hail", ".hail-tmp", "logs", "benchmarks"})
# Keys of summary.json that describe the run, not the result.
PROVENANCE_KEYS = frozenset({"environment"})
MAX_CELLS_SHOWN = 5
# What movielens_hail.session logs once Hail is up, in every Hail rule's log.
HAIL_STARTED = re.compile(r"movielens_hail\.session: hail \S+ started on (\S+)")


class ClusterStartError(RuntimeError):
    """The standalone master or worker did not come up."""


def spark_home() -> Path:
    """The Spark inside the pyspark package: the version the driver runs.

    A ``SPARK_HOME`` in the environment is ignored: the daemons must run the
    same Spark version as the driver.
    """
    import pyspark

    return Path(pyspark.__file__).parent


@contextmanager
def standalone_cluster(
    work_dir: Path,
    *,
    cores: int = 2,
    memory: str = "4g",
    timeout: float = 120.0,
) -> Iterator[str]:
    """Run a Spark standalone master and one worker for the block; yield its URL.

    Both daemons bind to 127.0.0.1 on free ports and log to ``master.log`` and
    ``worker.log`` in ``work_dir``; executors run under ``work_dir / "worker"``.
    The block starts once the master counts one live worker, and whatever way it
    ends, both daemons are stopped.

    :param work_dir: a folder for the daemons' logs and the executors' files.
    :param cores: cores the worker offers to applications.
    :param memory: memory the worker offers to applications, e.g. ``"4g"``.
    :param timeout: seconds to wait for the worker to register.
    :return: the master URL, ``spark://127.0.0.1:<port>``.
    :raises ClusterStartError: when a daemon exits or the worker has not
        registered within ``timeout``; the message names the log to read.
    """
    work_dir = work_dir.resolve()
    (work_dir / "worker").mkdir(parents=True, exist_ok=True)
    port, master_ui, worker_ui = free_ports(3)
    master_url = f"spark://{HOST}:{port}"

    master_command = [MASTER_CLASS, "--host", HOST, "--port", str(port)]
    master_command += ["--webui-port", str(master_ui)]
    worker_command = [WORKER_CLASS, master_url, "--host", HOST]
    worker_command += ["--cores", str(cores), "--memory", memory]
    worker_command += ["--webui-port", str(worker_ui)]
    worker_command += ["--work-dir", str(work_dir / "worker")]

    with ExitStack() as daemons:
        master = daemons.enter_context(
            spark_daemon(master_command, work_dir / "master.log")
        )
        worker = daemons.enter_context(
            spark_daemon(worker_command, work_dir / "worker.log")
        )
        wait_for_worker(
            f"http://{HOST}:{master_ui}/json/",
            {work_dir / "master.log": master, work_dir / "worker.log": worker},
            timeout,
        )
        logger.info(
            "spark_cluster: master %s with one worker (%d cores, %s)",
            master_url,
            cores,
            memory,
        )
        yield master_url


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that nothing listens on now.

    Another program may take one before the daemons do; the cluster then fails
    to start with the port named in its log.
    """
    with ExitStack() as sockets:
        ports = []
        for _ in range(count):
            probe = sockets.enter_context(socket.socket())
            probe.bind((HOST, 0))
            ports.append(int(probe.getsockname()[1]))
        return ports


@contextmanager
def spark_daemon(
    arguments: Sequence[str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``spark-class`` with ``arguments`` for the block, output to ``log``.

    The daemon gets a session of its own, so a Ctrl-C in the terminal reaches
    this process, which then stops it, rather than the daemon directly.
    """
    home = spark_home()
    environ = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": HOST}
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(home / "bin" / "spark-class"), *arguments],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environ,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """Ask ``process`` to end, wait up to ``timeout`` seconds, then kill it."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        logger.warning("spark_cluster: pid %d ignored SIGTERM; killing", process.pid)
        process.kill()
        process.wait()


def wait_for_worker(
    status_url: str,
    daemons: dict[Path, subprocess.Popen[bytes]],
    timeout: float,
) -> None:
    """Poll the master's JSON status until it counts a live worker.

    :param daemons: each daemon by its log file, to name the log of one that
        exits before the worker registers.
    :raises ClusterStartError: when a daemon exits or ``timeout`` passes.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for log, process in daemons.items():
            if process.poll() is not None:
                raise ClusterStartError(
                    f"spark-class exited with status {process.returncode} before "
                    f"the cluster was up; see {log}"
                )
        if alive_workers(status_url) >= 1:
            return
        time.sleep(0.5)
    logs = " and ".join(str(log) for log in daemons)
    raise ClusterStartError(
        f"no Spark worker registered with the master within {timeout:.0f} s "
        f"({status_url}); see {logs}"
    )


def alive_workers(status_url: str) -> int:
    """How many live workers the master's JSON status lists; 0 if it is not up."""
    try:
        with urllib.request.urlopen(status_url, timeout=5) as response:
            status = json.load(response)
    except (OSError, ValueError):
        return 0
    return int(status.get("aliveworkers", 0))


def hail_masters(logs: Path) -> dict[str, str]:
    """The Spark master each rule's Hail ran on, from the rule logs in ``logs``.

    :param logs: a workflow's ``logs/`` folder.
    :return: the master (``local[1]``, ``spark://...``) by rule, for every rule
        whose log says Hail started; the last start where a log has several.
    """
    masters = {}
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(encoding="utf-8", errors="replace")
        started = HAIL_STARTED.findall(text)
        if started:
            masters[log.stem] = started[-1]
    return masters


def compare_results(expected: Path, actual: Path) -> list[str]:
    """Where two workflow ``results/`` folders differ; an empty list if nowhere.

    Compared: every ``*.tsv`` and ``summary.json`` under the analysis folders,
    which hold every number the report shows. Not compared: the report, figures,
    Hail tables (``hail/``), Hail's scratch (``.hail-tmp/``), and the run's own
    provenance (the engine versions in ``ingest/summary.json``). Numbers agree
    within a relative 1e-9 (see ``RTOL``); everything else must be equal.

    :param expected: the ``results/`` folder of the reference run.
    :param actual: the ``results/`` folder of the run under test.
    :return: one sentence per difference, naming the file, and the column and
        row or the JSON key.
    :raises FileNotFoundError: when a folder does not exist.
    :raises ValueError: when ``expected`` holds no file to compare, which would
        make any two runs look equal.
    """
    for folder in (expected, actual):
        if not folder.is_dir():
            raise FileNotFoundError(f"no results folder at {folder}")
    expected_files = result_files(expected)
    if not expected_files:
        raise ValueError(
            f"{expected} holds no <analysis>/*.tsv or summary.json to compare; "
            "is it the results/ folder of a finished run?"
        )
    actual_files = result_files(actual)
    differences = [
        f"{name}: missing in {actual}" for name in sorted(expected_files - actual_files)
    ]
    differences += [
        f"{name}: only in {actual}" for name in sorted(actual_files - expected_files)
    ]
    for name in sorted(expected_files & actual_files):
        if name.endswith(".tsv"):
            differences += compare_tsv(expected / name, actual / name, name)
        else:
            differences += compare_json(
                read_summary(expected / name), read_summary(actual / name), name
            )
    return differences


def result_files(results: Path) -> set[str]:
    """The compared files under ``results``, as POSIX paths relative to it."""
    return {
        path.relative_to(results).as_posix()
        for path in results.glob("*/**/*")
        if path.is_file()
        and path.relative_to(results).parts[0] not in SKIPPED_FOLDERS
        and (path.suffix == ".tsv" or path.name == "summary.json")
    }


def compare_tsv(expected: Path, actual: Path, name: str) -> list[str]:
    """Where two TSV tables differ: columns, row count, then cell by cell; rows
    count from 1 below the header."""
    expected_table = read_tsv(expected)
    actual_table = read_tsv(actual)
    if list(expected_table.columns) != list(actual_table.columns):
        return [
            f"{name}: columns {list(expected_table.columns)} != "
            f"{list(actual_table.columns)}"
        ]
    if len(expected_table) != len(actual_table):
        return [f"{name}: {len(expected_table)} rows != {len(actual_table)}"]

    differences = []
    for column in expected_table.columns:
        rows = differing_rows(expected_table[column], actual_table[column])
        for row in rows[:MAX_CELLS_SHOWN]:
            differences.append(
                f"{name}: column {column}, row {row + 1}: "
                f"{cell(expected_table[column], row)!r} != "
                f"{cell(actual_table[column], row)!r}"
            )
        if len(rows) > MAX_CELLS_SHOWN:
            differences.append(
                f"{name}: column {column}: {len(rows) - MAX_CELLS_SHOWN} more rows "
                "differ"
            )
    return differences


def read_tsv(path: Path) -> pd.DataFrame:
    """A results TSV as written by the workflow: only an empty cell is missing."""
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""])


def cell(column: pd.Series, row: int) -> Any:
    """The value at position ``row`` as a plain Python value, to print."""
    value = column.iloc[row]
    return value.item() if isinstance(value, np.generic) else value


def differing_rows(expected: pd.Series, actual: pd.Series) -> list[int]:
    """Positions where two columns differ; numbers within tolerance agree."""
    if pd.api.types.is_numeric_dtype(expected) and pd.api.types.is_numeric_dtype(
        actual
    ):
        close = np.isclose(
            expected.to_numpy(dtype=float),
            actual.to_numpy(dtype=float),
            rtol=RTOL,
            atol=ATOL,
            equal_nan=True,
        )
        return [int(row) for row in np.flatnonzero(~close)]
    expected_text = expected.astype(str).where(expected.notna(), "")
    actual_text = actual.astype(str).where(actual.notna(), "")
    return [int(row) for row in np.flatnonzero(expected_text != actual_text)]


def read_summary(path: Path) -> dict[str, Any]:
    """A ``summary.json`` without the keys that describe the run itself."""
    summary: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {key: value for key, value in summary.items() if key not in PROVENANCE_KEYS}


def compare_json(expected: Any, actual: Any, where: str) -> list[str]:
    """Where two parsed JSON documents differ, each difference named by its path
    from ``where``, e.g. ``popularity/summary.json.best[0].mean``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        differences = [
            f"{where}: key {key!r} missing in actual"
            for key in sorted(expected.keys() - actual.keys())
        ]
        differences += [
            f"{where}: key {key!r} only in actual"
            for key in sorted(actual.keys() - expected.keys())
        ]
        for key in sorted(expected.keys() & actual.keys()):
            differences += compare_json(expected[key], actual[key], f"{where}.{key}")
        return differences
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items != {len(actual)}"]
        differences = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            differences += compare_json(left, right, f"{where}[{index}]")
        return differences
    if is_number(expected) and is_number(actual):
        if math.isclose(expected, actual, rel_tol=RTOL, abs_tol=ATOL):
            return []
    elif expected == actual and type(expected) is type(actual):
        return []
    return [f"{where}: {expected!r} != {actual!r}"]


def is_number(value: Any) -> bool:
    """An int or a float from JSON, not a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool)
