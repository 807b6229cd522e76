"""Strava sync (issue 18): link the runner's own Strava API application, then bring in new activities with their
streams, names, shoes and perceived exertion, stored exactly as imported files are.

The runner registers an API application at https://www.strava.com/settings/api (the README says how) and gives its
client id and secret; ``authorization_url`` sends them to Strava, which redirects back to a loopback address with a
code that ``connect`` exchanges for tokens. Tokens live in the database, are refreshed before they expire (Strava
hands out a new refresh token each time, saved at once), and are never printed or logged.

``sync`` lists the activities since the newest one synced (an hour of overlap, see ``ingest.strava_api``), skips
those already stored, and for each new one fetches its details and streams and stores it in its own transaction
through the importer's ``store_prepared``: identical sources are skipped, near-copies of an imported file become
possible duplicates to review, and the resume point moves with every activity stored, so an interrupted sync goes
on where it stopped. The API's rate-limit headers are read after every request; when a window is used up the sync
says how long it waits and waits.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from sqlalchemy import func, select

from gluteguard.ingest.dedupe import TimeSpan
from gluteguard.ingest.model import FileFormat, ParseError
from gluteguard.ingest.plausible import checked
from gluteguard.ingest.sports import classify
from gluteguard.ingest.strava_api import (
    STREAM_KEYS,
    activity_from_api,
    rate_limit_wait,
    resume_after,
    source_key,
    sport_label,
    token_needs_refresh,
)
from gluteguard.services.import_prepare import PreparedFile, prepare_activity
from gluteguard.services.import_store import FileReport, already_imported, store_prepared, stored_duplicate
from gluteguard.store.db import Database
from gluteguard.store.models import Activity, StravaLinkRow

SCOPES = ["read", "activity:read_all", "profile:read_all"]  # private activities too: they are the runner's own
PAGE_SIZE = 100
MAX_TRIES = 3  # a request refused for the rate limit is tried again after the wait, at most this often


class StravaError(RuntimeError):
    """Linking or syncing cannot go on; the message is one line for the runner. ``final``: trying again cannot help
    until the runner acts (links again, approves the access); otherwise (Strava unreachable) a later try may."""

    def __init__(self, message: str, *, final: bool = True) -> None:
        super().__init__(message)
        self.final = final


@dataclass(frozen=True)
class StravaStatus:
    connected: bool
    client_id: int | None = None
    athlete: str | None = None
    scope: str | None = None
    newest_synced_start: datetime | None = None
    last_sync_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "connected": self.connected,
            "client_id": self.client_id,
            "athlete": self.athlete,
            "scope": self.scope,
            "newest_synced_start": self.newest_synced_start.isoformat() if self.newest_synced_start else None,
            "last_sync_at": self.last_sync_at.isoformat() if self.last_sync_at else None,
        }


@dataclass
class SyncSummary:
    listed: int = 0
    files: list[FileReport] = field(default_factory=list)
    already_synced: int = 0
    already_from_files: int = 0  # the same run imported from a file (the importer's duplicate rule): not fetched
    deleted: list[str] = field(default_factory=list)  # listed, gone before their details were fetched
    waited_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "listed": self.listed,
            "imported": sum(len(r.activity_ids) - len(r.duplicate_ids) for r in self.files),
            "possible_duplicates": sum(len(r.duplicate_ids) for r in self.files),
            "already_synced": self.already_synced + sum(r.status == "skipped_identical" for r in self.files),
            "already_imported_from_files": self.already_from_files,
            "failed": [{"activity": r.file, "reason": r.reason} for r in self.files if r.status == "failed"],
            "deleted_on_strava": self.deleted,
            "activity_ids": [i for r in self.files for i in r.activity_ids],
            "waited_for_rate_limit_s": round(self.waited_s),
        }


ProgressCallback = Callable[[int, int, str], None]  # (done, total, what is happening)


def _client(link: StravaLinkRow | None = None, on_wait: Callable[[float], None] | None = None,
            sleep: Callable[[float], None] = time.sleep) -> Any:  # fmt: skip
    """A stravalib client whose rate limiter waits as the API's headers say (imported here: only Strava needs it)."""
    from stravalib import Client
    from stravalib.util.limiter import RateLimiter, get_rates_from_response_headers

    class HeaderRateLimiter(RateLimiter):
        def __call__(self, args: dict[str, str], method: Any) -> None:
            rates = get_rates_from_response_headers(args, method)
            if rates is None:
                return
            wait = rate_limit_wait((rates.short_usage, rates.long_usage), (rates.short_limit, rates.long_limit),
                                   datetime.now(UTC))  # fmt: skip
            if wait > 0:
                if on_wait is not None:
                    on_wait(wait)
                sleep(wait)

    # stravalib warns on every new client that STRAVA_CLIENT_ID is not in the environment (it would refresh tokens
    # by itself from there); we keep the application's keys in the database and refresh them here, so say nothing.
    logging.disable(logging.WARNING)
    try:
        if link is None:
            return Client(rate_limiter=HeaderRateLimiter())
        return Client(access_token=link.access_token, refresh_token=link.refresh_token, token_expires=link.expires_at,
                      rate_limiter=HeaderRateLimiter())  # fmt: skip
    finally:
        logging.disable(logging.NOTSET)


