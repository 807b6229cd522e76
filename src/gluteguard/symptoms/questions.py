"""The check-in's questions in plain words (``questions.toml``)."""

from __future__ import annotations

from gluteguard.rules_data import rules_data


def questions() -> dict[str, dict[str, str]]:
    return rules_data("gluteguard.symptoms", "questions.toml")
