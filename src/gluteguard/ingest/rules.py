"""Import policy numbers, read from ``import_rules.toml`` (which cites their sources)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class ArchiveLimits:
    max_total_uncompressed_bytes: int
    max_member_uncompressed_bytes: int
    max_compression_ratio: float
    max_members: int
    max_nesting_depth: int


@dataclass(frozen=True)
class ImportRules:
    duplicate_start_window_s: float
    archives: ArchiveLimits


@cache
def import_rules() -> ImportRules:
    with resources.files("gluteguard.ingest").joinpath("import_rules.toml").open("rb") as handle:
        table = tomllib.load(handle)
    return ImportRules(
        duplicate_start_window_s=float(table["duplicates"]["start_window_s"]),
        archives=ArchiveLimits(**table["archives"]),
    )
