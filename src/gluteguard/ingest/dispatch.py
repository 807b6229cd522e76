"""Recognise a file by its content and hand it to the right parser (pure: bytes in, ParseResult out)."""

from __future__ import annotations

from gluteguard.ingest.fit import parse_fit
from gluteguard.ingest.gpx import parse_gpx
from gluteguard.ingest.model import FileFormat, ParseError, ParseResult
from gluteguard.ingest.rules import import_rules
from gluteguard.ingest.sources import ArchiveRefused, gunzip_limited
from gluteguard.ingest.tcx import parse_tcx

GZIP_MAGIC = b"\x1f\x8b"
# How far into an XML file to look for its root element (after a prolog, comments or a stylesheet).
XML_SNIFF_BYTES = 4096


def is_gzip(data: bytes) -> bool:
    return data[:2] == GZIP_MAGIC


def unwrap(data: bytes) -> bytes:
    """The payload of a possibly gzip-compressed file (Strava's .fit.gz / .gpx.gz / .tcx.gz)."""
    if not is_gzip(data):
        return data
    try:
        return gunzip_limited(data, import_rules().archives)
    except ArchiveRefused as exc:
        raise ParseError(str(exc)) from exc


def detect_format(payload: bytes) -> FileFormat | None:
    """FIT by its header signature; GPX/TCX by their root element; None for anything else."""
    if len(payload) >= 12 and payload[8:12] == b".FIT":
        return FileFormat.FIT
    head = payload[:XML_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        if b"<trainingcenterdatabase" in head:
            return FileFormat.TCX
        if b"<gpx" in head:
            return FileFormat.GPX
    return None


PARSERS = {FileFormat.FIT: parse_fit, FileFormat.GPX: parse_gpx, FileFormat.TCX: parse_tcx}


def parse_payload(payload: bytes, name: str = "", *, fit_decoder: str = "auto") -> ParseResult:
    """Parse decompressed file bytes; raises ParseError with a one-line reason."""
    file_format = detect_format(payload)
    if file_format is None:
        if not payload:
            raise ParseError("empty file")
        if name.lower().removesuffix(".gz").endswith(".fit"):
            raise ParseError("not a valid FIT file (no FIT signature in its header: truncated or damaged?)")
        raise ParseError("not a FIT, GPX or TCX activity file")
    if file_format == FileFormat.FIT:
        return parse_fit(payload, decoder=fit_decoder)
    return PARSERS[file_format](payload)
