"""Property-based check of the whole JSON API against its own OpenAPI schema (schemathesis, in-process ASGI, no
network): for every operation, generated requests — valid and invalid — must never get a 5xx answer.

The database is a fresh SQLite file with a few weeks of the sample runner's FIT files, some check-ins and a saved
stride analysis, so the read endpoints have something to compute. Nothing is excluded: the upload endpoints get
generated files too (their suffix and content checks answer 415; a generated "video" never passes the sniffing,
so no pose model runs). Examples per operation are bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from gluteguard.gait.readers.csv_keypoints import keypoints_csv_text
from gluteguard.samples.gait_synth import synthetic_run
from gluteguard.samples.runner import write_sample_runner
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.checkins import save_checkin
from gluteguard.services.gait import StrideOptions, analyze_stride
from gluteguard.services.importer import import_paths
from gluteguard.store.db import Database
from gluteguard.web.app import create_app

END = date(2026, 11, 22)
EXAMPLES_PER_OPERATION = 8


# The schema is read when the module is collected, so the app exists then, on a throwaway in-memory database;
# the seeded SQLite file replaces it before the first request (schemathesis' fixture loader does not work with
# this pytest, so the app cannot come from a fixture).
APP = create_app("sqlite://", allowed_hosts=("testserver",))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("schemathesis")
    database = Database(f"sqlite:///{folder / 'api.sqlite'}")
    athlete_id = ensure_athlete(database)
    files = [p for p in write_sample_runner(folder / "fit", end_date=END) if p.name >= f"{END - timedelta(weeks=5)}"]
    import_paths(database, athlete_id, files, workers=1)
    for offset in range(10):
        day = END - timedelta(days=offset)
        save_checkin(database, athlete_id, {"date": day.isoformat(), "pain_at_rest": offset % 4, "sitting_hours": 6})
    clip = folder / "clip.csv"
    clip.write_text(keypoints_csv_text(synthetic_run(view="rear", seconds=10.0, seed=1)), encoding="utf-8")
    analyze_stride(database, athlete_id, clip, StrideOptions(view="rear", recorded_on=END, save=True))
    placeholder = APP.state.db
    APP.state.db, APP.state.athlete_id = database, None
    placeholder.dispose()
    yield
    database.dispose()


@pytest.fixture(autouse=True)
def _private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,  # the same examples every run, and no .hypothesis folder in the repository
    derandomize=True,
)
def test_no_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error])
