"""A fast CLI (issue 16 item 10): what importing the CLI pulls in, the schema revision read without Alembic, the
first ``today`` saying how to start, and a wrong ``import`` path as one line. No timing here: that is
``benchmarks/cli_startup.py``'s job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from gluteguard.cli.app import app
from gluteguard.samples.fitwriter import encode_fit
from gluteguard.samples.runner import one_hour_synthetic_run
from gluteguard.store.db import MIGRATIONS_DIR, Database, _head_from_scripts, current_revision, head_revision

# Libraries only some commands need (the web app, migrations, charts, video, XML parsing): never at start-up.
# (http.server: the redirect catcher of `strava connect`.)
NEVER_AT_START = ("fastapi", "uvicorn", "alembic", "plotly", "scipy", "mediapipe", "cv2", "lxml", "http.server")
# The database layer: only commands that open the database need it (`--help` does not).
DATABASE_LAYER = ("sqlalchemy", "numpy")
# Nor does `today` on a current SQLite database need the template engine, the job queue (the worker's), calendar
# export, PostgreSQL's driver, the desktop notifier or Markdown (Typer's rich help).
NEVER_FOR_TODAY = (*NEVER_AT_START, "starlette", "jinja2", "procrastinate", "icalendar", "psycopg",
                   "desktop_notifier", "markdown_it")  # fmt: skip


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "GLUTEGUARD_DB"}
    env["COLUMNS"] = "80"  # narrow on purpose: a one-line message must not wrap
    return env


def _imported_after(statement: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` a fresh interpreter has imported after ``statement`` (a subprocess: this test process
    has imported everything already)."""
    code = f"import json, sys\n{statement}\nprint(json.dumps([n for n in {list(names)!r} if n in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), check=True)
    return json.loads(done.stdout)


def _gluteguard(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from gluteguard.cli.app import main; sys.argv[0] = 'gluteguard'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=_env())


def test_importing_the_cli_leaves_the_heavy_libraries_out() -> None:
    assert _imported_after("import gluteguard.cli.app", NEVER_AT_START) == []


def test_importing_the_cli_leaves_the_database_layer_out() -> None:
    assert _imported_after("import gluteguard.cli.app", DATABASE_LAYER) == []


def test_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.sqlite'}"
    Database(url).dispose()  # created and migrated here, with Alembic
    opened = f"from gluteguard.store.db import Database\nDatabase({url!r}).dispose()"
    assert _imported_after(opened, ("alembic",)) == []


def test_today_imports_none_of_the_heavy_libraries_and_ends_with_the_collector_on(tmp_path: Path) -> None:
    """``today`` as a runner types it (its own process, through ``main``); no timing here."""
    url = f"sqlite:///{tmp_path / 'current.sqlite'}"
    Database(url).dispose()  # created and migrated here: Alembic belongs to the first open only
    code = (
        "import gc, json, sys\n"
        "from gluteguard.cli.app import main\n"
        f"sys.argv = ['gluteguard', '--db', {url!r}, 'today', '--json']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        f"    imported = [n for n in {list(NEVER_FOR_TODAY)!r} if n in sys.modules]\n"
        "    print(json.dumps({'imported': imported, 'collector_on': gc.isenabled()}), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert done.returncode == 0, done.stderr
    assert isinstance(json.loads(done.stdout), dict)  # the command ran and printed its JSON
    after = json.loads(done.stderr.strip().splitlines()[-1])
    assert after == {"imported": [], "collector_on": True}  # paused for start-up only (cli/context.py)


def test_the_newest_revision_read_from_the_scripts_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    assert _head_from_scripts() == head_revision() == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def test_the_revision_read_with_sql_is_alembics_and_an_old_schema_is_migrated_on_open(db_url: str) -> None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    from gluteguard.store.db import _alembic_config

    def alembics(database: Database) -> str | None:
        with database.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    empty = Database(db_url, migrate=False)
    assert current_revision(empty.engine) is None and alembics(empty) is None
    empty.dispose()
    database = Database(db_url)
    head = head_revision()
    assert current_revision(database.engine) == alembics(database) == head
    assert head is not None and head != "0001"
    command.downgrade(_alembic_config(database.engine), "-1")
    older = current_revision(database.engine)
    assert older is not None and older != head and older == alembics(database)
    database.dispose()
    reopened = Database(db_url)  # the schema is always migrated on open
    assert current_revision(reopened.engine) == head
    reopened.dispose()


def test_today_on_an_empty_database_says_how_to_start(tmp_path: Path) -> None:
    path = tmp_path / "new runner.sqlite"
    result = CliRunner().invoke(app, ["--db", str(path), "today"], env={"GLUTEGUARD_DB": ""})
    assert result.exit_code == 0, result.output
    assert "No runs imported yet" in result.stdout
    # the exact command, with the database chosen on this command line (quoted: the path has a space)
    assert f"gluteguard --db '{path}' import ~/Downloads/export_" in result.stdout
    assert "Strava or Garmin export" in result.stdout and "FIT files" in result.stdout
    as_json = CliRunner().invoke(app, ["--db", str(path), "today", "--json"])
    assert as_json.exit_code == 0 and isinstance(json.loads(as_json.stdout), dict)  # JSON stays pure

    run = tmp_path / "run.fit"
    run.write_bytes(encode_fit(one_hour_synthetic_run(11)))
    imported = CliRunner().invoke(app, ["--db", str(path), "import", str(run), "--workers", "1"])
    assert imported.exit_code == 0, imported.output
    after = CliRunner().invoke(app, ["--db", str(path), "today"])
    assert after.exit_code == 0 and "No runs imported yet" not in after.stdout


def test_the_import_hint_leaves_out_a_database_chosen_by_the_environment(tmp_path: Path) -> None:
    path = str(tmp_path / "env.sqlite")
    result = CliRunner().invoke(app, ["today"], env={"GLUTEGUARD_DB": path})
    assert result.exit_code == 0, result.output
    assert "  gluteguard import ~/Downloads/export_" in result.stdout and "--db" not in result.stdout


def test_import_of_a_path_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    database = tmp_path / "never_created.sqlite"
    missing = tmp_path / "no" / "such" / "export_12345678.zip"
    done = _gluteguard("--db", str(database), "import", str(missing))
    assert done.returncode != 0
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout + done.stderr
    assert str(missing) in lines[0] and "no such file or folder" in lines[0] and lines[0].startswith("error:")
    assert not database.exists()  # refused before any database is opened


def test_help_lists_every_command() -> None:
    """The commands are registered without their services imported, so the help still names them all."""
    done = _gluteguard("--help")
    assert done.returncode == 0, done.stderr
    for command in ("import", "today", "plan", "checkin", "status", "load", "gait", "sitting", "serve", "db"):
        assert command in done.stdout
