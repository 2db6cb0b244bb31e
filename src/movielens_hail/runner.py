"""What every workflow script does around its analysis: logging and outputs.

Scripts under ``workflow/scripts/`` only unpack the ``snakemake`` object and call
the library; these helpers keep that unpacking the same everywhere.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from movielens_hail.session import hail_path

if TYPE_CHECKING:
    import hail as hl

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SCRATCH = Path("results") / ".hail-tmp"
"""Temporary files of the Hail rules, one folder each (see :func:`scratch_dir`)."""


@contextmanager
def rule_log(log: Path, rule: str) -> Iterator[None]:
    """Send log records, stdout and stderr to the rule's log file for the block.

    The file descriptors themselves are redirected, so the JVM's console output
    lands in the log too. If the block raises, the traceback goes to the log and
    a one-line reason also goes to the console, before the error propagates.
    Either way the rule's scratch folder (:func:`scratch_dir`) is removed at the
    end, so Hail's checkpoints and staged files do not pile up run after run.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    console = os.dup(2)
    with log.open("a", encoding="utf-8") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        logging.basicConfig(
            level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr, force=True
        )
        try:
            yield
        except Exception as error:
            logging.getLogger(rule).exception("%s failed", rule)
            os.write(console, f"{rule} failed: {error}\n(full log: {log})\n".encode())
            raise
        finally:
            remove_scratch(scratch_dir(rule), rule)


def scratch_dir(rule: str) -> Path:
    """Where a rule's Hail and Spark keep temporary files; gone when it ends."""
    return SCRATCH / rule


def remove_scratch(folder: Path, rule: str) -> None:
    """Remove ``folder`` and say how much it held."""
    if not folder.exists():
        return
    files = [path for path in folder.rglob("*") if path.is_file()]
    size = sum(path.stat().st_size for path in files)
    shutil.rmtree(folder)
    logging.getLogger(rule).info(
        "%s: removed %d scratch files (%.1f MB) from %s",
        rule,
        len(files),
        size / 1e6,
        folder,
    )


def start_hail(rule: Any) -> None:
    """Start Hail for a rule from its threads, its log and the ``hail`` config.

    :param rule: the ``snakemake`` object of a workflow script.

    The ``hail`` settings say how a rule runs, not what it computes, so scripts
    take them from the whole config rather than from ``params``: moving to a
    cluster does not make every result out of date.
    """
    from movielens_hail.session import start_hail as start

    hail_settings = rule.config["hail"]
    start(
        threads=rule.threads,
        log=Path(rule.log[0]),
        tmp_dir=scratch_dir(rule.rule),
        spark_master=hail_settings["spark_master"],
        spark_conf=hail_settings["spark_conf"],
        jvm_options=hail_settings["jvm_options"],
    )


def read_table(path: Path) -> hl.Table:
    """Read the Hail table at ``path``, named to Hail by its absolute path (see
    :func:`movielens_hail.session.hail_path`)."""
    import hail as hl

    return hl.read_table(hail_path(path))


def write_table(ht: hl.Table, path: Path) -> None:
    """Write a Hail table beside ``path``, then rename it into place.

    A run killed while Hail writes leaves only a ``*.partial`` folder, which the
    next run overwrites; ``path`` itself only ever holds a complete table.
    """
    partial = path.with_name(path.name + ".partial")
    ht.write(hail_path(partial), overwrite=True)
    if path.exists():
        shutil.rmtree(path)
    partial.replace(path)


def write_json(data: Mapping[str, Any], path: Path) -> None:
    """Write ``data`` as indented JSON with sorted keys, the same bytes every run.

    NaN and infinities, which JSON cannot hold, are written as null.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_finite(data), indent=2, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def write_tsv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as tab-separated text with a header row; missing is empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False, na_rep="", lineterminator="\n")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
