"""Uploads: one pipeline for the API and the web pages, with the same checks and the same names on disk.

``save_uploads(files, folder, suffixes=…, max_file=…, max_total=…, max_file_for=…)`` streams each upload
(``web.security.save_upload``) into its own numbered subfolder of ``folder`` under a server-chosen name and checks
it, the same way for every caller:

* its suffix is one the caller takes (else 415);
* it is not empty (else 422);
* it is within its cap, ``max_file_for[suffix]`` or else ``max_file`` (else 413);
* its first bytes look like a file of that suffix (``SNIFFERS``; else 415): a renamed file is caught here, not
  deep in a parser.

A kept file is then renamed to its client base name reduced to a whitelist of characters (``safe_name``): one path
component that cannot be ``..`` or contain a separator, so it cannot leave its subfolder (the importer recognises
some wearable files by their base name, Fitbit's ``steps-2024-01-01.json``). A refused file is removed and listed
as a ``Refusal`` (client name, HTTP status, one line); the others still go through. Once the files together would
pass ``max_total`` the batch stops (``over_total``, and a 413 refusal): every caller refuses the whole request
then. The API answers the first refusal as its error; the import page lists them per file.

Also here: ``request_folder`` (a temporary folder removed however the request ends), ``declared_over`` (refuse a
body by its declared length before it is spooled to disk) and, for the pages' multipart forms,
``read_upload_form`` (that check, then the CSRF token).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile

from gluteguard.web.security import CSRF_FIELD, UploadRefused, save_upload, verify_csrf

MB = 1 << 20
SNIFF_BYTES = 4096
MULTIPART_SLACK = MB  # boundaries and headers on top of the files themselves


def _text(head: bytes) -> bool:
    return b"\x00" not in head


def _markup(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _iso_media(head: bytes) -> bool:  # MP4 / QuickTime boxes
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


# What the first bytes of each accepted suffix look like: cheap checks that catch a renamed file.
SNIFFERS: dict[str, Callable[[bytes], bool]] = {
    ".fit": lambda head: len(head) >= 12 and head[8:12] == b".FIT",
    ".gz": lambda head: head[:2] == b"\x1f\x8b",
    ".zip": lambda head: head[:4] in (b"PK\x03\x04", b"PK\x05\x06"),
    ".gpx": _markup,
    ".tcx": _markup,
    ".xml": _markup,
    ".json": _json,
    ".csv": _text,
    ".trc": _text,
    ".txt": _text,
    ".c3d": lambda head: len(head) >= 2 and head[1] == 0x50,  # the C3D header's parameter-section marker
    ".mp4": _iso_media,
    ".m4v": _iso_media,
    ".mov": _iso_media,
    ".avi": lambda head: head[:4] == b"RIFF" and head[8:12] == b"AVI ",
    ".mkv": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
    ".webm": lambda head: head[:4] == b"\x1a\x45\xdf\xa3",
}


@dataclass(frozen=True)
class SavedUpload:
    """One upload kept: checked, and named safely inside its own subfolder."""

    client_name: str  # the base name the client sent, for display only
    path: Path  # where it is, inside the request's folder
    suffix: str  # the accepted suffix it ends with (lower case)


@dataclass(frozen=True)
class Refusal:
    """One upload not kept, and why."""

    client_name: str
    status: int  # the HTTP status that says why: 400 name, 413 size, 415 type or content, 422 empty
    reason: str  # one line for the user, naming the file


@dataclass
class SavedUploads:
    """What ``save_uploads`` made of a request's files."""

    saved: list[SavedUpload] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)  # in upload order
    over_total: bool = False  # the files together passed ``max_total``: the rest were not read


class UploadProblem(ValueError):
    """The whole upload is refused (too large, too many files, nothing chosen, a bad field); one line."""


