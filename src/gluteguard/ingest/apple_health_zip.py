"""An Apple Health ``export.zip``: find export.xml inside it, stream it out of the archive under the caps, and
hand the parser the route GPX files beside it; never extracted to disk."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from os import PathLike
from pathlib import PurePosixPath
from typing import IO

from gluteguard.ingest.apple_health import (
    EXPORT_XML,
    PREFERRED_EXPORT_DIR,
    BatchSink,
    Progress,
    apple_health_limits,
    parse_apple_health,
)
from gluteguard.ingest.apple_health_prolog import looks_like_apple_health
from gluteguard.ingest.model import ParseError
from gluteguard.ingest.rules import import_rules
from gluteguard.ingest.sources import ARCHIVE_OPEN_ERRORS, MEMBER_READ_ERRORS, unsafe_member_name
from gluteguard.ingest.wearable import WearableData


def find_export_xml(names: Iterable[str], max_depth: int | None = None) -> str | None:
    """The member holding the export: ``apple_health_export/export.xml`` first, else the shallowest
    ``export.xml`` at most ``max_depth`` folders deep (macOS ``__MACOSX/`` copies are ignored)."""
    depth_cap = apple_health_limits().max_export_depth if max_depth is None else max_depth
    candidates = []
    for name in names:
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if not parts or parts[-1] != EXPORT_XML or "__MACOSX" in parts or len(parts) - 1 > depth_cap:
            continue
        preferred = len(parts) >= 2 and parts[-2] == PREFERRED_EXPORT_DIR
        candidates.append((not preferred, len(parts), name))
    return min(candidates)[2] if candidates else None


def _is_folder(info: zipfile.ZipInfo) -> bool:
    # ZipInfo.is_dir() raises IndexError on an entry with an empty name (Python 3.11; found by fuzzing).
    return info.filename.endswith("/")


class _CappedReader:
    """A zip member's stream that refuses to give more bytes than the member's header declared."""

    def __init__(self, handle: IO[bytes], declared: int) -> None:
        self.handle = handle
        self.left = declared

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.handle.read(size)
        except MEMBER_READ_ERRORS as exc:
            # A damaged member (bad deflate data, CRC mismatch) fails on a read, also on the first one, which the
            # parser makes before its own error handling starts: refused here, in one line (found by fuzzing).
            raise ParseError(f"damaged archive member ({' '.join(str(exc).split())[:120]})") from None
        self.left -= len(data)
        if self.left < 0:
            raise ParseError("refused: export.xml is larger than its zip header says")
        return data


@dataclass(frozen=True)
class AppleExportZip:
    """An opened ``export.zip``: its export.xml member and a route lookup for :func:`parse_apple_health`."""

    archive: zipfile.ZipFile
    xml: zipfile.ZipInfo

    @property
    def base(self) -> str:
        return self.xml.filename.rpartition("/")[0]

    def open_xml(self) -> _CappedReader:
        return _CappedReader(self.archive.open(self.xml), self.xml.file_size)

    def route(self, path: str) -> bytes | None:
        """Bytes of a route a ``FileReference`` names (``/workout-routes/x.gpx``), relative to export.xml."""
        relative = path.replace("\\", "/").lstrip("/")
        if not relative or unsafe_member_name(relative):
            return None
        name = f"{self.base}/{relative}" if self.base else relative
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            return None
        limits = import_rules().archives
        if info.file_size > limits.max_member_uncompressed_bytes or (
            info.file_size > 1_000_000 and info.file_size / max(info.compress_size, 1) > limits.max_compression_ratio
        ):
            return None
        try:
            with self.archive.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except MEMBER_READ_ERRORS:
            return None
        return data if len(data) <= info.file_size else None


def export_zip_members(archive: zipfile.ZipFile) -> AppleExportZip:
    """Find and vet the export inside ``archive``; raises :class:`ParseError` when it is not a safe export.

    The whole archive is refused when any member name leaves it (path traversal: a sign of a crafted file),
    when it has more members than the archive cap, or when export.xml is bigger than its own cap or
    compressed beyond the archive ratio cap (a zip bomb). Nothing is extracted to disk.
    """
    archive_limits = import_rules().archives
    limits = apple_health_limits()
    infos = archive.infolist()
    if len(infos) > archive_limits.max_members:
        raise ParseError(f"refused: the archive has more than {archive_limits.max_members:,} members")
    if any(unsafe_member_name(info.filename) for info in infos):
        raise ParseError("refused: an archive member's path leaves the archive (path traversal)")
    name = find_export_xml((info.filename for info in infos if not _is_folder(info)), limits.max_export_depth)
    if name is None:
        raise ParseError("not an Apple Health export (no export.xml in the archive)")
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise ParseError("encrypted archive member (password-protected zips cannot be read)")
    if info.file_size > limits.max_export_xml_bytes:
        raise ParseError(f"refused: export.xml larger than {limits.max_export_xml_bytes:,} bytes")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > 1_000_000 and ratio > archive_limits.max_compression_ratio:
        raise ParseError(
            f"refused: export.xml compression ratio {ratio:.0f}:1 exceeds "
            f"{archive_limits.max_compression_ratio:g}:1 (zip bomb?)"
        )
    return AppleExportZip(archive=archive, xml=info)


def looks_like_apple_health_zip(archive: zipfile.ZipFile) -> bool:
    """Whether a zip holds an Apple Health export: an export.xml (see :func:`find_export_xml`) whose first
    64 KiB pass :func:`looks_like_apple_health`."""
    name = find_export_xml(info.filename for info in archive.infolist() if not _is_folder(info))
    if name is None:
        return False
    try:
        with archive.open(name) as handle:
            head = handle.read(64 * 1024)
    except MEMBER_READ_ERRORS:
        return False
    return looks_like_apple_health(head)


def parse_apple_health_zip(
    source: str | PathLike[str] | IO[bytes], *, on_progress: Progress | None = None, on_batch: BatchSink | None = None
) -> WearableData:
    """Parse an ``export.zip`` (a path or a seekable binary file), streaming export.xml out of the archive
    and attaching route GPX files from ``workout-routes/``. Raises :class:`ParseError`."""
    try:
        archive = zipfile.ZipFile(source)
    except ARCHIVE_OPEN_ERRORS as exc:
        raise ParseError(f"not a readable zip archive ({str(exc)[:120]})") from None
    with archive:
        export = export_zip_members(archive)
        try:
            stream = export.open_xml()
        except MEMBER_READ_ERRORS as exc:
            raise ParseError(f"damaged archive member ({str(exc)[:120]})") from None
        try:
            return parse_apple_health(stream, routes=export.route, on_progress=on_progress, on_batch=on_batch)
        finally:
            stream.handle.close()
