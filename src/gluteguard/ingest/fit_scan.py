"""Cut the few summary messages of a FIT file out into a tiny FIT file of their own.

Why: fitfast decodes (and CRC-checks) the whole file on every call, and it has no call that returns several
message kinds at once. Asking it for records, file_id, session and activity costs four full decodes
(benchmarks/README.md: ~14 ms of a ~30 ms per-file import). Walking the message headers in Python costs ~1 ms,
and decoding the cut-out summary file costs almost nothing, so the file is decoded once in full.

The layout facts used here are the FIT protocol's (Garmin FIT SDK, "FIT File Structure"): a 12- or 14-byte
file header with the data size, then messages each led by a one-byte header — normal (bit 7 clear; bit 6 set
for a definition; bit 5 set when a definition carries developer fields; bits 0–3 the local type) or
compressed-timestamp (bit 7 set; bits 5–6 the local type) — then a 2-byte CRC; files may be chained.
Anything unexpected returns None and the caller takes the slow, sure path.
"""

from __future__ import annotations

import struct

from garmin_fit_sdk import CrcCalculator

FILE_ID, SESSION, ACTIVITY, FIELD_DESCRIPTION, DEVELOPER_DATA_ID = 0, 18, 34, 206, 207
SUMMARY_MESSAGES = frozenset({FILE_ID, SESSION, ACTIVITY, FIELD_DESCRIPTION, DEVELOPER_DATA_ID})
_HEADER_SIZE = 14
_PROTOCOL_VERSION = 0x20  # protocol 2.0
_PROFILE_VERSION = 2100  # written into the cut-out header only; decoders accept any profile version


def _definition(data: bytes, offset: int, has_developer_fields: bool) -> tuple[int, int, int]:
    """(global message number, data message size, definition length) of the definition at ``offset``."""
    architecture = data[offset + 2]
    if architecture not in (0, 1):
        raise ValueError("bad architecture byte")
    global_number = struct.unpack_from("<H" if architecture == 0 else ">H", data, offset + 3)[0]
    field_count = data[offset + 5]
    position = offset + 6
    size = sum(data[position + 3 * i + 1] for i in range(field_count))
    position += 3 * field_count
    if has_developer_fields:
        developer_count = data[position]
        size += sum(data[position + 1 + 3 * i + 1] for i in range(developer_count))
        position += 1 + 3 * developer_count
    return global_number, size, position - offset


def _scan_segment(data: bytes, start: int, end: int, out: bytearray) -> None:
    """Copy each summary message of one FIT segment, preceded by its definition, into ``out``."""
    definitions: dict[int, tuple[int, int, bytes]] = {}  # local type → (global number, size, definition)
    offset = start
    while offset < end:
        header = data[offset]
        if header & 0x80:  # compressed timestamp header: always a data message
            global_number, size, definition = definitions[(header >> 5) & 0x3]
            if global_number in SUMMARY_MESSAGES:
                raise ValueError("summary message with a compressed timestamp")
            offset += 1 + size
        elif header & 0x40:
            global_number, size, length = _definition(data, offset, bool(header & 0x20))
            definitions[header & 0x0F] = (global_number, size, data[offset : offset + length])
            offset += length
        else:
            global_number, size, definition = definitions[header & 0x0F]
            if global_number in SUMMARY_MESSAGES:
                out += definition
                out += data[offset : offset + 1 + size]
            offset += 1 + size
    if offset != end:
        raise ValueError("messages overrun the segment")


def summary_fit(data: bytes) -> bytes | None:
    """A small valid FIT file holding only the file_id, session, activity and developer-field messages of
    ``data`` (all chained segments), or None when the file's layout is not what this walker expects."""
    out = bytearray()
    offset = 0
    try:
        while offset < len(data):
            header_size = data[offset]
            if header_size not in (12, 14) or data[offset + 8 : offset + 12] != b".FIT":
                return None
            data_size = struct.unpack_from("<I", data, offset + 4)[0]
            start, end = offset + header_size, offset + header_size + data_size
            if end + 2 > len(data):
                return None
            _scan_segment(data, start, end, out)
            offset = end + 2
    except (KeyError, IndexError, ValueError, struct.error):
        return None
    header = bytearray(struct.pack("<BBHI4s", _HEADER_SIZE, _PROTOCOL_VERSION, _PROFILE_VERSION, len(out), b".FIT"))
    header += struct.pack("<H", CrcCalculator.calculate_crc(header, 0, 12))
    body = bytes(header) + bytes(out)
    return body + struct.pack("<H", CrcCalculator.calculate_crc(body, 0, len(body)))
