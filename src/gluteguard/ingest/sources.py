"""Turn what the user points at (files, folders, zip archives, exports) into single files to parse.

Archives are read member by member, never extracted under their own names, so a member's name can never reach
the file system; names that try to climb out of the archive are still refused, as a sign of a malicious archive.
An archive on disk is read in place; a zip inside a zip is streamed to an anonymous temporary file. Size, ratio and
count caps (``import_rules.toml``) hold for the whole import, across nesting levels, and stop zip bombs early;
entries that overlap inside the archive (one compressed stream reused by many entries) are refused.
"""

from __future__ import annotations

import io
import itertools
import lzma
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from gluteguard.ingest.rules import ArchiveLimits, import_rules

ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx")
STRAVA_CSV_NAME = "activities.csv"


@dataclass(frozen=True)
class SourceUnit:
    """One file to parse: on disk (``path``) or already in memory (``data``, e.g. an archive member)."""

    name: str  # shown to the user: a path, or "archive.zip!member/path"
    path: str | None = None
    data: bytes | None = None
    meta: dict | None = None  # metadata an export gave for this file (e.g. Strava's CSV row)
    kind: str = "file"  # "file", or "strava_manual" for a CSV row with no file behind it
    spooled: bool = False  # ``path`` is a temporary copy of an archive member: remove it once parsed

    def discard(self) -> None:
        """Remove the temporary copy of a spooled member (nothing for any other unit)."""
        if self.spooled and self.path:
            Path(self.path).unlink(missing_ok=True)

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return Path(self.path).read_bytes()


@dataclass(frozen=True)
class SourceProblem:
    """Something that could not be read before parsing (bad archive, refused member, missing path)."""

    name: str
    reason: str


@dataclass
class ExpansionStats:
    ignored: list[str] = field(default_factory=list)  # files that are not activity files (e.g. JSON)


class ArchiveRefused(Exception):
    pass


# What opening a damaged zip can raise: no end record or a bad central directory (BadZipFile), a truncated file
# (OSError, EOFError), odd field values (ValueError), or a member needing a zip version Python lacks
# (NotImplementedError "zip file version 6.4", found by the fuzz test).
ARCHIVE_OPEN_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
)

# What reading one damaged zip member can raise: bad headers or CRC (BadZipFile), bad deflate/LZMA/bzip2 data,
# a truncated stream, an unsupported method, or a member flagged as encrypted (zipfile raises RuntimeError).
MEMBER_READ_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    OSError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    NotImplementedError,  # zipfile: a compression method Python cannot read
    RuntimeError,
)


