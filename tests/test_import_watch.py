"""The watch folder (issue 18): files that appear are imported once each, only after they stop changing; a missing
folder is waited for; a damaged file is one line and the watch goes on; the CLI streams JSON Lines and stops cleanly;
the background service's command line is one the real CLI accepts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gluteguard.cli import user_service
from gluteguard.ingest.watch import Seen, WatchState, handed_over, importable, next_step
from gluteguard.services.activities import list_activities
from gluteguard.services.athletes import ensure_athlete
from gluteguard.services.watch import WatchEvent, list_folder, watch_folder
from gluteguard.store.db import Database

RUN_FIT = "fit/dtcooper-python-fitparse/garmin-fenix-5-run.fit"  # a 5.6 kB Fenix 5 run
OTHER_RUN = "fit/thomaschampagne-elevate-specs/running/bloemendaal.fit"
DAMAGED = "fit/dtcooper-python-fitparse/activity-unexpected-eof.fit"  # cut off: kept as far as readable

A, B = Path("/w/a.fit"), Path("/w/b.fit")
LATER = 10**12  # ns: long after every Seen time below


def step(state: WatchState, listing: dict[Path, Seen]) -> tuple[WatchState, tuple[Path, ...]]:
    return next_step(state, listing, LATER)


# --- the pure step ---------------------------------------------------------------------------------------------


def test_a_file_is_ready_only_once_it_stops_changing_and_only_once() -> None:
    state, ready = step(WatchState(), {A: Seen(10, 1)})
    assert ready == ()  # first sight: it may still be being written
    state, ready = step(state, {A: Seen(20, 2)})
    assert ready == ()  # it grew
    state, ready = step(state, {A: Seen(20, 2)})
    assert ready == (A,)
    state, ready = step(state, {A: Seen(20, 2)})
    assert ready == (A,)  # not stored yet: offered again
    state = handed_over(state, ready)
    state, ready = step(state, {A: Seen(20, 2), B: Seen(5, 1)})
    assert ready == ()
    state, ready = step(state, {A: Seen(20, 2), B: Seen(5, 1)})
    assert ready == (B,)


def test_a_file_written_a_moment_ago_waits_until_it_settles() -> None:
    state, _ = next_step(WatchState(), {A: Seen(10, 5_000_000_000)}, 6_000_000_000, settle_s=2.0)
    state, ready = next_step(state, {A: Seen(10, 5_000_000_000)}, 6_500_000_000, settle_s=2.0)
    assert ready == ()  # steady between two listings, but written 1.5 s ago: a copy may only have paused
    assert next_step(state, {A: Seen(10, 5_000_000_000)}, 7_000_000_000, settle_s=2.0)[1] == (A,)


def test_a_rewritten_file_is_offered_again_and_a_vanished_one_is_forgotten() -> None:
    state = handed_over(step(step(WatchState(), {A: Seen(1, 1)})[0], {A: Seen(1, 1)})[0], [A])
    state, ready = step(state, {A: Seen(2, 3)})
    state, ready = step(state, {A: Seen(2, 3)})
    assert ready == (A,)
    state = handed_over(state, ready)
    state, _ = step(state, {})
    assert A not in state.handed
    state, _ = step(state, {A: Seen(2, 3)})
    assert step(state, {A: Seen(2, 3)})[1] == (A,)


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("2026-12-05-07-30-00.fit", True),
        ("RUN.FIT", True),
        ("ride.gpx", True),
        ("x.tcx.gz", True),
        ("export_1.zip", True),
        (".hidden.fit", False),
        ("._a.fit", False),
        ("a.fit.part", False),
        ("a.fit.crdownload", False),
        ("~a.fit", False),
        ("notes.txt", False),
        ("photo.jpg", False),
    ],
)
def test_which_names_are_imported(name: str, wanted: bool) -> None:
    assert importable(Path("/w") / name) is wanted


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["a.fit", "b.gpx", "c.tcx"]), st.integers(0, 3), max_size=3),
                max_size=12))  # fmt: skip
def test_each_steady_version_of_a_file_is_handed_over_once(listings: list[dict[str, int]]) -> None:
    """Whatever the listings, a file is handed over only when it showed the same size in two listings in a row, and
    the same version never twice while it stays in the folder."""
    state, previous = WatchState(), {}
    handed_versions: dict[Path, list[Seen]] = {}
    for raw in listings:
        listing = {Path("/w") / name: Seen(size, size) for name, size in raw.items()}
        state, ready = step(state, listing)
        for path in ready:
            assert previous.get(path) == listing[path]
            assert handed_versions.get(path, [None])[-1] != listing[path]
            handed_versions.setdefault(path, []).append(listing[path])
        for path in list(handed_versions):
            if path not in listing:
                del handed_versions[path]  # gone: should it come back, it is new again
        state = handed_over(state, ready)
        previous = listing


# --- the loop, on a real database -------------------------------------------------------------------------------


class Watcher:
    """``watch_folder`` in a thread, with the events it reported."""

    def __init__(self, db: Database, athlete_id: int, folder: Path) -> None:
        self.events: list[WatchEvent] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=watch_folder,
            args=(db, athlete_id, folder),
            kwargs={"on_event": self.events.append, "stop": self.stop, "interval_s": 0.05, "settle_s": 0.6},
            daemon=True,
        )

    def wait_for(self, kind: str, count: int = 1, timeout_s: float = 60.0) -> list[WatchEvent]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = [event for event in self.events if event.kind == kind]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no {count} {kind!r} events in {timeout_s} s: {[e.line for e in self.events]}")


@pytest.fixture
def watcher(db: Database, tmp_path: Path) -> Iterator[tuple[Watcher, Database, int, Path]]:
    athlete_id = ensure_athlete(db)
    folder = tmp_path / "GARMIN" / "Activity"
    watch = Watcher(db, athlete_id, folder)
    watch.thread.start()
    try:
        yield watch, db, athlete_id, folder
    finally:
        watch.stop.set()
        watch.thread.join(timeout=30)


def _copy_slowly(source: Path, target: Path) -> None:
    """Write a file in two parts with a pause, as a slow USB or cloud copy does."""
    data = source.read_bytes()
    with target.open("wb") as out:
        out.write(data[: len(data) // 2])
        out.flush()
        time.sleep(0.3)
        out.write(data[len(data) // 2 :])


def test_files_that_appear_are_imported_once_each(watcher, shared_data: Path) -> None:
    watch, db, athlete_id, folder = watcher
    watch.wait_for("waiting")  # not plugged in yet
    folder.mkdir(parents=True)
    watch.wait_for("watching")
    _copy_slowly(shared_data / RUN_FIT, folder / "run.fit")
    first = watch.wait_for("imported")[0]
    assert first.summary is not None and first.summary.as_json()["imported"] == 1
    assert first.line == "run.fit: 1 new activity"
    time.sleep(0.3)  # several more listings: nothing new
    assert len([e for e in watch.events if e.kind == "imported"]) == 1

    shutil.copy(shared_data / RUN_FIT, folder / "copy of run.fit")  # the same content under another name
    shutil.copy(shared_data / DAMAGED, folder / "cut.fit")
    (folder / "notes.txt").write_text("not an activity")
    # The two files are usually one round, but a busy machine may pause between the copies long enough for the
    # first to settle alone: count over the rounds after the first until both are accounted for.
    deadline = time.monotonic() + 60
    while True:
        later = [e.summary.as_json() for e in watch.events if e.kind == "imported" and e.summary][1:]
        if sum(d["imported"] + d["skipped_identical"] for d in later) >= 2:
            break
        assert time.monotonic() < deadline, [e.line for e in watch.events]
        time.sleep(0.02)
    assert sum(d["imported"] for d in later) == 1  # the cut-off file kept what was readable
    assert sum(d["skipped_identical"] for d in later) == 1
    assert [p["file"] for d in later for p in d["partial"]] == ["cut.fit"]
    assert len(list_activities(db, athlete_id)) == 2


def test_watched_files_give_the_load_of_the_same_files_imported(watcher, shared_data: Path, tmp_path: Path) -> None:
    """The same runs through the watch folder and through a one-off import: the same sessions for the load."""
    from gluteguard.services.importer import import_paths
    from gluteguard.services.load import athlete_sessions

    watch, db, athlete_id, folder = watcher
    folder.mkdir(parents=True)
    watch.wait_for("watching")
    runs = [shared_data / RUN_FIT, shared_data / OTHER_RUN]
    for run in runs:
        shutil.copy(run, folder / run.name)
    deadline = time.monotonic() + 60
    while sum(e.summary.as_json()["imported"] for e in watch.events if e.summary) < 2:
        assert time.monotonic() < deadline, [e.line for e in watch.events]
        time.sleep(0.05)
    other = Database(f"sqlite:///{tmp_path / 'direct.sqlite'}")
    try:
        direct_id = ensure_athlete(other)
        import_paths(other, direct_id, runs, workers=1)
        watched, _ = athlete_sessions(db, athlete_id)
        direct, _ = athlete_sessions(other, direct_id)
        key = lambda s: (s.local_start, s.sport, round(s.distance_m, 3), round(s.duration_s, 3), s.trimp)  # noqa: E731
        assert sorted(map(key, watched)) == sorted(map(key, direct)) and len(direct) == 2
    finally:
        other.dispose()


def test_a_damaged_file_is_one_line_and_the_watch_goes_on(watcher, shared_data: Path) -> None:
    watch, db, athlete_id, folder = watcher
    folder.mkdir(parents=True)
    watch.wait_for("watching")
    (folder / "broken.fit").write_bytes(b"\x0e\x10not a fit file at all" * 3)
    bad = watch.wait_for("imported")[0]
    assert bad.summary is not None and len(bad.summary.failed) == 1
    assert "could not be read" in bad.line
    shutil.copy(shared_data / OTHER_RUN, folder / "bloemendaal.fit")
    good = watch.wait_for("imported", 2)[1]
    assert good.line == "bloemendaal.fit: 1 new activity"
    assert len(list_activities(db, athlete_id)) == 1


def test_a_folder_that_goes_away_is_waited_for_again(watcher, shared_data: Path) -> None:
    watch, _db, _athlete_id, folder = watcher
    folder.mkdir(parents=True)
    watch.wait_for("watching")
    waited = len([event for event in watch.events if event.kind == "waiting"])  # 0 or 1: the first listing may
    shutil.rmtree(folder.parent)  # the watch unplugged                          # have come before the mkdir
    watch.wait_for("waiting", waited + 1)
    folder.mkdir(parents=True)
    shutil.copy(shared_data / RUN_FIT, folder / "run.fit")
    watch.wait_for("watching", 2)
    assert watch.wait_for("imported")[0].line == "run.fit: 1 new activity"


def test_listing_does_not_follow_links_out_of_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.fit").write_bytes(b"x")
    folder = tmp_path / "watched"
    (folder / "2026" / "12").mkdir(parents=True)
    (folder / "2026" / "12" / "run.fit").write_bytes(b"yy")
    (folder / "link").symlink_to(outside)
    (folder / "link.fit").symlink_to(outside / "secret.fit")
    inside = folder / "2026" / "12" / "run.fit"
    assert list_folder(folder) == {inside: Seen(2, inside.stat().st_mtime_ns)}
    assert list_folder(tmp_path / "nowhere") is None


# --- the command line and the background service ---------------------------------------------------------------


def _script() -> Path:
    script = Path(sys.executable).with_name("gluteguard")
    if not script.exists():
        pytest.skip("the gluteguard console script is not installed beside this Python")
    return script


def test_cli_watch_streams_json_lines_and_stops_on_ctrl_c(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "GLUTEGUARD_DB"}
    argv = [str(_script()), "--db", str(tmp_path / "w.sqlite"), "import", "--watch", str(folder), "--every", "0.5",
            "--json"]  # fmt: skip
    # Ctrl+C as a terminal sends it: a test runner's worker may ignore SIGINT, and a child would inherit that.
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    try:
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        assert first["event"] == "watching" and str(folder) in first["message"]
        shutil.copy(shared_data / RUN_FIT, folder / "run.fit")
        imported = json.loads(process.stdout.readline())
        assert imported["event"] == "imported"
        assert imported["import"]["imported"] == 1 and imported["import"]["failed"] == []
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "Traceback" not in process.stderr.read()  # type: ignore[union-attr]
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_refuses_files_and_watch_together_and_nothing_at_all(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "GLUTEGUARD_DB"}
    base = [str(_script()), "--db", str(tmp_path / "w.sqlite"), "import"]
    both = subprocess.run([*base, str(tmp_path), "--watch", str(tmp_path)], capture_output=True, text=True, env=env)
    assert both.returncode != 0 and "either files to import or --watch DIR" in both.stderr
    assert len(both.stderr.strip().splitlines()) == 1
    nothing = subprocess.run(base, capture_output=True, text=True, env=env)
    assert nothing.returncode != 0 and "nothing to import" in nothing.stderr


@pytest.mark.parametrize("service", ["remind", "watch"])
def test_the_service_command_line_is_one_the_cli_accepts(service: str, tmp_path: Path) -> None:
    """The unit's ExecStart words, run with --help appended: a global option put after the command (as the remind
    unit once did) fails here with 'No such option'."""
    spec = user_service.REMIND if service == "remind" else user_service.watch_service(tmp_path / "Activity")
    argv = user_service.service_argv(_script(), str(tmp_path / "g.sqlite"), spec)
    done = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_watch_service_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    exe = tmp_path / "venv" / "bin" / "gluteguard"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    spec = user_service.watch_service(tmp_path / "My Drive" / "100% runs")
    linux = user_service.install_service(exe, None, platform="linux", home=home, service=spec)
    assert linux.path == home / ".config" / "systemd" / "user" / "gluteguard-watch.service"
    unit = linux.path.read_text()
    assert "Description=gluteguard: import new activity files from" in unit
    assert '"import" "--watch"' in unit and "100%% runs" in unit  # systemd's % specifiers disarmed
    if shutil.which("systemd-analyze"):
        done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(linux.path)], capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
    user_service.remove_service(platform="linux", home=home, service=spec)
    assert not linux.path.exists()
    mac = user_service.install_service(exe, "postgresql://x/y", platform="darwin", home=home, service=spec)
    import plistlib

    plist = plistlib.loads(mac.path.read_bytes())
    assert plist["Label"] == "org.gluteguard.watch"
    assert plist["ProgramArguments"] == [str(exe), "--db", "postgresql://x/y", "import", "--watch", str(spec.args[-1])]
    assert plist["StandardOutPath"].endswith("gluteguard-watch.log")
    with pytest.raises(user_service.ServiceError, match="absolute"):
        user_service.watch_service(Path("relative/folder"))
