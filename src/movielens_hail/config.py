"""Check a workflow config against its JSON Schema and fill in the defaults.

The schema (``workflow/schemas/config.schema.yaml``) gives every key a type, a
description and a default, and forbids keys it does not name, so a misspelt
setting stops the run instead of being ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml


class ConfigError(ValueError):
    """A config value the schema does not allow, named by its dotted path."""


def load_schema(path: Path) -> dict[str, Any]:
    """Read a YAML JSON Schema."""
    with path.open(encoding="utf-8") as handle:
        schema: dict[str, Any] = yaml.safe_load(handle)
    return schema


def validate_config(
    config: Mapping[str, Any], schema: Mapping[str, Any], source: str = "config.yaml"
) -> dict[str, Any]:
    """Return ``config`` with defaults filled in, or raise :class:`ConfigError`.

    :param config: the parsed config, left unchanged.
    :param schema: the JSON Schema; ``default`` values fill missing keys.
    :param source: the file name to put in error messages.
    :raises ConfigError: naming every bad key, its value and what is allowed.
    """
    filled = copy.deepcopy(dict(config))
    _fill_defaults(filled, schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(filled), key=lambda error: error.json_path)
    if errors:
        problems = "\n".join(f"  - {_describe(error)}" for error in errors)
        raise ConfigError(f"{source} has {len(errors)} problem(s):\n{problems}")
    return filled


def _fill_defaults(config: dict[str, Any], schema: Mapping[str, Any]) -> None:
    for key, subschema in schema.get("properties", {}).items():
        if key not in config and "default" in subschema:
            config[key] = copy.deepcopy(subschema["default"])
        if isinstance(config.get(key), dict):
            _fill_defaults(config[key], subschema)


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(_properties(error)))
        unknown = ", ".join(sorted(_unknown_keys(error)))
        return f"{where}: unknown key(s) {unknown}; allowed keys: {allowed}"
    if error.validator == "enum":
        allowed = ", ".join(repr(value) for value in _enum(error))
        return f"{where}: {error.instance!r} is not one of {allowed}"
    return f"{where}: {error.message}"


def _unknown_keys(error: jsonschema.ValidationError) -> Iterator[str]:
    known = _properties(error)
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    for key in instance:
        if key not in known:
            yield repr(key)


def _properties(error: jsonschema.ValidationError) -> Mapping[str, Any]:
    schema = error.schema
    properties = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    return properties if isinstance(properties, Mapping) else {}


def _enum(error: jsonschema.ValidationError) -> list[Any]:
    schema = error.schema
    return list(schema.get("enum", [])) if isinstance(schema, Mapping) else []
