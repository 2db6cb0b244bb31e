"""Time each stage of the two recommender rules on ingested tables.

Usage: ``python bench/recommenders.py [results/hail]``, after ``snakemake`` has
written the Hail tables. Prints one line per stage with its wall time, then the
total; the settings are the defaults of config.yaml. A benchmark, not a test:
the figures depend on the machine and on what else it is doing.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from movielens_hail.analyses import collaborative_filtering, recommendations
from movielens_hail.evaluation import RatingMatrix, Settings, evaluation_ratings
from movielens_hail.session import start_hail

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def stage(name: str, times: dict[str, float]) -> Iterator[None]:
    """Record the wall time of the block under ``name``."""
    started = time.perf_counter()
    yield
    times[name] = time.perf_counter() - started


def timed(times: dict[str, float], name: str, call: Callable[[], Any]) -> Any:
    """Run ``call`` as the stage ``name`` and return its result."""
    with stage(name, times):
        return call()


def main(tables: Path) -> None:
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    cf_settings = config["collaborative_filtering"]
    profile_settings = config["recommendations"]
    split = Settings.from_config(config["evaluation"])
    times: dict[str, float] = {}

    folder = Path(tempfile.mkdtemp(prefix="bench-recommenders-"))
    timed(
        times,
        "start Hail",
        lambda: start_hail(threads=1, log=folder / "hail.log", tmp_dir=folder),
    )
    import hail as hl

    frame = timed(
        times,
        "select and split ratings (Hail)",
        lambda: evaluation_ratings(hl.read_table(str(tables / "ratings.ht")), split),
    )
    matrix = RatingMatrix.from_frame(frame)
    movies = hl.read_table(str(tables / "movies.ht"))
    titles = timed(times, "read movies (Hail)", lambda: movies.to_pandas())

    folds = timed(
        times,
        f"cross-validation, {split.folds} folds x 6 models",
        lambda: collaborative_filtering.cross_validate(matrix, cf_settings, split),
    )
    timed(
        times,
        "CF ranking on the hold-out",
        lambda: collaborative_filtering.ranking_table(matrix, cf_settings, split),
    )
    timed(
        times,
        "CF recommendations and similar pairs",
        lambda: collaborative_filtering.recommend(matrix, cf_settings, split, titles),
    )
    flags, _ = recommendations.genre_matrix(titles, matrix.movie_ids)
    values, rated = matrix.dense(np.ones(len(matrix.ratings), dtype=bool))
    timed(
        times,
        "profile scores, all users x movies",
        lambda: recommendations.profile_scores(
            values,
            rated,
            flags,
            profile_settings["match_weight"],
            config["stats"]["prior_weight"],
        ),
    )

    users, n_movies = matrix.shape
    print(
        f"recommenders on {len(matrix.ratings)} ratings, {users} users, "
        f"{n_movies} movies"
    )
    for name, seconds in times.items():
        print(f"  {name:<44} {seconds:7.2f} s")
    print(f"  {'total':<44} {sum(times.values()):7.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of the Python process: {peak:.0f} MB")
    rmse = folds.groupby("model")["rmse"].mean().sort_values()
    print("  mean RMSE by model: " + ", ".join(f"{m} {v:.3f}" for m, v in rmse.items()))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results" / "hail")
