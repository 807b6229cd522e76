"""The cut-out summary (one full fitfast decode per file) gives exactly what four full decodes give."""

from __future__ import annotations

import gzip
from pathlib import Path

import fitfast

from gluteguard.ingest import fit
from gluteguard.ingest.fit_scan import summary_fit
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.runner import one_hour_synthetic_run

SESSION_FIELDS = (
    "start_time",
    "total_distance",
    "total_elapsed_time",
    "total_timer_time",
    "avg_heart_rate",
    "max_heart_rate",
    "avg_cadence",
    "total_ascent",
)


def _normalised(summary: tuple[dict, list[dict], dict]) -> tuple:
    file_id, sessions, activity = summary
    return (
        fit._enum_name("file", file_id.get("type")),
        fit.device_name(file_id.get("manufacturer"), file_id.get("product")),
        [(s.get("sport"), s.get("sub_sport"), *(fit._finite(s, key) for key in SESSION_FIELDS)) for s in sessions],
        fit._local_offset_s(activity),
    )


def test_cut_out_matches_full_decodes_on_every_real_file(shared_data: Path) -> None:
    compared = 0
    for path in sorted((shared_data / "fit").rglob("*")):
        if not path.name.lower().endswith((".fit", ".fit.gz")):
            continue
        data = path.read_bytes()
        data = gzip.decompress(data) if path.name.endswith(".gz") else data
        try:
            fitfast.records(data)
        except (fitfast.FitDecodeError, ValueError):
            continue  # files fitfast refuses go to fitdecode and never reach the cut-out
        except BaseException as exc:
            if type(exc).__name__ != "PanicException":
                raise
            continue
        cut = fit._summary_by_cut_out(data)
        assert cut is not None, f"{path}: walker gave up on a file fitfast reads"
        assert _normalised(cut) == _normalised(fit._summary_by_columns(data)), path
        compared += 1
    assert compared > 80


def test_cut_out_of_a_written_file_and_refusals() -> None:
    data = encode_fit(one_hour_synthetic_run(3))
    small = summary_fit(data)
    assert small is not None and len(small) < 1000
    assert set(fitfast.message_counts(small)) == {"file_id", "session", "activity"}
    assert summary_fit(data[:-500]) is None  # truncated: the walker says "not sure"
    assert summary_fit(b"not a fit file at all") is None
