"""Age groups from configured bin edges, as Hail expressions and labels.

``age_bins`` lists the lower edge of each group in increasing order; each group
runs to one below the next edge, the last is open: ``[1, 18, 25]`` gives
``1-17``, ``18-24`` and ``25+``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import hail as hl


def age_group_labels(age_bins: Sequence[int]) -> list[str]:
    """The label of every age group, youngest first."""
    edges = list(age_bins)
    if not edges or edges != sorted(set(edges)):
        raise ValueError(
            f"age_bins must be distinct and increasing, got {list(age_bins)}"
        )
    labels = [f"{low}-{high - 1}" for low, high in pairwise(edges)]
    return [*labels, f"{edges[-1]}+"]


def age_group(age: hl.Int32Expression, age_bins: Sequence[int]) -> hl.StringExpression:
    """The label of the group ``age`` falls in; missing below the first edge."""
    labels = age_group_labels(age_bins)
    edges = list(age_bins)
    branches = hl.case()
    for low, label in zip(reversed(edges), reversed(labels), strict=True):
        branches = branches.when(age >= low, label)
    return branches.or_missing()
