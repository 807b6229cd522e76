"""The load rules from ``rules.toml`` as typed values (every threshold there carries its source)."""

from __future__ import annotations

from dataclasses import dataclass

from gluteguard.rules_data import Table, rules_data


@dataclass(frozen=True)
class SpikeCategory:
    name: str
    max_ratio: float
    hazard_ratio: str


@dataclass(frozen=True)
class LoadRules:
    spike_window_days: int
    spike_categories: tuple[SpikeCategory, ...]
    spike_source: str
    cap_factor: float
    cap_source: str
    cap_tolerance_days_after: int
    cap_not_tolerated_statuses: frozenset[str]
    cap_tolerance_source: str
    cap_min_run_m: float
    week_flag_ratio: float
    week_source: str
    week_context_note: str
    ctl_days: int
    atl_days: int
    pmc_source: str
    form_level_km_per_day: float
    ramp_high_per_week: float
    acwr_acute_days: int
    acwr_chronic_days: int
    acwr_source: str
    monotony_days: int
    monotony_warning: float
    monotony_high: float
    monotony_max: float
    monotony_source: str
    trimp_constants: dict[str, tuple[float, float]]
    trimp_default_max_hr: int
    trimp_default_resting_hr: int
    trimp_source: str
    no_data_min_gap_days: int
    no_data_source: str


def load_rules() -> LoadRules:
    return rules_data("gluteguard.load", "rules.toml", _parse)


def _parse(t: Table) -> LoadRules:
    return LoadRules(
        spike_window_days=t["spike"]["window_days"],
        spike_categories=tuple(SpikeCategory(**c) for c in t["spike"]["categories"]),
        spike_source=t["spike"]["source"],
        cap_factor=t["cap"]["factor"],
        cap_source=t["cap"]["source"],
        cap_tolerance_days_after=t["cap"]["tolerance_days_after"],
        cap_not_tolerated_statuses=frozenset(t["cap"]["not_tolerated_statuses"]),
        cap_tolerance_source=t["cap"]["tolerance_source"],
        cap_min_run_m=float(t["cap"]["min_run_m"]),
        week_flag_ratio=t["week"]["flag_ratio"],
        week_source=t["week"]["source"],
        week_context_note=t["week"]["context_note"],
        ctl_days=t["pmc"]["ctl_days"],
        atl_days=t["pmc"]["atl_days"],
        pmc_source=t["pmc"]["source"],
        form_level_km_per_day=float(t["pmc"]["form_level_km_per_day"]),
        ramp_high_per_week=t["pmc"]["ramp_high_per_week"],
        acwr_acute_days=t["acwr"]["acute_days"],
        acwr_chronic_days=t["acwr"]["chronic_days"],
        acwr_source=t["acwr"]["source"],
        monotony_days=t["monotony"]["days"],
        monotony_warning=t["monotony"]["warning"],
        monotony_high=t["monotony"]["high"],
        monotony_max=t["monotony"]["max_value"],
        monotony_source=t["monotony"]["source"],
        trimp_constants={sex: (c["a"], c["b"]) for sex, c in t["trimp"]["constants"].items()},
        trimp_default_max_hr=t["trimp"]["default_max_hr"],
        trimp_default_resting_hr=t["trimp"]["default_resting_hr"],
        trimp_source=t["trimp"]["source"],
        no_data_min_gap_days=t["no_data"]["min_gap_days"],
        no_data_source=t["no_data"]["source"],
    )
