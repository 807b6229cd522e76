"""The deploy/ folder works as written (issue 17): systemd accepts the units, each ExecStart is a command line the
real CLI accepts, nginx accepts the proxy configuration, and backup.sh dumps a real gluteguard database that
pg_restore brings back whole (keeping only the newest dumps)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gluteguard.services.athletes import ensure_athlete
from gluteguard.store.db import Database

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
UNITS = ["gluteguard-web.service", "gluteguard-worker.service", "gluteguard-backup.service",
         "gluteguard-backup.timer"]  # fmt: skip
INSTALLED_EXE = "/opt/gluteguard/.venv/bin/gluteguard"


def _script() -> Path:
    script = Path(sys.executable).with_name("gluteguard")
    if not script.exists():
        pytest.skip("the gluteguard console script is not installed beside this Python")
    return script


def _exec_lines(unit: str) -> list[str]:
    return [line.split("=", 1)[1] for line in (DEPLOY / unit).read_text().splitlines()
            if line.startswith(("ExecStart=", "ExecStartPre="))]  # fmt: skip


@pytest.mark.parametrize("unit", ["gluteguard-web.service", "gluteguard-worker.service"])
def test_every_command_of_the_units_is_one_the_cli_accepts(unit: str, tmp_path: Path) -> None:
    env = {**os.environ, "GLUTEGUARD_DB": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    for line in _exec_lines(unit):
        words = shlex.split(line.replace("${GLUTEGUARD_HOST_NAME}", "clinic.example.org"))
        assert words[0] == INSTALLED_EXE
        done = subprocess.run([str(_script()), *words[1:], "--help"], capture_output=True, text=True, env=env,
                              timeout=60)  # fmt: skip
        assert done.returncode == 0, f"{line}: {done.stderr}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """The units as installed, with the paths pointed at this checkout (verify wants the programs to exist)."""
    for unit in UNITS:
        content = (DEPLOY / unit).read_text().replace(INSTALLED_EXE, str(_script()))
        content = content.replace("/opt/gluteguard/deploy/backup.sh", str(DEPLOY / "backup.sh"))
        (tmp_path / unit).write_text(content)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *[str(tmp_path / u) for u in UNITS]],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    # verify exits 0 on an unknown key or a misspelt section and only warns: every line about our units counts
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and not problems, done.stderr


@pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                    reason="nginx or openssl not installed (scripts/system-deps.sh installs nginx-light)")  # fmt: skip
def test_nginx_accepts_the_proxy_configuration(tmp_path: Path) -> None:
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=clinic.example.org", "-keyout", str(key), "-out", str(cert)], check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    site = (DEPLOY / "nginx-gluteguard.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/clinic.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/clinic.example.org/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    main = f"""pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    include {tmp_path}/site.conf;
}}
"""
    (tmp_path / "nginx.conf").write_text(main)
    done = subprocess.run(["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_backup_dumps_a_database_that_restores_whole(pg_url: str, tmp_path: Path) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed")
    database = Database(pg_url)
    try:
        ensure_athlete(database, "anna")
        ensure_athlete(database, "ben")
    finally:
        database.dispose()
    env = {**os.environ, "GLUTEGUARD_DB": pg_url, "GLUTEGUARD_BACKUP_DIR": str(tmp_path / "backups"),
           "GLUTEGUARD_BACKUP_KEEP": "2"}  # fmt: skip
    for _ in range(3):
        done = subprocess.run([str(DEPLOY / "backup.sh")], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("backup written: ")
    dumps = sorted((tmp_path / "backups").glob("gluteguard-*.dump"))
    assert len(dumps) <= 2 and not list((tmp_path / "backups").glob(".*partial"))
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "gg_restored"'))
    admin.dispose()
    restored_url = pg_url.rsplit("/", 1)[0] + "/gg_restored"
    try:
        plain = restored_url.replace("postgresql+psycopg:", "postgresql:")
        done = subprocess.run(["pg_restore", "--no-owner", "--dbname", plain, str(dumps[-1])], capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        engine = create_engine(restored_url)
        with engine.connect() as connection:
            names = sorted(connection.execute(text("SELECT name FROM athlete")).scalars())
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        engine.dispose()
        assert names == ["anna", "ben"] and revision is not None
    finally:
        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "gg_restored" WITH (FORCE)'))
        admin.dispose()
