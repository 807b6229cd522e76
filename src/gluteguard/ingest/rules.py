"""Import policy numbers, read from ``import_rules.toml`` (which cites their sources)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gluteguard.rules_data import Table, rules_data


@dataclass(frozen=True)
class ArchiveLimits:
    max_total_uncompressed_bytes: int
    max_member_uncompressed_bytes: int
    max_compression_ratio: float
    max_members: int
    max_nesting_depth: int
    max_activity_member_bytes: int
    spool_above_bytes: int
    max_in_flight_bytes: int


@dataclass(frozen=True)
class ImportRules:
    duplicate_start_window_s: float
    archives: ArchiveLimits
    watch_settle_s: float = 2.0  # a watched file last written this long ago has stopped changing
    # field → (lowest, highest) possible: outside ``refuse`` the activity is refused, outside ``sensor`` the
    # reading is dropped as "no reading"
    refuse: dict[str, tuple[float, float]] = field(default_factory=dict)
    sensor: dict[str, tuple[float, float]] = field(default_factory=dict)


def import_rules() -> ImportRules:
    return rules_data("gluteguard.ingest", "import_rules.toml", _parse)


def _parse(table: Table) -> ImportRules:
    return ImportRules(
        duplicate_start_window_s=float(table["duplicates"]["start_window_s"]),
        watch_settle_s=float(table["watch"]["settle_s"]),
        archives=ArchiveLimits(**table["archives"]),
        refuse={name: (float(low), float(high)) for name, (low, high) in table["plausible"]["refuse"].items()},
        sensor={name: (float(low), float(high)) for name, (low, high) in table["plausible"]["sensor"].items()},
    )
