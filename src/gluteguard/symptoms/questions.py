"""The check-in's questions in plain words (``questions.toml``)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def questions() -> dict[str, dict[str, str]]:
    with resources.files("gluteguard.symptoms").joinpath("questions.toml").open("rb") as handle:
        return tomllib.load(handle)
