"""What every command shares: the database and athlete chosen by the global options, and output helpers.

Kept light on purpose: every command, ``--help`` included, imports this module, so the database layer
(SQLAlchemy, numpy for the backfill) is imported only when a command first asks for ``state(ctx).db``.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from gluteguard.store.db import Database

console = Console()
errors = Console(stderr=True)
if not console.is_terminal:
    # Piped output has no width to follow; 120 columns keep tables unwrapped in files and CI logs.
    console.width = 120


# Set by ``cli.app.main`` (one command per process); off where the commands run inside another program (tests).
FREEZE_AT_OPEN = {"on": False}
# Commands that read the database, print and end: in their own process they start faster (see before_command).
READ_AND_END_COMMANDS = frozenset({"today", "status", "load", "plan", "checkins", "clearances"})


def before_command(command: str | None) -> None:
    """Called before the command runs, in a process that runs one command. ``cli.app.main`` paused the cyclic
    garbage collector for start-up: the imports build a few hundred thousand long-lived objects (modules, classes,
    SQLAlchemy's tables) that each collection would scan again and free nothing (~50 ms). A command that reads and
    ends keeps it paused until the database is open (``AppState.db``); any other (the server, the reminder loop, a
    worker, an import) gets it back now."""
    if command in READ_AND_END_COMMANDS:
        # Their numpy work is a few vectors, no matrix algebra: OpenBLAS need not start a thread per core when numpy
        # is imported (~0.1 s of CPU on the other core of a busy 2-core machine). A value the user set stays.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    else:
        gc.enable()


def keep_after_command(app_state: AppState, command: str | None) -> None:
    """After a command that changed the runner's data (a check-in, an import, done/skip, a profile change…), keep
    the coming days decided (``services/today_kept.py``) so that ``gluteguard today`` shows them without deciding
    again. A command that only read keeps nothing. Keeping is a speed-up: should it fail or be interrupted, the
    next ``today`` decides afresh, and the command's own outcome stands."""
    opened = app_state.opened()
    if command in READ_AND_END_COMMANDS or opened is None or app_state.version_at_open is None:
        return
    from gluteguard.services.today_kept import keep_if_changed

    try:
        keep_if_changed(*opened, app_state.version_at_open)
    except KeyboardInterrupt:
        return
    except Exception as exc:
        errors.print(f"[dim]note: the coming days were not kept for a faster `today` ({type(exc).__name__})[/]")


@dataclass
class AppState:
    db_option: str | None = None
    athlete_name: str = "me"
    _db: Database | None = field(default=None, repr=False)
    _athlete_id: int | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            from gluteguard.services.load import backfill_hr_histograms  # numpy: only when a command needs data
            from gluteguard.store.db import Database
            from gluteguard.store.location import resolve_database_url

            self._db = Database(resolve_database_url(self.db_option))
            backfill_hr_histograms(self._db)  # data the schema gained later, filled once at open, never in a read
            if FREEZE_AT_OPEN["on"]:
                # The command's modules are imported by now and live as long as the process: the cyclic garbage
                # collector need never scan them again (it otherwise rescans them while years of history are read).
                gc.freeze()
                gc.enable()  # paused since start-up for a command that reads and ends (cli.app.main)
        return self._db

    version_at_open: str | None = None  # the athlete's data version when first asked for (services/today_kept.py)

    @property
    def athlete_id(self) -> int:
        if self._athlete_id is None:
            from gluteguard.services.athletes import ensure_athlete
            from gluteguard.services.today_kept import current_version, keeps_days

            self._athlete_id = ensure_athlete(self.db, self.athlete_name)
            if keeps_days(self.db):  # to tell, when the command ends, whether it changed anything
                self.version_at_open = current_version(self.db, self._athlete_id)
        return self._athlete_id

    def opened(self) -> tuple[Database, int] | None:
        """The database and athlete this command opened, or None when it opened neither."""
        if self._db is None or self._athlete_id is None:
            return None
        return self._db, self._athlete_id


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def print_json(value: object) -> None:
    # A file name that is not valid UTF-8 reaches Python as lone surrogates: written as \udcXX escapes (valid JSON)
    # rather than as bytes that are not UTF-8.
    text = json.dumps(value, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def shown(text: str) -> str:
    """Text from a file or an archive made safe for the terminal: control characters (terminal escapes) and bytes
    that are not text become visible escapes, and Rich markup is escaped."""
    visible = "".join(
        ch if ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}") for ch in text
    )
    return escape(visible)


def day_option(value: str | None, option: str = "--date") -> date | None:
    """A day given on the command line (None when absent), or a one-line error: not a date, or outside the
    days the engines take (1900–2200)."""
    if not value:
        return None
    from gluteguard.symptoms.model import DayOutOfRange, check_day

    try:
        return check_day(date.fromisoformat(value), option)
    except DayOutOfRange as exc:
        raise fail(str(exc)) from None
    except ValueError:
        raise fail(f"{option}: '{value}' is not a date like 2026-03-01") from None


def fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {shown(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
