"""Listening to the body: check-ins, self-tests, red-flag triage and the daily symptom status (pure)."""
