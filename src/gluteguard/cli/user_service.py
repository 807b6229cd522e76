"""Run a gluteguard command in the background at login: a systemd user unit (Linux) or a launchd agent (macOS).

Two commands run this way: ``gluteguard remind`` (sitting-break reminders, :data:`REMIND`) and ``gluteguard import
--watch DIR`` (new activity files imported as they appear, :func:`watch_service`). Rendering is pure text;
``install_service``/``remove_service`` write or delete the one file and return the commands that enable or disable
it, running them only when asked. Every path is quoted for its format: systemd's own word splitting (double quotes,
C escapes, ``%%`` and ``$$``) and launchd's argument list (no shell at all).
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RESTART_DELAY_S = 30  # a crash loop retries twice a minute, not continuously


@dataclass(frozen=True)
class UserService:
    """One background command: its systemd unit name, launchd label, description and the words after the
    ``gluteguard`` executable and its ``--db`` option."""

    unit: str
    label: str
    description: str
    args: tuple[str, ...]
    installed_by: str  # the command line that writes it, named in the unit's first line
    removed_by: str

    @property
    def log_name(self) -> str:
        return self.unit.removesuffix(".service") + ".log"


REMIND = UserService(
    unit="gluteguard-remind.service",
    label="org.gluteguard.remind",
    description="gluteguard sitting-break reminders during work hours",
    args=("remind",),
    installed_by="gluteguard remind --install-service",
    removed_by="gluteguard remind --remove-service",
)
UNIT_NAME, LAUNCHD_LABEL = REMIND.unit, REMIND.label


def watch_service(folder: Path | str) -> UserService:
    """``gluteguard import --watch FOLDER`` as a service (one watched folder per user: installing again replaces
    it)."""
    folder = Path(folder)
    if not folder.is_absolute():
        raise ServiceError(f"the watched folder must be an absolute path, got {folder}")
    return UserService(
        unit="gluteguard-watch.service",
        label="org.gluteguard.watch",
        description=f"gluteguard: import new activity files from {folder}",
        args=("import", "--watch", str(folder)),
        installed_by="gluteguard import --watch DIR --install-service",
        removed_by="gluteguard import --remove-service",
    )


class ServiceError(RuntimeError):
    """Cannot install or remove the background service here; the message is one line."""


@dataclass(frozen=True)
class ServiceResult:
    path: Path  # the unit or plist written or removed
    commands: tuple[tuple[str, ...], ...]  # to run in order (argv lists, no shell)
    ran: bool
    failures: tuple[str, ...] = ()  # one line per failed command

    @property
    def command_line(self) -> str:
        """The commands as one shell line to show or copy."""
        return " && ".join(shlex.join(c) for c in self.commands)


def platform_kind(platform: str | None = None) -> str:
    """``systemd`` or ``launchd``; ServiceError on anything else."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        return "systemd"
    if platform == "darwin":
        return "launchd"
    raise ServiceError(
        f"a background service can be installed on Linux (systemd) and macOS (launchd), not on {platform}; "
        "run the command in a terminal or from your system's task scheduler instead"
    )


def service_argv(executable: Path | str, db: str | None = None, service: UserService = REMIND) -> list[str]:
    """The command the service runs: the absolute ``gluteguard`` executable, the database (a global option: it goes
    before the command), then the command's own words."""
    exe = Path(executable)
    if not exe.is_absolute():
        raise ServiceError(f"the gluteguard executable must be an absolute path, got {exe}")
    argv = [str(exe)]
    if db:
        argv += ["--db", db]
    argv += service.args
    for arg in argv:
        if "\n" in arg or "\r" in arg or "\0" in arg:
            raise ServiceError(f"cannot put a line break or NUL into a service command: {arg!r}")
    return argv


def find_executable() -> Path:
    """The ``gluteguard`` script beside this Python (the virtualenv's), else the one on PATH."""
    beside = Path(sys.executable).parent / ("gluteguard.exe" if os.name == "nt" else "gluteguard")
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("gluteguard")
    if found:
        return Path(found).absolute()
    raise ServiceError("cannot find the gluteguard executable; install the package or pass its path")


# ---------------------------------------------------------------------------------------------------------------
# Rendering (pure)
# ---------------------------------------------------------------------------------------------------------------


def _systemd_word(arg: str, *, executable: bool = False) -> str:
    """One ExecStart word: double-quoted with C escapes, systemd's % specifiers disarmed everywhere and its $
    variables in the arguments (systemd does not expand variables in the executable path, so there a $ stays)."""
    quoted = '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    quoted = quoted.replace("%", "%%")
    return quoted if executable else quoted.replace("$", "$$")