def text_name(path: Path | str) -> str:
    """A path as text to store and show. A name written in another encoding than UTF-8 (a Latin-1 "café.fit" from an
    old disk) keeps its odd bytes as ``\\xNN`` escapes, the way a shell types them: the database and JSON take
    it, and it still names the same file."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", errors="backslashreplace")
    return text


def is_activity_name(name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(".gz"):
        lowered = lowered[:-3]
    return lowered.endswith(ACTIVITY_SUFFIXES) or is_wearable_name(lowered)


def is_wearable_name(name: str) -> bool:
    """Wearable files found by name inside folders and archives (Fitbit's per-day JSON); their content decides."""
    from gluteguard.ingest.fitbit import fitbit_file_kind

    return fitbit_file_kind(name) is not None


def is_folder(info: zipfile.ZipInfo) -> bool:
    """A folder entry. ``ZipInfo.is_dir`` raises IndexError on an entry with an empty name (found by fuzzing)."""
    return info.filename.endswith("/")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(name: str) -> str:
    """A member name fit for a one-line reason: control characters (a newline, a terminal escape) as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)


def unsafe_member_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def gunzip_limited(data: bytes, limits: ArchiveLimits) -> bytes:
    """Decompress gzip bytes (all members), refusing output beyond the size or ratio caps."""
    cap = min(limits.max_member_uncompressed_bytes, int(max(len(data), 1) * limits.max_compression_ratio))
    output = bytearray()
    remaining = data
    while remaining:
        decompressor = zlib.decompressobj(wbits=31)
        try:
            output += decompressor.decompress(remaining, cap + 1 - len(output))
        except zlib.error as exc:
            raise ArchiveRefused(f"damaged gzip data ({exc})") from exc
        if len(output) > cap:
            raise ArchiveRefused(
                f"gzip expands beyond the cap ({cap:,} bytes, ratio {limits.max_compression_ratio:g}:1)"
            )
        if not decompressor.eof:
            raise ArchiveRefused("truncated gzip data")
        remaining = decompressor.unused_data.lstrip(b"\x00")  # concatenated gzip members are legal
    return bytes(output)


class ImportBudget:
    """The archive caps of one import, shared by every zip it opens, however deeply nested."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.total = 0
        self.members = 0

    def take(self, info: zipfile.ZipInfo, archive_name: str) -> None:
        limits = self.limits
        self.members += 1
        if self.members > limits.max_members:
            raise ArchiveRefused(f"{archive_name}: more than {limits.max_members:,} members in this import")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1_000_000 and ratio > limits.max_compression_ratio:
            raise ArchiveRefused(
                f"{archive_name}!{one_line(info.filename)}: compression ratio {ratio:.0f}:1 exceeds "
                f"{limits.max_compression_ratio:g}:1 (zip bomb?)"
            )
        is_zip = info.filename.lower().endswith(".zip")
        cap = limits.max_member_uncompressed_bytes if is_zip else limits.max_activity_member_bytes
        if info.file_size > cap:
            name = f"{archive_name}!{one_line(info.filename)}"
            raise ArchiveRefused(f"{name}: member larger than the cap ({cap:,} bytes)")
        self.total += info.file_size
        if self.total > limits.max_total_uncompressed_bytes:
            raise ArchiveRefused(
                f"{archive_name}: uncompressed total of this import exceeds "
                f"{limits.max_total_uncompressed_bytes:,} bytes"
            )


def overlapping_entries(infos: list[zipfile.ZipInfo]) -> str | None:
    """The first pair of entries whose data overlap in the archive (a 'quoted overlap' zip bomb reuses one
    compressed stream for many entries; Python 3.11's zipfile does not refuse them), or None."""
    ordered = sorted((i for i in infos if not is_folder(i)), key=lambda i: i.header_offset)
    for first, second in itertools.pairwise(ordered):
        # A local header is at least 30 bytes and its data follows it: a lower bound, so a sound zip never trips it.
        end = first.header_offset + 30 + first.compress_size
        if second.header_offset < end:
            return f"entries {first.filename!r} and {second.filename!r} overlap"
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    # Read at most the declared size + 1 so a member that lies about its size cannot blow up memory.
    with archive.open(info) as handle:
        data = handle.read(min(info.file_size, cap) + 1)
    if len(data) > info.file_size:
        raise ArchiveRefused(f"{one_line(info.filename)}: member is larger than its header says")
    return data


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, target: IO[bytes]) -> None:
    """Stream a member into ``target``, never more than its declared size + 1 (a member that lies is refused)."""
    with archive.open(info) as handle:
        shutil.copyfileobj(_Capped(handle, min(info.file_size, cap) + 1), target, 1 << 20)
    if target.tell() > info.file_size:
        raise ArchiveRefused(f"{one_line(info.filename)}: member is larger than its header says")


