"""The command line against a throwaway SQLite file: database, profile, import contract, listing, review,
reprocess; one-line errors without tracebacks; and the installed console script once, for real."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gluteguard.cli.app import app
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.runner import one_hour_synthetic_run
from gluteguard.store.db import head_revision

GOOD_FILES = [
    "fit/thomaschampagne-elevate-specs/running/bloemendaal.fit",  # run, 2020-03-04
    "fit/dtcooper-python-fitparse/garmin-fenix-5-walk.fit",  # walk, 2017-06-11
    "tcx/corriporai-runpandas/tcx/run_garmin.tcx",  # run, 2018-11-25
    "gpx/corriporai-runpandas/gpx/garmin_connect.gpx",  # run, 2018-02-21
]
PARTIAL_FILE = "fit/dtcooper-python-fitparse/activity-unexpected-eof.fit"  # run, 2012-04-09, truncated
NOT_ACTIVITY = "fit/dtcooper-python-fitparse/Settings.fit"
BROKEN_FILE = "tcx/corriporai-runpandas/tcx/malformed.tcx"

CONTRACT_KEYS = {"imported", "possible_duplicates", "skipped_identical", "partial", "failed", "activity_ids"}
ROW_KEYS = {
    "id",
    "start_local",
    "sport",
    "distance_m",
    "moving_time_s",
    "avg_hr",
    "avg_cadence_spm",
    "source_file",
    "partial",
}
PROFILE_KEYS = {
    "birth_year",
    "sex",
    "max_hr",
    "resting_hr",
    "units",
    "timezone",
    "running_days",
    "long_run_day",
    "work_days",
    "work_start",
    "work_end",
    "equipment",
}


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "cli.sqlite"


def cli(db_file: Path | str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["--db", str(db_file), *args], env=env)


def assert_ok(result: Result) -> None:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.output


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """Exit 1, one line on stderr naming the problem, no traceback, and no exception escaped."""
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def json_out(result: Result) -> object:
    return json.loads(result.stdout)


# --- db -------------------------------------------------------------------------------------------


def test_db_upgrade_then_up_to_date_then_status(tmp_path: Path) -> None:
    path = tmp_path / "via_env.sqlite"
    env = {"GLUTEGUARD_DB": str(path)}
    runner = CliRunner()
    first = runner.invoke(app, ["db", "upgrade"], env=env)
    assert_ok(first)
    assert f"upgraded from empty to {head_revision()}" in first.stdout
    assert path.exists()
    second = runner.invoke(app, ["db", "upgrade"], env=env)
    assert_ok(second)
    assert "up to date" in second.stdout and head_revision() in second.stdout
    status = runner.invoke(app, ["db", "status"], env=env)
    assert_ok(status)
    assert f"revision: {head_revision()} (newest: {head_revision()})" in status.stdout
    (url_line,) = [line for line in status.stdout.splitlines() if line.startswith("url:")]
    assert url_line == f"url: sqlite:///{path.resolve()}"  # one line, however long the path


def test_db_option_wins_over_the_environment(tmp_path: Path) -> None:
    chosen, ignored = tmp_path / "chosen.sqlite", tmp_path / "ignored.sqlite"
    result = cli(chosen, "db", "upgrade", env={"GLUTEGUARD_DB": str(ignored)})
    assert_ok(result)
    assert chosen.exists() and not ignored.exists()


def test_db_status_of_an_unopenable_database_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "a_folder"
    folder.mkdir()
    for command in ("status", "upgrade"):
        assert_one_line_error(cli(folder, "db", command), "cannot open database")


def test_db_status_hides_the_password(tmp_path: Path) -> None:
    result = cli("postgresql://runner:s3cret@127.0.0.1:1/gluteguard", "db", "status")
    assert "s3cret" not in result.output
    assert_one_line_error(result, "cannot open database")


# --- athlete --------------------------------------------------------------------------------------

FULL_PROFILE = [
    "--birth-year", "1986",
    "--sex", "Female",
    "--max-hr", "186",
    "--resting-hr", "51",
    "--units", "mi",
    "--timezone", "Europe/Berlin",
    "--running-days", "sun,tue,Thu,sat",
    "--long-run-day", "sun",
    "--work-days", "mon,tue,wed,thu,fri",
    "--work-hours", "08:30-17:15",
    "--equipment", "foam_roller,band",
]  # fmt: skip


def test_athlete_set_then_show(db_file: Path) -> None:
    set_result = cli(db_file, "athlete", "set", *FULL_PROFILE, "--json")
    assert_ok(set_result)
    profile = json_out(set_result)
    assert isinstance(profile, dict) and profile.keys() >= PROFILE_KEYS
    assert profile == {
        **profile,
        "birth_year": 1986,
        "sex": "female",
        "max_hr": 186,
        "resting_hr": 51,
        "units": "mi",
        "timezone": "Europe/Berlin",
        "running_days": ["tue", "thu", "sat", "sun"],
        "long_run_day": "sun",
        "work_days": ["mon", "tue", "wed", "thu", "fri"],
        "work_start": "08:30",
        "work_end": "17:15",
        "equipment": ["band", "foam_roller"],
    }
    show = cli(db_file, "athlete", "show", "--json")
    assert_ok(show)
    assert json_out(show) == profile

    # Fields not given keep their value.
    assert_ok(cli(db_file, "athlete", "set", "--max-hr", "184"))
    after = json_out(cli(db_file, "athlete", "show", "--json"))
    assert after == {**profile, "max_hr": 184}

    table = cli(db_file, "athlete", "show")
    assert_ok(table)
    assert "Europe/Berlin" in table.stdout and "band, foam_roller" in table.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--timezone", "Mars/Olympus_Mons"], "timezone"),
        (["--timezone", "../../etc/passwd"], "timezone"),
        (["--max-hr", "110", "--resting-hr", "115"], "resting_hr must be below max_hr"),
        (["--resting-hr", "190"], "resting_hr"),
        (["--running-days", "mon,blursday"], "running_days"),
        (["--work-days", "mon,xyz"], "work_days"),
        (["--long-run-day", "xyz"], "long_run_day"),
        (["--work-hours", "9 to 5"], "work_hours"),
        (["--work-hours", "18:00-08:00"], "work_start"),
        (["--equipment", "rowing_machine"], "equipment"),
        (["--sex", "robot"], "sex"),
        (["--units", "furlongs"], "units"),
        (["--birth-year", "1700"], "birth_year"),
    ],
)
def test_invalid_profile_values_change_nothing(db_file: Path, args: list[str], fragment: str) -> None:
    assert_ok(cli(db_file, "athlete", "set", *FULL_PROFILE))
    before = json_out(cli(db_file, "athlete", "show", "--json"))
    result = cli(db_file, "athlete", "set", *args, "--json")
    assert_one_line_error(result, fragment)
    assert result.stdout == ""
    assert json_out(cli(db_file, "athlete", "show", "--json")) == before


# --- import ---------------------------------------------------------------------------------------


@pytest.fixture
def history(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "history"
    folder.mkdir()
    for relative in [*GOOD_FILES, PARTIAL_FILE, NOT_ACTIVITY]:
        shutil.copy(shared_data / relative, folder / Path(relative).name)
    return folder


def assert_contract(summary: object) -> dict:
    assert isinstance(summary, dict) and summary.keys() >= CONTRACT_KEYS
    for key in ("imported", "possible_duplicates", "skipped_identical"):
        assert isinstance(summary[key], int) and summary[key] >= 0
    for key in ("partial", "failed"):
        assert isinstance(summary[key], list)
        for entry in summary[key]:
            assert set(entry) == {"file", "reason"}
            assert isinstance(entry["reason"], str) and entry["reason"] and "\n" not in entry["reason"]
    assert all(isinstance(i, int) for i in summary["activity_ids"])
    assert len(set(summary["activity_ids"])) == len(summary["activity_ids"])
    return summary


def test_import_json_contract_and_exit_codes(db_file: Path, history: Path, shared_data: Path, tmp_path: Path) -> None:
    ok = cli(db_file, "import", str(history), "--json", "--workers", "1")
    assert_ok(ok)  # partial and not-an-activity files are not failures
    summary = assert_contract(json_out(ok))
    assert summary["imported"] == len(GOOD_FILES) + 1 and summary["failed"] == []
    assert len(summary["activity_ids"]) == len(GOOD_FILES) + 1
    assert [Path(p["file"]).name for p in summary["partial"]] == [Path(PARTIAL_FILE).name]
    assert "partial" in ok.stderr  # the damaged file is named on stderr, stdout stays pure JSON

    broken = tmp_path / "broken"
    broken.mkdir()
    shutil.copy(shared_data / BROKEN_FILE, broken / "malformed.tcx")
    shutil.copy(shared_data / GOOD_FILES[0], broken / "again.fit")
    extra = tmp_path / "new_run.fit"
    extra.write_bytes(encode_fit(one_hour_synthetic_run(11)))
    missing = tmp_path / "no" / "such.fit"
    bad = cli(db_file, "import", str(broken), str(extra), str(missing), "--json", "--workers", "2")
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    summary = assert_contract(json_out(bad))
    failed = {f["file"]: f["reason"] for f in summary["failed"]}
    assert set(failed) == {str(broken / "malformed.tcx"), str(missing)}
    assert "no such file" in failed[str(missing)]
    assert summary["imported"] == 1 and summary["skipped_identical"] == 1  # the good ones still count
    assert len(summary["activity_ids"]) == 1

    again = cli(db_file, "import", str(history), "--json", "--workers", "1")
    assert_ok(again)
    summary = assert_contract(json_out(again))
    assert summary["imported"] == 0 and summary["skipped_identical"] == len(GOOD_FILES) + 1
    assert summary["activity_ids"] == []


def test_import_without_json_prints_a_summary(db_file: Path, history: Path) -> None:
    result = cli(db_file, "import", str(history), "--workers", "1")
    assert_ok(result)
    assert "Import summary" in result.stdout and "activities imported" in result.stdout
    # The import in a sentence, as the web page says it: how many, when, how far, what next.
    assert re.search(r"\d+ activities imported, from \d\d \w{3} \d{4} to \d\d \w{3} \d{4}: \d+ runs, [\d.]+ km",
                     result.stdout), result.stdout  # fmt: skip
    assert "gluteguard today" in result.stdout
    again = cli(db_file, "import", str(history), "--workers", "1")
    assert "Nothing new imported." in again.stdout


def test_a_file_with_no_activity_is_counted_and_named_as_such(db_file: Path, shared_data: Path) -> None:
    result = cli(db_file, "import", str(shared_data / "fit/dtcooper-python-fitparse/Settings.fit"))
    assert_ok(result)
    assert "files with no activity in them (settings, workouts…)" in result.stdout
    assert "Nothing new imported." in result.stdout


def test_import_rejects_an_unknown_fit_decoder(db_file: Path, history: Path) -> None:
    assert_one_line_error(cli(db_file, "import", str(history), "--fit-decoder", "magic"), "--fit-decoder")


def test_file_names_with_brackets_are_printed_as_they_are(db_file: Path, shared_data: Path, tmp_path: Path) -> None:
    """Names are data, not console markup: '[old]' must show, '[/b]' must not crash the import."""
    folder = tmp_path / "runs[old]"
    folder.mkdir()
    shutil.copy(shared_data / BROKEN_FILE, folder / "bad[b].tcx")
    archive = tmp_path / "more[red].zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("[/i]broken.fit", b"not a fit file at all")
        out.writestr("good.fit.gz", gzip.compress((shared_data / GOOD_FILES[0]).read_bytes()))
    result = cli(db_file, "import", str(folder), str(archive), "--workers", "1")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert f"{folder}/bad[b].tcx" in result.stderr
    assert f"{archive}![/i]broken.fit" in result.stderr
    summary = json_out(cli(db_file, "import", str(archive), "--json", "--workers", "1"))
    assert isinstance(summary, dict) and summary["skipped_identical"] == 1


# --- activities -----------------------------------------------------------------------------------


@pytest.fixture
def imported(db_file: Path, history: Path) -> dict:
    assert_ok(cli(db_file, "athlete", "set", "--timezone", "Europe/Berlin"))
    result = cli(db_file, "import", str(history), "--json", "--workers", "1")
    assert_ok(result)
    summary = json_out(result)
    assert isinstance(summary, dict)
    return summary


def activities(db_file: Path, *args: str) -> list[dict]:
    result = cli(db_file, "activities", "--json", *args)
    assert_ok(result)
    rows = json_out(result)
    assert isinstance(rows, list)
    return rows


def test_activities_json_rows(db_file: Path, imported: dict) -> None:
    rows = activities(db_file)
    assert len(rows) == len(GOOD_FILES) + 1
    assert sorted(r["id"] for r in rows) == sorted(imported["activity_ids"])
    for row in rows:
        assert row.keys() >= ROW_KEYS
        assert isinstance(row["partial"], bool) and Path(row["source_file"]).exists()
    starts = [r["start_utc"] for r in rows]
    assert starts == sorted(starts)  # oldest first
    partial = [r for r in rows if r["partial"]]
    assert [Path(r["source_file"]).name for r in partial] == [Path(PARTIAL_FILE).name]
    walk = next(r for r in rows if r["sport"] == "walk")
    assert walk["distance_m"] == pytest.approx(67.85) and walk["moving_time_s"] > 0

    table = cli(db_file, "activities")
    assert_ok(table)
    assert "Activities" in table.stdout


def test_activities_filters(db_file: Path, imported: dict) -> None:
    since = activities(db_file, "--since", "2018-01-01")
    assert {Path(r["source_file"]).name for r in since} == {"bloemendaal.fit", "run_garmin.tcx", "garmin_connect.gpx"}
    assert all(r["start_local"][:10] >= "2018-01-01" for r in since)
    assert activities(db_file, "--since", "2030-01-01") == []
    walks = activities(db_file, "--sport", "walk")
    assert [Path(r["source_file"]).name for r in walks] == ["garmin-fenix-5-walk.fit"]
    runs = activities(db_file, "--sport", "RUN", "--since", "2019-01-01")
    assert [Path(r["source_file"]).name for r in runs] == ["bloemendaal.fit"]
    assert activities(db_file, "--sport", "ride") == []


@pytest.mark.parametrize("since", ["notadate", "2024-13-01", "yesterday", "[/b]"])
def test_activities_since_not_a_date(db_file: Path, since: str) -> None:
    assert_one_line_error(cli(db_file, "activities", "--since", since), "--since", since)


def _near_copies(tmp_path: Path) -> list[Path]:
    """Two synthetic runs, each written twice with another lap layout (as a watch and a phone app would)."""
    paths = []
    for index in (4, 5):
        run = one_hour_synthetic_run(index)
        for device, laps in (("watch", 1000.0), ("phone", None)):
            path = tmp_path / f"{device}_{index}.fit"
            path.write_bytes(encode_fit(run, lap_distance_m=laps))
            paths.append(path)
    return paths


def test_duplicate_review(db_file: Path, tmp_path: Path) -> None:
    summary = json_out(cli(db_file, "import", *map(str, _near_copies(tmp_path)), "--json", "--workers", "1"))
    assert isinstance(summary, dict) and summary["imported"] == 2 and summary["possible_duplicates"] == 2
    flagged = activities(db_file, "--duplicates")
    assert len(flagged) == 2 and all(r["duplicate_status"] == "possible" for r in flagged)
    keep, drop = (r["id"] for r in flagged)
    originals = [r["id"] for r in activities(db_file) if r["duplicate_status"] is None]

    assert_one_line_error(cli(db_file, "activities", "resolve", str(keep), "maybe"), "keep", "drop")
    for unknown in ("999999", "0", "-- -5", str(2**64)):
        args = unknown.split()
        assert_one_line_error(cli(db_file, "activities", "resolve", *args, "keep"), f"no activity with id {args[-1]}")
    assert_one_line_error(cli(db_file, "activities", "resolve", str(originals[0]), "drop"), "not a possible duplicate")
    assert len(activities(db_file)) == 4  # refused decisions changed nothing

    kept = cli(db_file, "activities", "resolve", str(keep), "KEEP")
    assert_ok(kept)
    assert f"activity {keep} kept" in kept.stdout
    dropped = cli(db_file, "activities", "resolve", str(drop), "drop")
    assert_ok(dropped)
    assert f"activity {drop} dropped" in dropped.stdout
    assert activities(db_file, "--duplicates") == []
    assert {r["id"] for r in activities(db_file)} == {*originals, keep}
    assert_one_line_error(cli(db_file, "activities", "resolve", str(keep), "drop"), "not a possible duplicate")

    table = cli(db_file, "activities", "--duplicates")
    assert_ok(table)
    assert "no activities awaiting duplicate review" in table.stdout


def test_reprocess(db_file: Path, imported: dict) -> None:
    before = activities(db_file)
    result = cli(db_file, "reprocess")
    assert_ok(result)
    files = len(GOOD_FILES) + 1
    assert f"reprocessed {files} files into {files} activities" in result.stdout
    after = activities(db_file)
    keys = ("start_local", "sport", "distance_m", "moving_time_s", "source_file", "partial")
    assert [tuple(r[k] for k in keys) for r in after] == [tuple(r[k] for k in keys) for r in before]


def test_no_arguments_shows_the_first_steps_and_help_still_lists_the_commands(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "new.sqlite")])  # never the user's own database
    assert result.exit_code == 0 and "1. About you" in result.output and "gluteguard --help" in result.output
    helped = CliRunner().invoke(app, ["--help"])
    assert "Usage" in helped.output and "import" in helped.output


# --- the installed console script -----------------------------------------------------------------


def _script() -> Path:
    script = Path(sys.executable).with_name("gluteguard")
    if not script.exists():
        pytest.skip("the gluteguard console script is not installed beside this Python")
    return script


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "GLUTEGUARD_DB"}
    return subprocess.run([str(_script()), *args], capture_output=True, text=True, timeout=120, env=env)


def test_console_script_imports_a_real_file(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "script.sqlite"
    done = _run(["--db", str(db), "import", str(shared_data / GOOD_FILES[0]), "--json", "--workers", "1"])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    summary = assert_contract(json.loads(done.stdout))
    assert summary["imported"] == 1 and summary["failed"] == []


def test_console_script_turns_known_errors_into_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "not_a_database"
    folder.mkdir()
    done = _run(["--db", str(folder), "activities"])
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot open database"), done.stderr