def _link(session: Any, athlete_id: int) -> StravaLinkRow | None:
    return session.scalar(select(StravaLinkRow).where(StravaLinkRow.athlete_id == athlete_id))


def strava_status(db: Database, athlete_id: int) -> StravaStatus:
    with db.session() as session:
        link = _link(session, athlete_id)
        if link is None or link.access_token is None:
            return StravaStatus(False, client_id=None if link is None else link.client_id)
        return StravaStatus(True, link.client_id, link.strava_athlete_name, link.scope, link.newest_synced_start,
                            link.last_sync_at)  # fmt: skip


def authorization_url(client_id: int, redirect_uri: str, state: str) -> str:
    """Where the runner approves the link on Strava's site; Strava then redirects to ``redirect_uri`` with a code."""
    return _client().authorization_url(client_id=client_id, redirect_uri=redirect_uri, scope=SCOPES, state=state,
                                       approval_prompt="auto")  # fmt: skip


def _one_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def connect(
    db: Database, athlete_id: int, client_id: int, client_secret: str, code: str, scope: str = ""
) -> StravaStatus:
    """Exchange the code Strava's redirect brought for tokens, and keep them (replacing an earlier link)."""
    if "activity:read" not in scope and scope:
        raise StravaError("Strava was not allowed to share your activities: approve 'View data about your activities'")
    try:
        access, athlete = _client().exchange_code_for_token(client_id=client_id, client_secret=client_secret,
                                                            code=code, return_athlete=True)  # fmt: skip
    except Exception as error:  # stravalib raises requests' and its own errors: one line for the runner
        raise StravaError(f"Strava refused the link: {_one_line(error)}") from None
    name = None
    if athlete is not None:
        name = " ".join(part for part in (athlete.firstname, athlete.lastname) if part) or None
    with db.session() as session:
        link = _link(session, athlete_id) or StravaLinkRow(athlete_id=athlete_id, created_at=datetime.now(UTC))
        link.client_id, link.client_secret = client_id, client_secret
        link.access_token, link.refresh_token = access["access_token"], access["refresh_token"]
        link.expires_at = int(access["expires_at"])
        link.scope = scope or None
        link.strava_athlete_id = None if athlete is None else athlete.id
        link.strava_athlete_name = name
        session.add(link)
    return strava_status(db, athlete_id)


def begin_link(db: Database, athlete_id: int, client_id: int, client_secret: str) -> str:
    """Keep the application's keys and a fresh ``state`` for the web's round trip through Strava's approval page;
    returns the state, which Strava hands back with the code (an earlier link keeps working until then)."""
    if client_id <= 0 or not client_secret.strip():
        raise StravaError("give your Strava application's Client ID (a number) and Client Secret")
    state = secrets.token_urlsafe(24)
    with db.session() as session:
        link = _link(session, athlete_id) or StravaLinkRow(athlete_id=athlete_id, created_at=datetime.now(UTC))
        link.client_id, link.client_secret, link.pending_state = client_id, client_secret.strip(), state
        session.add(link)
    return state


def pending_client_id(db: Database, athlete_id: int) -> int | None:
    """The application a web link was begun with (for Strava's approval address)."""
    with db.session() as session:
        link = _link(session, athlete_id)
        return None if link is None or link.pending_state is None else link.client_id