def render_systemd_unit(executable: Path | str, db: str | None = None, service: UserService = REMIND) -> str:
    argv = service_argv(executable, db, service)
    # systemd refuses quotes and backslashes in the executable path itself ("contains special characters").
    if any(c in argv[0] for c in "\"'\\"):
        raise ServiceError(f"systemd cannot run an executable whose path has quotes or backslashes: {argv[0]}")
    exec_start = " ".join(_systemd_word(a, executable=i == 0) for i, a in enumerate(argv))
    return (
        f"# Written by `{service.installed_by}`; remove with `{service.removed_by}`.\n"
        "[Unit]\n"
        f"Description={service.description.replace(chr(10), ' ')}\n"
        "After=graphical-session.target\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        f"ExecStart={exec_start}\n"
        "Restart=on-failure\n"
        f"RestartSec={RESTART_DELAY_S}\n"
        # Prompts printed to the journal appear at once instead of in buffered bursts.
        "Environment=PYTHONUNBUFFERED=1\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def render_launchd_plist(
    executable: Path | str, db: str | None = None, log_dir: Path | str | None = None, service: UserService = REMIND
) -> bytes:
    """The LaunchAgent: started at login, restarted when it exits with an error (KeepAlive/SuccessfulExit)."""
    plist: dict = {
        "Label": service.label,
        "ProgramArguments": service_argv(executable, db, service),
        "RunAtLoad": True,
        # Restart after a crash, not after a clean `remind` exit (the same rule as systemd's Restart=on-failure).
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": RESTART_DELAY_S,
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
        "ProcessType": "Background",
    }
    if log_dir is not None:
        log = str(Path(log_dir) / service.log_name)
        plist["StandardOutPath"] = log
        plist["StandardErrorPath"] = log
    return plistlib.dumps(plist)


def service_path(kind: str, home: Path | None = None, service: UserService = REMIND) -> Path:
    home = home or Path.home()
    if kind == "systemd":
        config = os.environ.get("XDG_CONFIG_HOME") if home == Path.home() else None
        return Path(config or home / ".config") / "systemd" / "user" / service.unit
    return home / "Library" / "LaunchAgents" / f"{service.label}.plist"


def enable_commands(kind: str, path: Path, service: UserService = REMIND) -> tuple[tuple[str, ...], ...]:
    if kind == "systemd":
        # restart: installing again (another folder to watch) replaces the running command
        return (("systemctl", "--user", "daemon-reload"), ("systemctl", "--user", "enable", "--now", service.unit),
                ("systemctl", "--user", "restart", service.unit))  # fmt: skip
    return (("launchctl", "load", "-w", str(path)),)


def disable_commands(kind: str, path: Path, service: UserService = REMIND) -> tuple[tuple[str, ...], ...]:
    """Commands that work after the file is gone: systemd stops the loaded unit by name, launchd removes the job
    by label (``unload`` would need the deleted plist)."""
    if kind == "systemd":
        return (("systemctl", "--user", "stop", service.unit), ("systemctl", "--user", "daemon-reload"))
    return (("launchctl", "remove", service.label),)


# ---------------------------------------------------------------------------------------------------------------
# Install / remove (edge)
# ---------------------------------------------------------------------------------------------------------------


def run_commands(commands: Sequence[Sequence[str]], timeout_s: float = 30.0) -> tuple[str, ...]:
    """Run each command; one line per failure (the first failure stops the rest, which depend on it)."""
    for argv in commands:
        line = shlex.join(argv)
        try:
            done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s, check=False)
        except FileNotFoundError:
            return (f"`{line}` failed: {argv[0]} is not installed",)
        except subprocess.TimeoutExpired:
            return (f"`{line}` failed: no answer within {timeout_s:g} s",)
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().splitlines()
            return (f"`{line}` failed (exit {done.returncode}): {why[0] if why else 'no message'}",)
    return ()


def install_service(
    executable: Path | str | None = None,
    db: str | None = None,
    *,
    run: bool = False,
    platform: str | None = None,
    home: Path | None = None,
    service: UserService = REMIND,
) -> ServiceResult:
    """Write the unit or plist for this platform; run the enable commands only when ``run`` is true."""
    kind = platform_kind(platform)
    exe = Path(executable) if executable is not None else find_executable()
    path = service_path(kind, home, service)
    if kind == "systemd":
        content: bytes = render_systemd_unit(exe, db, service).encode()
    else:
        content = render_launchd_plist(exe, db, (home or Path.home()) / "Library" / "Logs", service)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    except OSError as exc:
        raise ServiceError(f"cannot write {path}: {exc.strerror or exc}") from exc
    commands = enable_commands(kind, path, service)
    failures = run_commands(commands) if run else ()
    return ServiceResult(path, commands, run, failures)


def remove_service(
    *, run: bool = False, platform: str | None = None, home: Path | None = None, service: UserService = REMIND
) -> ServiceResult:
    """Delete the unit (and its enable link) or plist; run the disable commands only when ``run`` is true."""
    kind = platform_kind(platform)
    path = service_path(kind, home, service)
    doomed = [path]
    if kind == "systemd":  # what `systemctl disable` removes: the link `enable` made for WantedBy=default.target
        doomed.append(path.parent / "default.target.wants" / service.unit)
    for item in doomed:
        try:
            item.unlink(missing_ok=True)
        except OSError as exc:
            raise ServiceError(f"cannot remove {item}: {exc.strerror or exc}") from exc
    commands = disable_commands(kind, path, service)
    failures = run_commands(commands) if run else ()
    return ServiceResult(path, commands, run, failures)
