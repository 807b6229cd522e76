"""Uploads for the API: a per-request temporary folder that is always removed, size caps per file and in total,
a type check by suffix and by the file's first bytes, and a safe name on disk.

Files are streamed to disk by ``web.security.save_upload`` under a server-chosen name. The importer recognises
some wearable files by their base name (Fitbit's ``steps-2024-01-01.json``), so each saved file is then renamed,
inside its own numbered subfolder of the request's folder, to its client base name reduced to a whitelist of
characters: one path component that cannot be ``..`` or contain a separator, so it cannot leave that subfolder.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request, UploadFile

from gluteguard.web.security import UploadRefused, save_upload

MB = 1 << 20
SNIFF_BYTES = 4096


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
    client_name: str  # the base name the client sent, for display only
    path: Path  # where it is, inside the request's folder
    suffix: str


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


def check_content_length(request: Request, max_total: int) -> None:
    """Refuse before reading a body that says it is larger than the total cap (plus room for the form's
    boundaries), so an oversized upload is not spooled to disk first."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_total + MB:
        raise HTTPException(413, f"the upload is larger than {max_total // MB} MB in total")


def _suffix_of(name: str, suffixes: tuple[str, ...]) -> str | None:
    lower = name.lower()
    return next((s for s in sorted(suffixes, key=len, reverse=True) if lower.endswith(s)), None)


async def save_all(
    uploads: list[UploadFile], folder: Path, *, suffixes: tuple[str, ...], max_file: int, max_total: int
) -> list[SavedUpload]:
    """Save every upload into its own subfolder of ``folder``. 415 for a suffix not taken or content that does
    not match it, 413 past a cap, 422 for an empty file; nothing is kept past the request either way."""
    saved: list[SavedUpload] = []
    remaining = max_total
    for index, upload in enumerate(uploads):
        shown = client_base_name(upload.filename)
        suffix = _suffix_of(shown, suffixes)
        if suffix is None:
            raise HTTPException(415, f"'{shown}': not a file type this takes ({', '.join(suffixes)})")
        sub = folder / f"{index:04d}"
        cap = min(max_file, remaining)
        try:
            path = await save_upload(upload, sub, max_bytes=cap, suffixes=(suffix,))
        except UploadRefused as exc:
            if "empty" in str(exc):
                raise HTTPException(422, f"'{shown}': the file is empty") from None
            if cap < max_file:
                raise HTTPException(413, f"the files together are larger than {max_total // MB} MB") from None
            raise HTTPException(413, f"'{shown}': larger than {max_file // MB} MB") from None
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        sniff = SNIFFERS.get(suffix.rsplit(".", 1)[-1] and "." + suffix.rsplit(".", 1)[-1])
        if sniff is not None and not sniff(head):
            raise HTTPException(415, f"'{shown}': its content is not a {suffix} file")
        remaining -= path.stat().st_size
        target = sub / safe_name(upload.filename, suffix)
        if target.resolve().parent != sub.resolve():  # cannot happen with safe_name; checked all the same
            raise HTTPException(400, f"'{shown}': unusable file name")
        path.rename(target)
        saved.append(SavedUpload(shown, target, suffix))
    return saved