def finish_link(db: Database, athlete_id: int, state: str, code: str, scope: str) -> StravaStatus:
    """Strava's redirect came back: the state must be the one ``begin_link`` gave (a forged redirect cannot link
    someone else's account), then the code is exchanged as ``connect`` does."""
    with db.session() as session:
        link = _link(session, athlete_id)
        expected = None if link is None else link.pending_state
        if expected is None or not secrets.compare_digest(expected, state):
            raise StravaError("this answer from Strava does not belong to a link begun here: start again")
        client_id, client_secret = link.client_id, link.client_secret  # type: ignore[union-attr]
    status = connect(db, athlete_id, client_id, client_secret, code, scope)
    with db.session() as session:
        link = _link(session, athlete_id)
        if link is not None:
            link.pending_state = None
    return status


def disconnect(db: Database, athlete_id: int) -> bool:
    """Revoke the link on Strava (best effort: the tokens are deleted here whatever Strava answers) and forget it.
    False when there was none. Synced activities stay: they are the runner's, like imported files."""
    with db.session() as session:
        link = _link(session, athlete_id)
        if link is None:
            return False
        token = link.access_token
        session.delete(link)
    if token:
        # offline or already revoked: the link is gone here, which is what was asked (the token travels in the
        # form body, never in a URL that a log could keep)
        with contextlib.suppress(Exception):
            _client().protocol.post("https://www.strava.com/oauth/deauthorize", data={"access_token": token})
    return True


def _fresh_tokens(db: Database, athlete_id: int, client: Any) -> None:
    """Refresh the access token when it expires within minutes, and save the new pair before anything else."""
    with db.session() as session:
        link = _link(session, athlete_id)
        if link is None or not token_needs_refresh(link.expires_at, time.time()):
            return
        try:
            access = client.refresh_access_token(link.client_id, link.client_secret, link.refresh_token)
        except Exception as error:
            raise StravaError(f"Strava refused to renew the link ({_one_line(error)}): connect again") from None
        link.access_token, link.refresh_token = access["access_token"], access["refresh_token"]
        link.expires_at = int(access["expires_at"])
        client.access_token, client.refresh_token = link.access_token, link.refresh_token
        client.token_expires = link.expires_at


def _get(client: Any, url: str, **params: Any) -> Any:
    """One GET, tried again after a 429 (the rate limiter has waited by then)."""
    from stravalib import exc

    for attempt in range(MAX_TRIES):
        try:
            return client.protocol.get(url, **params)
        except exc.Fault as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            if status != 429 or attempt == MAX_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def _listing(client: Any, after: int | None, page_size: int) -> Iterator[dict]:
    page = 1
    while True:
        params: dict[str, Any] = {"page": page, "per_page": page_size}
        if after is not None:
            params["after"] = after
        batch = _get(client, "/athlete/activities", **params)
        if not batch:
            return
        yield from batch
        if len(batch) < page_size:
            return
        page += 1


def _prepared(activity_id: int, detail: dict, streams: dict | None) -> PreparedFile:
    key = source_key(activity_id)
    original = json.dumps({"activity": detail, "streams": streams}, sort_keys=True).encode()
    title = detail.get("name") or "activity"
    prepared = PreparedFile(
        name=f"Strava {activity_id}: {title}"[:250],
        sha256=hashlib.sha256(key.encode()).hexdigest(),
        format=FileFormat.STRAVA_API.value,
        size_bytes=len(original),
        content_zlib=zlib.compress(original),
    )
    try:
        parsed = activity_from_api(detail, streams)
    except ParseError as error:
        prepared.error = str(error)
        return prepared
    kept, notes = checked(parsed)
    if kept is None:
        prepared.error = f"refused: {notes[0]}"
        return prepared
    prepared.activities = [prepare_activity(kept)]
    prepared.n_records = len(kept.streams)
    prepared.warnings = tuple(notes)
    return prepared


