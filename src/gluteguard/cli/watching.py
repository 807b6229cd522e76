"""``gluteguard import --watch DIR``: keep importing what appears in a folder, in the foreground or as a user
service (the loop is ``services.watch.watch_folder``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.text import Text

from gluteguard.cli.context import console, errors, fail, state


def _service(ctx: typer.Context, folder: Path | None, install: bool, remove: bool) -> None:
    from gluteguard.cli.user_service import ServiceError, install_service, remove_service, watch_service

    try:
        if install:
            if folder is None:
                raise fail("--install-service needs the folder to watch: --watch DIR --install-service")
            service = watch_service(folder.expanduser().absolute())
            result = install_service(db=state(ctx).db_option, run=True, service=service)
        else:
            result = remove_service(run=True, service=watch_service(Path("/")))
    except ServiceError as error:
        raise fail(str(error)) from None
    console.print(Text(f"{'installed' if install else 'removed'}: {result.path}"))
    if install:
        console.print(Text(f"from your next login, new activity files in {folder} are imported in the background"))
    for failure in result.failures:
        console.print(Text(f"could not run: {failure}", style="yellow"))


def watch_command(
    ctx: typer.Context,
    folder: Path | None,
    *,
    every: float,
    json_output: bool,
    install: bool,
    remove: bool,
    fit_decoder: str,
) -> None:
    if install or remove:
        _service(ctx, folder, install, remove)
        return
    assert folder is not None  # import_command calls this with --watch or a service flag
    from gluteguard.ingest.fit import FIT_DECODERS
    from gluteguard.services.watch import WatchEvent, watch_folder

    if fit_decoder not in FIT_DECODERS:
        raise fail(f"--fit-decoder: use one of {', '.join(FIT_DECODERS)}")
    folder = folder.expanduser()
    if folder.exists() and not folder.is_dir():
        raise fail(f"{folder}: not a folder; --watch takes the folder new files appear in")
    app_state = state(ctx)
    from gluteguard.services.today_kept import ComingDaysKeeper

    athlete_id = app_state.athlete_id
    keeper = ComingDaysKeeper(app_state.db, app_state.athlete_name)  # a fast `today` after each file imported

    def show(event: WatchEvent) -> None:
        if event.kind == "imported":
            keeper.soon()
        if json_output:  # one JSON object per line, as it happens
            record: dict = {"event": event.kind, "message": event.line}
            if event.summary is not None:
                record["import"] = event.summary.as_json()
            # JSON Lines: a script reads each event as it comes, not one document at the end
            sys.stdout.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
            sys.stdout.flush()
            return
        target = errors if event.kind == "error" else console
        target.print(Text(event.line, style="red" if event.kind == "error" else ""), soft_wrap=True)
        if event.summary is not None:
            for report in event.summary.failed:
                errors.print(Text(f"failed {report.file}: {report.reason or ''}"), soft_wrap=True)

    try:
        watch_folder(app_state.db, athlete_id, folder, on_event=show, interval_s=every,
                     fit_decoder=fit_decoder)  # fmt: skip
    except KeyboardInterrupt:
        if not json_output:
            console.print(Text("stopped watching"))
        raise typer.Exit(0) from None
    finally:
        keeper.stop()
