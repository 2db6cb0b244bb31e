from pathlib import Path

from movielens_hail.config import load_schema, validate_config

REPO = Path(workflow.basedir)
LIBRARY = REPO / "src" / "movielens_hail"
TEMPLATES = REPO / "report" / "templates"
CONDA_ENV = "../envs/movielens.yaml"

config.update(
    validate_config(config, load_schema(REPO / "workflow/schemas/config.schema.yaml"))
)


def library(*modules):
    """The library modules a rule's script imports, as inputs of the rule, so that
    editing one of them reruns exactly the rules that use it."""
    return [str(LIBRARY / f"{module}.py") for module in ("__init__", *modules)]


def analysis_code(name, *modules):
    """The library modules of analysis `name`'s script, as inputs of its rule."""
    return library(
        "analyses/__init__",
        f"analyses/{name}",
        "plotting",
        "runner",
        "session",
        *modules,
    )


def report_templates():
    """Every template and stylesheet of the report."""
    return sorted(str(path) for path in TEMPLATES.rglob("*") if path.is_file())


def local_dataset_files():
    """The raw files of dataset.local_dir when the data comes from disk, so that
    replacing them fetches again; nothing for the network sources."""
    dataset = config["dataset"]
    if dataset["source"] != "local" or not dataset["local_dir"]:
        return []
    folder = Path(dataset["local_dir"])
    names = ("u.data", "u.item", "u.user", "ml-100k.inter", "ml-100k.item")
    return [
        str(folder / name)
        for name in (*names, "ml-100k.user")
        if (folder / name).exists()
    ]


ANALYSES = [
    "popularity",
    "engagement",
    "genre_demographics",
    "collaborative_filtering",
    "temporal_trends",
    "title_sentiment",
    "geography",
    "genre_ratings",
    "saved_queries",
    "recommendations",
]


def active_analyses():
    """The analyses whose `activate` is true in the config, in report order."""
    return [name for name in ANALYSES if config[name]["activate"]]


def analysis_summaries():
    """The summary.json of every active analysis: the report's inputs."""
    return [f"results/{name}/summary.json" for name in active_analyses()]
