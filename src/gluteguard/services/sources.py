"""Every source the app cites, gathered from the rule files (the numbers and wording live in TOML, each with its
source), deduplicated, with the files that cite each — for the About page.

Keys named ``source``, ``sources`` or ending in ``_source`` hold citations; everything else (numbers, wording,
column-name evidence codes of the Strava header table) does not.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from gluteguard.rules_data import rules_data

# The packages whose TOML files hold the clinical and training rules (ingest's files hold parsing tables only).
RULE_PACKAGES = ("gluteguard.load", "gluteguard.symptoms", "gluteguard.plan", "gluteguard.gait", "gluteguard.sitting")


def _citations(value: object, key: str = "") -> list[str]:
    """The citation strings in a parsed TOML value, depth first in file order."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _citations(v, str(k))
        return found
    if isinstance(value, list):
        for item in value:
            found += _citations(item, key)
        return found
    if isinstance(value, str) and (key in ("source", "sources") or key.endswith("_source")) and value.strip():
        found.append(value.strip())
    return found


@cache
def cited_sources() -> tuple[dict, ...]:
    """Each distinct citation once, in the order first met: ``{"source": text, "cited_in": [package/file…]}``."""
    order: dict[str, list[str]] = {}
    for package in RULE_PACKAGES:
        folder = resources.files(package)
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".toml"):
                continue
            table = rules_data(package, entry.name)
            where = f"{package.rsplit('.', 1)[-1]}/{entry.name}"
            for text in _citations(table):
                files = order.setdefault(text, [])
                if where not in files:
                    files.append(where)
    return tuple({"source": text, "cited_in": files} for text, files in order.items())
