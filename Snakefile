# MovieLens 100K on Hail: fetch the data, load it into Hail tables, analyse it and
# render one self-contained HTML report. Run with `snakemake --cores 2`.
from snakemake.utils import min_version

min_version("7.32")


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/analyses.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        report="results/report.html",
