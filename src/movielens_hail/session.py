"""Start Hail the same way in every workflow script.

Each Hail rule runs in its own process, so each starts its own JVM: on the rule's
threads in local mode unless the config names a Spark master, quietly, logging to
the rule's log file and keeping temporary files under ``results/``. Scripts leave
the session running when they finish: the process ends right after, and an
explicit shutdown would only add seconds to every rule.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

JAVA_HELP = (
    "Hail needs a Java runtime (Java 11 or 17) and none was found: no `java` on "
    "PATH and JAVA_HOME is not set. Install one, e.g. "
    "`apt-get install openjdk-17-jre-headless` on Debian or Ubuntu, "
    "`brew install openjdk@17` on macOS, or `conda install -c conda-forge "
    "openjdk=17`, then rerun."
)


class JavaNotFoundError(RuntimeError):
    """No Java runtime for Hail's JVM."""


def find_java(environ: Mapping[str, str] | None = None) -> Path:
    """Locate the ``java`` executable the way Spark does: JAVA_HOME, then PATH.

    :raises JavaNotFoundError: with installation advice when there is none.
    """
    environ = os.environ if environ is None else environ
    java_home = environ.get("JAVA_HOME")
    if java_home:
        java = Path(java_home) / "bin" / "java"
        if java.is_file():
            return java
        raise JavaNotFoundError(
            f"JAVA_HOME is {java_home!r} but {java} does not exist. "
            "Point JAVA_HOME at a Java 11 or 17 installation, or unset it."
        )
    found = shutil.which("java", path=environ.get("PATH", ""))
    if found is None:
        raise JavaNotFoundError(JAVA_HELP)
    return Path(found)


def init_options(
    *,
    threads: int,
    log: Path,
    tmp_dir: Path,
    spark_master: str = "",
    spark_conf: Mapping[str, str] | None = None,
    jvm_options: str = "",
) -> dict[str, Any]:
    """Arguments for ``hl.init`` from a rule's threads, log and the hail config.

    With a Spark master, the rule's process is the Spark driver and only the
    executors run on the cluster. The paths Hail is given are absolute (see
    :func:`hail_path`), so on a cluster of several machines the working directory
    must be on a file system that every node mounts at the same path.

    :param threads: the rule's threads; used as ``local[threads]``.
    :param log: the rule's log file; Hail appends its own log to it.
    :param tmp_dir: where Hail and Spark keep temporary files; given to Hail as
        a ``file://`` URI (see :func:`hail_path`).
    :param spark_master: a Spark master URL (``spark://...``, ``yarn``); empty runs
        Spark in local mode.
    :param spark_conf: extra Spark settings, e.g. ``spark.driver.memory``.
    :param jvm_options: options of the driver's JVM, put before any
        ``spark.driver.extraJavaOptions`` of ``spark_conf``. In local mode the
        driver is the only JVM, and all of Hail's work runs in it.
    """
    spark_conf = dict(spark_conf or {})
    driver_options = " ".join(
        filter(None, [jvm_options, spark_conf.get("spark.driver.extraJavaOptions")])
    )
    if driver_options:
        spark_conf["spark.driver.extraJavaOptions"] = driver_options
    options: dict[str, Any] = {
        "app_name": "movielens-hail",
        "log": str(log),
        "append": True,
        "quiet": True,
        "tmp_dir": hail_path(tmp_dir),
        "local_tmpdir": str(tmp_dir.absolute()),
        "spark_conf": {"spark.ui.enabled": "false", **spark_conf},
    }
    if spark_master:
        options["master"] = spark_master
    else:
        options["local"] = f"local[{max(1, threads)}]"
    return options


def hail_path(path: Path) -> str:
    """``path`` as Hail is given it: a ``file://`` URI of its absolute path.

    On a cluster, Hail's executors run in folders of their own (the worker's or
    the YARN container's), where a relative path would name another file, and
    Hadoop reads a path without a scheme from its default file system, usually
    HDFS on YARN clusters. A ``file://`` URI of an absolute path names the same
    local file from the driver and from every executor. On several machines that
    holds only if the working directory is on a file system that every node
    mounts at the same path.
    """
    return f"file://{path.absolute()}"


def start_hail(
    *,
    threads: int,
    log: Path,
    tmp_dir: Path,
    spark_master: str = "",
    spark_conf: Mapping[str, str] | None = None,
    jvm_options: str = "",
) -> None:
    """Start Hail for one workflow script (see :func:`init_options`)."""
    find_java()
    tmp_dir.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)

    import hail as hl

    options = init_options(
        threads=threads,
        log=log,
        tmp_dir=tmp_dir,
        spark_master=spark_master,
        spark_conf=spark_conf,
        jvm_options=jvm_options,
    )
    hl.init(**options)
    logger.info(
        "hail %s started on %s",
        hl.version(),
        options.get("master") or options["local"],
    )


def engine_versions() -> dict[str, str]:
    """The versions of Hail, Spark and Java in the running session, for provenance.

    Read from the JVM that Hail started, so they name what actually computed the
    results rather than what happens to be installed where the report is made.
    """
    import hail as hl

    context = hl.spark_context()
    java = context._jvm.java.lang.System.getProperty("java.version")
    return {"hail": hl.version(), "spark": context.version, "java": str(java)}
