"""The one reader of gluteguard's data files: the TOML tables shipped in each domain package that hold the rules,
thresholds and wording, each number next to its ``source``.

``rules_data("gluteguard.load", "rules.toml")`` is the parsed table. ``rules_data(package, name, parse)`` is what
``parse`` makes of that table: the domain's typed object (``LoadRules``, ``TriageRules``…), built and checked once.
Either is read on first use and then shared by every caller in the process, so treat it as read-only; code that
changes a table (a test breaking a copy) takes ``copy.deepcopy`` of it first.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, TypeVar, overload

Table = dict[str, Any]  # a parsed TOML file: keys to values, tables as nested dicts, arrays as lists
T = TypeVar("T")


@overload
def rules_data(package: str, name: str) -> Table: ...


@overload
def rules_data(package: str, name: str, parse: Callable[[Table], T]) -> T: ...


@cache
def rules_data(package: str, name: str, parse: Callable[[Table], Any] | None = None) -> Any:
    """The TOML file ``name`` of the package ``package``, parsed, or ``parse`` of it; read once per process."""
    with resources.files(package).joinpath(name).open("rb") as handle:
        table = tomllib.load(handle)
    return table if parse is None else parse(table)