def _spool_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> IO[bytes]:
    """A nested zip streamed into an anonymous temporary file (deleted on close), never whole in memory."""
    spool = tempfile.TemporaryFile(prefix="gluteguard-nested-")  # noqa: SIM115 - the caller closes it
    try:
        _copy_member(archive, info, cap, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def _spool_to_path(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> str:
    """A large member streamed into a temporary file under a server-chosen name; its path (the caller removes it)."""
    with tempfile.NamedTemporaryFile(prefix="gluteguard-member-", delete=False) as spool:
        try:
            _copy_member(archive, info, cap, spool)
        except BaseException:
            spool.close()
            Path(spool.name).unlink(missing_ok=True)
            raise
    return spool.name


class _Capped(io.RawIOBase):
    """A reader that stops after ``limit`` bytes."""

    def __init__(self, inner: io.BufferedIOBase | zipfile.ZipExtFile, limit: int) -> None:
        self.inner, self.left = inner, limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        chunk = self.inner.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(chunk)
        return chunk


MetaLookup = Callable[[str], "dict | None"]


def _no_meta(_name: str) -> dict | None:
    return None


def expand_zip(
    source: bytes | Path | io.IOBase,
    archive_name: str,
    limits: ArchiveLimits,
    stats: ExpansionStats,
    meta_for: MetaLookup = _no_meta,
    depth: int = 1,
    budget: ImportBudget | None = None,
) -> Iterator[SourceUnit | SourceProblem]:
    """Activity files inside a zip (and in zips inside it, up to the nesting cap), all within one budget."""
    budget = budget or ImportBudget(limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        infos = archive.infolist()
    except ARCHIVE_OPEN_ERRORS as exc:
        yield SourceProblem(archive_name, f"not a readable zip archive ({exc})")
        return
    with archive:
        overlap = overlapping_entries(infos)
        if overlap:
            yield SourceProblem(archive_name, f"refused: {overlap} (an overlapping-entry zip bomb?)")
            return
        for info in infos:
            if is_folder(info):
                continue
            member_name = f"{archive_name}!{one_line(info.filename)}"
            if unsafe_member_name(info.filename):
                yield SourceProblem(member_name, "refused: member path leaves the archive (path traversal)")
                continue
            lowered = info.filename.lower()
            is_zip = lowered.endswith(".zip")
            if not (is_activity_name(lowered) or is_zip or lowered.endswith(STRAVA_CSV_NAME)):
                stats.ignored.append(member_name)
                continue
            if info.flag_bits & 0x1:
                yield SourceProblem(member_name, "encrypted archive member (password-protected zips cannot be read)")
                continue
            if is_zip and depth >= limits.max_nesting_depth:
                yield SourceProblem(member_name, f"refused: zips nested deeper than {limits.max_nesting_depth}")
                continue
            try:
                budget.take(info, archive_name)
                if is_zip:
                    nested = _spool_member(archive, info, limits.max_member_uncompressed_bytes)
                elif info.file_size > limits.spool_above_bytes:
                    spooled = _spool_to_path(archive, info, limits.max_activity_member_bytes)
                else:
                    member = _read_member(archive, info, limits.max_activity_member_bytes)
            except ArchiveRefused as exc:
                yield SourceProblem(member_name, f"refused: {exc}")
                if "uncompressed total" in str(exc) or "members in this import" in str(exc):
                    return
                continue
            except MEMBER_READ_ERRORS as exc:
                yield SourceProblem(member_name, f"damaged archive member ({exc})")
                continue
            if is_zip:
                with nested:
                    yield from expand_zip(nested, member_name, limits, stats, meta_for, depth + 1, budget)
            elif info.file_size > limits.spool_above_bytes:
                yield SourceUnit(name=member_name, path=spooled, meta=meta_for(member_name), spooled=True)
            else:
                yield SourceUnit(name=member_name, data=member, meta=meta_for(member_name))


def expand_paths(
    paths: list[Path],
    stats: ExpansionStats,
    meta_for: MetaLookup = _no_meta,
    skip: frozenset[Path] = frozenset(),
    shown_as: Mapping[Path, str] | None = None,
) -> Iterator[SourceUnit | SourceProblem]:
    """Every activity file under the given paths, in a stable order; problems are yielded, not raised.
    Files in ``skip`` are left out (exports that are streamed on their own, like Apple Health's). ``shown_as`` names
    a given path for the user (an upload's own file name rather than the server's temporary copy): every unit,
    problem and refusal under that path carries it."""
    limits = import_rules().archives
    budget = ImportBudget(limits)  # one budget for the whole import, every archive and nesting level
    for root in paths:
        if not root.exists():
            yield SourceProblem(shown_name(root, root, shown_as), "no such file or folder")
            continue
        candidates = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in candidates:
            if path in skip:
                continue
            lowered = path.name.lower()
            name = shown_name(path, root, shown_as)
            if lowered.endswith(".zip"):  # read in place, member by member
                yield from expand_zip(path, name, limits, stats, meta_for, budget=budget)
            elif is_activity_name(lowered) or lowered == STRAVA_CSV_NAME or not root.is_dir():
                # A file named explicitly is always tried: its content decides what it is.
                yield SourceUnit(name=name, path=str(path), meta=meta_for(str(path)))
            else:
                stats.ignored.append(name)


def shown_name(path: Path, root: Path, shown_as: Mapping[Path, str] | None) -> str:
    """The name the user knows ``path`` by: under a root given a name, that name and the rest of the path."""
    label = (shown_as or {}).get(root)
    if label is None:
        return text_name(path)
    return label if path == root else f"{label}/{text_name(path.relative_to(root).as_posix())}"
