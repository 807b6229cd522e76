"""Built-in sample data: synthetic activities written as real FIT files by Garmin's SDK encoder."""

from gluteguard.samples.fitwriter import SyntheticRun, encode_fit
from gluteguard.samples.runner import (
    DEFAULT_END_DATE,
    SAMPLE_WEEKS,
    SAMPLE_ZONE,
    SPIKE_WEEK,
    one_hour_run,
    one_hour_synthetic_run,
    sample_runner_runs,
    write_sample_runner,
)

__all__ = [
    "DEFAULT_END_DATE",
    "SAMPLE_WEEKS",
    "SAMPLE_ZONE",
    "SPIKE_WEEK",
    "SyntheticRun",
    "encode_fit",
    "one_hour_run",
    "one_hour_synthetic_run",
    "sample_runner_runs",
    "write_sample_runner",
]
