"""``gluteguard`` with no command (issue 16, onboarding): on a new machine it prints the first steps in plain words —
the profile, an import with how to get a Strava, Garmin or Apple Health export, the first check-in, the plan —
without creating a database; each step is ticked once done, and a set-up runner is pointed to ``today``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.runner import one_hour_synthetic_run


def _gluteguard(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The command as a runner types it, in a fresh process whose home (and so its default database) is ``home``."""
    env = {key: value for key, value in os.environ.items() if key != "GLUTEGUARD_DB"}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local/share"), COLUMNS="200")
    code = "import sys; from gluteguard.cli.app import main; sys.argv[0] = 'gluteguard'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=home)


def test_a_new_machine_gets_the_first_steps_and_no_database(tmp_path: Path) -> None:
    done = _gluteguard(home=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for line in ("1. About you", "2. Your runs", "3. Your first check-in", "4. Your week"):
        assert line in out
    assert "gluteguard athlete set --birth-year" in out
    assert "From Strava: on strava.com" in out and "Request Your Archive" in out
    assert "From Garmin:" in out and "From Apple Health:" in out
    assert "gluteguard import ~/Downloads/export_12345678.zip" in out
    assert "gluteguard checkin" in out and "gluteguard plan" in out
    assert "http://127.0.0.1:8000/welcome" in out and "gluteguard --help" in out
    assert out.index("About you") < out.index("Your runs") < out.index("first check-in") < out.index("Your week")
    assert "--db" not in out  # the default database: the commands as the runner types them
    assert not list(tmp_path.rglob("*.sqlite")), "a look at the steps must not create a database"
    assert "Traceback" not in done.stderr and done.stderr == ""


def test_steps_tick_off_and_a_set_up_runner_is_sent_to_today(tmp_path: Path) -> None:
    db = str(tmp_path / "mine.sqlite")
    runner = CliRunner()

    def steps() -> str:
        result = runner.invoke(app, ["--db", db])
        assert result.exit_code == 0, result.output
        return result.output

    assert "1. About you\n" in steps()
    runner.invoke(app, ["--db", db, "athlete", "set", "--running-days", "tue,thu,sat"])
    after_profile = steps()
    assert "1. About you (done)" in after_profile and f"gluteguard --db {db} import" in after_profile
    assert "athlete set" not in after_profile  # a done step shows no command
    fit = tmp_path / "run.fit"
    fit.write_bytes(encode_fit(one_hour_synthetic_run(1)))
    assert runner.invoke(app, ["--db", db, "import", str(fit), "--workers", "1"]).exit_code == 0
    assert "2. Your runs (done)" in steps()
    assert runner.invoke(app, ["--db", db, "checkin", "--pain-at-rest", "0"]).exit_code == 0
    final = steps()
    assert final.startswith("You are set up.") and f"gluteguard --db {db} today" in final
    assert "1. About you" not in final
