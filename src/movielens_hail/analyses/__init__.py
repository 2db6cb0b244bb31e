"""The ten analyses, one module each; each turns Hail tables into the TSV tables,
SVG figures and ``summary.json`` of its folder under ``results/``."""