def sync(
    db: Database,
    athlete_id: int,
    *,
    since: date | None = None,
    on_progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    page_size: int = PAGE_SIZE,
) -> SyncSummary:
    """Bring in the activities new on Strava (from ``since`` when given, else since the newest synced)."""
    from stravalib import exc

    summary = SyncSummary()

    def waiting(seconds: float) -> None:
        summary.waited_s += seconds
        if on_progress is not None:
            on_progress(len(summary.files), summary.listed, f"Strava's rate limit: waiting {seconds / 60:.0f} min")

    with db.session() as session:
        link = _link(session, athlete_id)
        if link is None or link.access_token is None:
            raise StravaError("not linked to Strava yet: run `gluteguard strava connect` first")
        session.expunge(link)
    client = _client(link, waiting, sleep)
    _fresh_tokens(db, athlete_id, client)
    if since is not None:
        after: int | None = int(datetime.combine(since, clock(0), tzinfo=UTC).timestamp())
    else:  # since the last sync; the first one starts after the newest run already here (imported from files)
        after = resume_after(link.newest_synced_start or _newest_stored_start(db, athlete_id))
    try:
        listed = sorted(_listing(client, after, page_size), key=lambda a: str(a.get("start_date", "")))
        summary.listed = len(listed)
        for done, item in enumerate(listed):
            activity_id = int(item["id"])
            if on_progress is not None:
                on_progress(done, summary.listed, str(item.get("name") or activity_id))
            digest = hashlib.sha256(source_key(activity_id).encode()).hexdigest()
            with db.session() as session:
                if already_imported(session, athlete_id, digest):
                    summary.already_synced += 1
                    continue
            span = _span(item)
            if span is not None and stored_duplicate(db, athlete_id, span) is not None:
                summary.already_from_files += 1  # a bulk export's copy is here: no requests spent on it
                _advance(db, athlete_id, item)
                continue
            _fresh_tokens(db, athlete_id, client)
            try:
                detail = _get(client, f"/activities/{activity_id}", include_all_efforts=False)
                streams = None if detail.get("manual") else _get(
                    client, f"/activities/{activity_id}/streams", keys=",".join(STREAM_KEYS), key_by_type=True)
            except exc.ObjectNotFound:
                summary.deleted.append(f"{activity_id}: {item.get('name') or ''}".strip())
                continue
            report = store_prepared(db, athlete_id, _prepared(activity_id, detail, streams))
            summary.files.append(report)
            if report.status != "failed":
                _advance(db, athlete_id, item)
    except exc.AccessUnauthorized:
        raise StravaError("Strava no longer accepts the link (revoked on Strava?): connect again") from None
    except Exception as error:
        if type(error).__module__.startswith(("requests", "urllib3")) or isinstance(error, TimeoutError):
            # No network, a name that does not resolve, a timeout: the runner needs the cause, not the library's.
            raise StravaError("cannot reach Strava (is this computer online?); what was stored stays, run the sync"
                              " again later", final=False) from None  # fmt: skip
        if isinstance(error, exc.Fault | OSError):
            raise StravaError(f"Strava sync stopped: {_one_line(error)}; what was stored stays, run it again",
                              final=False) from None  # fmt: skip
        raise
    with db.session() as session:
        link_row = _link(session, athlete_id)
        if link_row is not None:
            link_row.last_sync_at = datetime.now(UTC)
    if on_progress is not None:
        on_progress(summary.listed, summary.listed, "done")
    return summary


def _newest_stored_start(db: Database, athlete_id: int) -> datetime | None:
    with db.session() as session:
        newest = session.scalar(select(func.max(Activity.start_utc)).where(Activity.athlete_id == athlete_id))
    return None if newest is None else _aware(newest)


def _span(item: dict) -> TimeSpan | None:
    """A listed activity's time and sport, as the duplicate rule compares them."""
    raw, elapsed = item.get("start_date"), item.get("elapsed_time")
    if not isinstance(raw, str) or not isinstance(elapsed, int | float):
        return None
    start = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    sport, _ = classify("strava", sport_label(item.get("sport_type") or item.get("type")))
    return TimeSpan(-1, start, start + timedelta(seconds=float(elapsed)), sport.value)


def _advance(db: Database, athlete_id: int, item: dict) -> None:
    """Move the resume point to this activity's start (activities are stored oldest first)."""
    raw = item.get("start_date")
    if not isinstance(raw, str):
        return
    start = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    with db.session() as session:
        link = _link(session, athlete_id)
        if link is not None and (link.newest_synced_start is None or start > _aware(link.newest_synced_start)):
            link.newest_synced_start = start


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
