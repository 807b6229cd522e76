"""One walk over a FIT file's message headers, before fitfast sees it: the summary cut out into a tiny FIT file of
its own, and whether fitfast would panic on the file.

Why the cut-out: fitfast decodes (and CRC-checks) the whole file on every call, and it has no call that returns
several message kinds at once. Asking it for records, file_id, session and activity costs four full decodes
(benchmarks/README.md: ~14 ms of a ~30 ms per-file import). Walking the message headers in Python costs ~1 ms,
and decoding the cut-out summary file costs almost nothing, so the file is decoded once in full.

Why the hazard check: fitfast's Rust decoder (rustyfit 0.10) panics — "attempt to calculate the remainder with a
divisor of zero" — on a field whose base type it does not know (base type number above 16) when the field is not
in its profile, and on a developer field whose field_description names such a base type (or none). pyo3 turns the
panic into an exception that parse_fit catches, but Rust first prints "thread '<unnamed>' panicked at …" (and a
backtrace) to the process's stderr, i.e. into the server log, for every such upload. Such definitions are invalid
FIT (the protocol defines base types 0–16), none of the real files in shared/data has one, and the walk sees them
before fitfast does: those files go straight to fitdecode. Found by benchmarks/fuzz_parsers.py; reproducers in
tests/fuzz_corpus/fit_auto/.

The layout facts used here are the FIT protocol's (Garmin FIT SDK, "FIT File Structure"): a 12- or 14-byte
file header with the data size, then messages each led by a one-byte header — normal (bit 7 clear; bit 6 set
for a definition; bit 5 set when a definition carries developer fields; bits 0–3 the local type) or
compressed-timestamp (bit 7 set; bits 5–6 the local type) — then a 2-byte CRC; files may be chained.
Anything unexpected leaves the cut-out out (None) and the caller takes the slow, sure path.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from garmin_fit_sdk import CrcCalculator

FILE_ID, SESSION, ACTIVITY, FIELD_DESCRIPTION, DEVELOPER_DATA_ID = 0, 18, 34, 206, 207
SUMMARY_MESSAGES = frozenset({FILE_ID, SESSION, ACTIVITY, FIELD_DESCRIPTION, DEVELOPER_DATA_ID})
_HEADER_SIZE = 14
_PROTOCOL_VERSION = 0x20  # protocol 2.0
_PROFILE_VERSION = 2100  # written into the cut-out header only; decoders accept any profile version
_LAST_BASE_TYPE = 0x10  # uint64z: the FIT base type numbers are 0–16 (the low five bits of the base type byte)
_BASE_TYPE_ID_FIELD = 2  # field_description.fit_base_type_id


@dataclass(frozen=True)
class FitScan:
    summary: bytes | None  # the cut-out summary file; None when the walker is unsure
    fitfast_hazard: str | None  # why fitfast would panic on this file; None when it would not


@dataclass(frozen=True)
class _Definition:
    global_number: int
    size: int  # bytes of a data message's content
    raw: bytes  # the definition message itself, copied in front of summary messages
    fields: tuple[tuple[int, int, int], ...]  # (field number, size, base type byte)
    known_architecture: bool


def _definition(data: bytes, offset: int, has_developer_fields: bool) -> _Definition:
    architecture = data[offset + 2]
    # Any non-zero architecture byte reads as big-endian in rustyfit and fitdecode alike.
    global_number = struct.unpack_from("<H" if architecture == 0 else ">H", data, offset + 3)[0]
    field_count = data[offset + 5]
    position = offset + 6
    fields = tuple(
        (data[position + 3 * i], data[position + 3 * i + 1], data[position + 3 * i + 2]) for i in range(field_count)
    )
    size = sum(field_size for _, field_size, _ in fields)
    position += 3 * field_count
    if has_developer_fields:
        developer_count = data[position]
        size += sum(data[position + 1 + 3 * i + 1] for i in range(developer_count))
        position += 1 + 3 * developer_count
    if position > len(data):
        raise IndexError("definition runs past the end of the file")
    return _Definition(global_number, size, data[offset:position], fields, architecture in (0, 1))


def _unknown_base_type(definition: _Definition) -> str | None:
    for number, size, base_type in definition.fields:
        if size and (base_type & 0x1F) > _LAST_BASE_TYPE:
            return f"field {number} of message {definition.global_number} has unknown base type 0x{base_type:02x}"
    return None


def _developer_base_type(data: bytes, offset: int, definition: _Definition) -> str | None:
    """The hazard in a field_description data message at ``offset``: a missing or unknown fit_base_type_id."""
    position = offset + 1
    for number, size, _ in definition.fields:
        if number == _BASE_TYPE_ID_FIELD and size:
            value = data[position : position + size]
            if all((byte & 0x1F) <= _LAST_BASE_TYPE for byte in value):
                return None
            return f"a developer field description has unknown base type 0x{value[0]:02x}"
        position += size
    return "a developer field description has no base type"


def _walk_segment(data: bytes, start: int, end: int, out: bytearray | None) -> tuple[str | None, bool]:
    """Walk one FIT segment's messages the way a streaming decoder reads them, copying each summary message (with
    its definition) into ``out``. (fitfast hazard or None, whether the cut-out is complete and sure)."""
    definitions: dict[int, _Definition] = {}  # local type → definition
    sure = out is not None
    offset = start
    try:
        while offset < end:
            header = data[offset]
            if header & 0x40 and not header & 0x80:
                definition = _definition(data, offset, bool(header & 0x20))
                if (hazard := _unknown_base_type(definition)) is not None:
                    return hazard, False
                sure = sure and definition.known_architecture
                definitions[header & 0x0F] = definition
                offset += len(definition.raw)
                continue
            compressed = bool(header & 0x80)  # compressed timestamp header: always a data message
            definition = definitions.get((header >> 5) & 0x3 if compressed else header & 0x0F)
            if definition is None or offset + 1 + definition.size > len(data):
                return None, False  # decoders stop here (missing definition, end of file): nothing more is read
            describes_developer_field = definition.global_number == FIELD_DESCRIPTION
            if describes_developer_field and (hazard := _developer_base_type(data, offset, definition)) is not None:
                return hazard, False
            if definition.global_number in SUMMARY_MESSAGES:
                if compressed:
                    sure = False  # the cut-out would lose the message's time
                elif sure and out is not None:
                    out += definition.raw
                    out += data[offset : offset + 1 + definition.size]
            offset += 1 + definition.size
    except (IndexError, struct.error):
        return None, False  # a definition cut off by the end of the file: decoders stop there too
    return None, sure and offset == end


def scan_fit(data: bytes) -> FitScan:
    """Walk every chained segment of ``data``: the summary cut-out (file_id, session, activity and developer-field
    messages, in a small valid FIT file) and the fitfast hazard, if any."""
    out = bytearray()
    sure = True
    offset = 0
    while offset < len(data):
        header_size = data[offset]
        if header_size not in (12, 14) or data[offset + 8 : offset + 12] != b".FIT":
            sure = False  # not a FIT header: decoders stop here
            break
        data_size = struct.unpack_from("<I", data, offset + 4)[0]
        start, end = offset + header_size, offset + header_size + data_size
        truncated = end + 2 > len(data)
        # A truncated file is still walked: fitfast decodes (and may panic) before it reaches the missing end.
        hazard, segment_sure = _walk_segment(data, start, min(end, len(data)), None if truncated else out)
        if hazard is not None:
            return FitScan(None, hazard)
        sure = sure and segment_sure and not truncated
        if truncated:
            break
        offset = end + 2
    if not sure:
        return FitScan(None, None)
    header = bytearray(struct.pack("<BBHI4s", _HEADER_SIZE, _PROTOCOL_VERSION, _PROFILE_VERSION, len(out), b".FIT"))
    header += struct.pack("<H", CrcCalculator.calculate_crc(header, 0, 12))
    body = bytes(header) + bytes(out)
    return FitScan(body + struct.pack("<H", CrcCalculator.calculate_crc(body, 0, len(body))), None)


def summary_fit(data: bytes) -> bytes | None:
    """A small valid FIT file holding only the file_id, session, activity and developer-field messages of
    ``data`` (all chained segments), or None when the file's layout is not what this walker expects."""
    return scan_fit(data).summary
