"""Map the sport labels that files and exports use onto gluteguard's sports (table in ``sports.toml``)."""

from __future__ import annotations

from gluteguard.ingest.model import Sport
from gluteguard.rules_data import rules_data


def _table() -> dict[str, dict[str, dict[str, str]]]:
    return rules_data("gluteguard.ingest", "sports.toml")


def _lookup(source: str, key: str, label: str | None) -> str | None:
    if label is None:
        return None
    return _table()[source][key].get(str(label).strip().lower())


def classify(source: str, sport_label: str | None, sub_label: str | None = None) -> tuple[Sport, str | None]:
    """Return (sport, sub_sport) for labels from ``source`` ("fit", "tcx", "gpx" or "strava")."""
    sport_key = {"fit": "sport", "tcx": "sport", "gpx": "type", "strava": "activity_type"}[source]
    mapped = _lookup(source, sport_key, sport_label)
    if sport_label is None or str(sport_label).strip() == "":
        sport = Sport.UNKNOWN
    else:
        sport = Sport(mapped) if mapped else Sport.OTHER

    sub_sport: str | None = None
    if source == "fit":
        override = _lookup("fit", "sub_sport_overrides_sport", sub_label)
        if override:
            sport = Sport(override)
        if sub_label is not None:
            mapped_sub = _lookup("fit", "sub_sport", sub_label)
            sub_sport = mapped_sub if mapped_sub is not None else str(sub_label)
    else:
        # GPX/TCX/Strava have no separate sub-sport field: refine from the sport label itself.
        sub_sport = _lookup(source, "sub_sport", sport_label) if source in ("gpx", "strava") else None
    if sport == Sport.OTHER and sub_sport is None and sport_label is not None:
        sub_sport = str(sport_label).strip().lower() or None
    return sport, (sub_sport or None)
