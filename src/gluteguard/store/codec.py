"""Compact columnar encoding of activity streams: one zlib blob of typed little-endian columns.

Layout: a JSON header (column name, dtype, length) then the raw columns, all deflated together. It is
3–6× smaller than the same data as rows, decodes straight into NumPy, and needs no extra dependency.
"""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np

from gluteguard.ingest.model import STREAM_DTYPES, Streams

CODEC_NAME = "cols-zlib-1"
_HEADER_LENGTH = struct.Struct("<I")
# Level 3 deflate: within ~10 % of level 6's size at about half its cost, which matters for bulk import.
ZLIB_LEVEL = 3


def encode_streams(streams: Streams) -> tuple[list[str], bytes]:
    header: list[list[object]] = []
    chunks: list[bytes] = []
    for name, values in streams.columns.items():
        dtype = np.dtype(STREAM_DTYPES.get(name, "float32")).newbyteorder("<")
        array = np.ascontiguousarray(values, dtype=dtype)
        header.append([name, dtype.str, int(array.shape[0])])
        chunks.append(array.tobytes())
    head = json.dumps(header, separators=(",", ":")).encode()
    body = _HEADER_LENGTH.pack(len(head)) + head + b"".join(chunks)
    return [name for name, _, _ in header], zlib.compress(body, ZLIB_LEVEL)


def decode_streams(blob: bytes) -> Streams:
    body = zlib.decompress(blob)
    (head_length,) = _HEADER_LENGTH.unpack_from(body, 0)
    offset = _HEADER_LENGTH.size + head_length
    header = json.loads(body[_HEADER_LENGTH.size : offset])
    columns: dict[str, np.ndarray] = {}
    for name, dtype_str, length in header:
        dtype = np.dtype(dtype_str)
        size = dtype.itemsize * length
        columns[name] = np.frombuffer(body, dtype=dtype, count=length, offset=offset).astype(dtype.newbyteorder("="))
        offset += size
    return Streams(columns)