@contextmanager
def request_folder(prefix: str = "gluteguard-upload-") -> Iterator[Path]:
    """A fresh temporary folder for one request's files, removed however the request ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def client_base_name(name: str | None) -> str:
    """The last component of whatever path the client sent (display only)."""
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"


def safe_name(name: str | None, suffix: str) -> str:
    """A file name from the client's base name: letters, digits, ``._-`` only, no leading dot, ending in
    ``suffix``; ``upload<suffix>`` when nothing usable is left."""
    base = re.sub(r"[^A-Za-z0-9._-]", "_", client_base_name(name)).lstrip(".")[:120]
    if not base.lower().endswith(suffix):
        base = (base + suffix) if base else ""
    return base if base and base not in (".", "..") and len(base) > len(suffix) else f"upload{suffix}"


def declared_over(request: Request, max_total: int) -> int | None:
    """The body's declared length when it passes ``max_total`` (plus room for the form's boundaries), else None:
    refused by it, an oversized upload is not spooled to disk first."""
    declared = request.headers.get("content-length")
    size = int(declared) if declared and declared.isdigit() else None
    return size if size is not None and size > max_total + MULTIPART_SLACK else None


async def read_upload_form(request: Request, max_total: int, max_files: int) -> tuple[list[UploadFile], dict]:
    """A page's multipart form: its files (field ``files``) and text fields, after refusing an over-large body by
    its declared length and checking the CSRF token. Raises ``UploadProblem``."""
    declared = declared_over(request, max_total)
    if declared is not None:
        raise UploadProblem(f"the upload is {declared / MB:.0f} MB; at most {max_total >> 20} MB at a time")
    form = await request.form(max_files=max_files, max_fields=20)
    verify_csrf(request, str(form.get(CSRF_FIELD) or ""))
    files = [item for item in form.getlist("files") if isinstance(item, UploadFile) and item.filename]
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return files, fields


def _suffix_of(name: str, suffixes: tuple[str, ...]) -> str | None:
    lower = name.lower()
    return next((s for s in sorted(suffixes, key=len, reverse=True) if lower.endswith(s)), None)


def _content_matches(path: Path, suffix: str) -> bool:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    sniff = SNIFFERS.get("." + suffix.rsplit(".", 1)[-1])
    return sniff is None or sniff(head)


async def _save_one(
    upload: UploadFile, sub: Path, shown: str, suffix: str, cap: int
) -> tuple[SavedUpload | None, Refusal | None]:
    """One upload streamed, checked and renamed (see the module's docstring), or why not."""
    try:
        path = await save_upload(upload, sub, max_bytes=cap, suffixes=(suffix,))
    except UploadRefused as exc:
        reason = f"'{shown}': the file is empty" if exc.status == 422 else f"'{shown}': larger than {cap // MB} MB"
        return None, Refusal(shown, exc.status, reason)
    if not _content_matches(path, suffix):
        path.unlink(missing_ok=True)
        return None, Refusal(shown, 415, f"'{shown}': its content is not a {suffix} file")
    target = sub / safe_name(upload.filename, suffix)
    if target.resolve().parent != sub.resolve():  # cannot happen with safe_name; checked all the same
        path.unlink(missing_ok=True)
        return None, Refusal(shown, 400, f"'{shown}': unusable file name")
    path.rename(target)
    return SavedUpload(shown, target, suffix), None


async def save_uploads(
    files: Sequence[UploadFile],
    folder: Path,
    *,
    suffixes: tuple[str, ...],
    max_file: int,
    max_total: int,
    max_file_for: Mapping[str, int] | None = None,
) -> SavedUploads:
    """Save and check every upload into its own subfolder of ``folder`` (the module's docstring has the checks);
    refused files are listed, not raised. The caller removes ``folder``."""
    batch = SavedUploads()
    remaining = max_total
    for index, upload in enumerate(files):
        try:
            shown = client_base_name(upload.filename)
            suffix = _suffix_of(shown, suffixes)
            if suffix is None:
                reason = f"'{shown}': not a file type this takes ({', '.join(suffixes)})"
                batch.refused.append(Refusal(shown, 415, reason))
                continue
            file_cap = (max_file_for or {}).get(suffix, max_file)
            saved, refusal = await _save_one(upload, folder / f"{index:04d}", shown, suffix, min(file_cap, remaining))
        finally:
            await upload.close()
        if refusal is not None and refusal.status == 413 and remaining < file_cap:
            batch.refused.append(Refusal(shown, 413, f"the files together are larger than {max_total // MB} MB"))
            batch.over_total = True
            break
        if refusal is not None:
            batch.refused.append(refusal)
        if saved is not None:
            batch.saved.append(saved)
            remaining -= saved.path.stat().st_size
    return batch
