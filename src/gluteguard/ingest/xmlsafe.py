"""Safe, streaming reading of untrusted XML activity files (GPX, TCX) and of the text values inside them.

Activity files come from anywhere (exports, e-mail, forums), so the XML layer refuses entity
declarations (billion laughs, XXE), never touches the network or the file system, and reports any
parser failure as a one-line :class:`ParseError`. Elements are matched by local name only, because
every producer (Garmin, Strava, Polar, GPX 1.0/1.1, TCX ``TPX`` extensions) uses other namespaces.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from lxml import etree

from gluteguard.ingest.model import ParseError
from gluteguard.ingest.summary import finite_float

_UTF8_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
# A DOCTYPE's internal subset is the only place entities can be declared. Checking the raw bytes for
# "<!ENTITY" (also in UTF-16, the other encoding XML parsers must accept) refuses those documents before
# libxml2 sees them; the parser options below are the second line of defence.
_ENTITY_MARKERS = (b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))
_LINE_SUFFIX = re.compile(r",?\s*line \d+(, column \d+)?\s*$")
# Timestamps outside this window cannot come from a GPS recording; they are damaged values.
_EARLIEST_EPOCH_S = 0.0  # 1970-01-01
_LATEST_EPOCH_S = 4_102_444_800.0  # 2100-01-01

_local_names: dict[str, str] = {}


def local_name(tag: object) -> str:
    """Tag without its namespace (``{ns}trkpt`` → ``trkpt``); "" for comments, PIs and entities."""
    if not isinstance(tag, str):
        return ""
    name = _local_names.get(tag)
    if name is None:
        # Cached: a file has a handful of distinct tags but hundreds of thousands of elements.
        name = tag.rpartition("}")[2]
        if len(_local_names) < 4096:  # bounded, so hostile files with random tags cannot grow it
            _local_names[tag] = name
    return name


def _prepare(data: bytes) -> bytes:
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    # Strava writes ~10 spaces before "<?xml"; libxml2 rejects a declaration that is not at offset 0.
    data = data.lstrip(_WHITESPACE)
    if not data:
        raise ParseError("empty file")
    if any(marker in data for marker in _ENTITY_MARKERS):
        raise ParseError("refused: the document declares XML entities (entity-expansion/external-entity risk)")
    return data


def _syntax_error(error: etree.LxmlError) -> ParseError:
    message = str(getattr(error, "msg", None) or error).splitlines()[0] if str(error) else "unknown error"
    reason = _LINE_SUFFIX.sub("", message).strip().rstrip(",") or "unknown error"
    if len(reason) > 120:
        reason = reason[:117] + "..."
    line = getattr(error, "lineno", None)
    if isinstance(line, int) and line > 0:
        return ParseError(f"not well-formed XML: {reason}, line {line}")
    return ParseError(f"not well-formed XML: {reason}")


def iter_xml_end_events(data: bytes, names: Iterable[str]) -> Iterator[etree._Element]:
    """Yield the elements of ``data`` with these local names as they close, in any or no namespace.

    Raises only :class:`ParseError`. Filtering happens inside libxml2 (``{*}name``), so the ~10 child
    elements of each track point cost no Python call; callers read children from the yielded element
    and clear what they have read.
    """
    source = io.BytesIO(_prepare(data))
    events = etree.iterparse(
        source,
        events=("end",),
        tag=[f"{{*}}{name}" for name in names],
        resolve_entities=False,  # keep entity references as nodes rather than expanding them
        no_network=True,
        load_dtd=False,
        huge_tree=False,  # keeps libxml2's limits on depth, text size and entity amplification
        remove_comments=True,
        remove_pis=True,
        recover=False,
        chunk_size=1 << 18,  # fewer parser round trips; files are already in memory
    )
    try:
        for _event, element in events:
            yield element
    except etree.LxmlError as error:
        raise _syntax_error(error) from None
    except (ValueError, LookupError, UnicodeError) as error:  # e.g. an unknown declared encoding
        raise ParseError(f"not well-formed XML: {str(error).splitlines()[0][:120]}") from None


def drop_read_siblings(element: etree._Element) -> None:
    """Free ``element`` and its already-read previous siblings, so memory stays flat on long tracks."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def text_float(text: str | None) -> float | None:
    """A finite float from element text, or None when absent or not a number (damaged values are skipped)."""
    return finite_float(text)


def parse_timestamp(text: str | None) -> tuple[float, int | None, bool] | None:
    """ISO 8601 time → (POSIX seconds, UTC offset in seconds or None, whether the offset was missing).

    A time without an offset is taken as UTC (the GPX and TCX schemas require UTC). Returns None when
    the text is absent, unreadable or outside 1970–2100.
    """
    if not text:
        return None
    text = text.strip()
    try:
        # Python 3.11's fromisoformat reads "Z", offsets and any fraction digits, and is implemented in C.
        moment = datetime.fromisoformat(text)
        offset = moment.utcoffset()
        naive = offset is None
        if naive:
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp()
    except (ValueError, OverflowError, TypeError):
        return None
    if not _EARLIEST_EPOCH_S <= seconds < _LATEST_EPOCH_S:
        return None
    offset_s = None if offset is None else int(offset.total_seconds())
    return seconds, offset_s, naive
