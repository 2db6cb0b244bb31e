"""MovieLens analyses on Hail, run as a reproducible Snakemake workflow.

Importing the package starts nothing: Hail is imported only by the modules that
compute with it, so the report and the command-line tools run without a JVM.
"""

__version__ = "0.1.0"
