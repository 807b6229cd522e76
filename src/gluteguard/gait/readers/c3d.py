"""C3D motion-capture files → ``MarkerTrial`` (markers, vertical force, labelled gait events), via ``ezc3d``.

Axes: C3D files keep the capture system's own lab frame (the Dorn sprint is +X right, +Y forward, +Z up; the RBDS
file is already +X anterior, +Y up, +Z right). Both are turned into the lab frame of :mod:`gluteguard.gait.mocap`
(+X anterior, +Y up, +Z right) by detecting up (pelvis above feet) and anterior (ASIS in front of PSIS/sacrum)
from the markers themselves; ``meta["axis_map"]`` records the mapping, e.g. ``X=+Yfile, Y=+Zfile, Z=+Xfile``.

Forces: each plate's vertical channel (the third of ``FORCE_PLATFORM:CHANNEL``). Type-4 plates store volts and a
``CAL_MATRIX``; the force is the matrix times the channels (RBDS001 T35: 1000 N/V on Fz, so a raw 1.6 is 1.6 kN,
which is why the raw analogs look like kN although labelled N). Plates are summed and the sign is set so that
loading is positive. Times are absolute (first frame / rate), as the event times are.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import struct
import tempfile
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from gluteguard.gait.mocap import GaitEvent, GroundForces, MarkerTrial
from gluteguard.gait.model import KeypointError
from gluteguard.gait.readers.axes import lab_rotation
from gluteguard.gait.readers.trc import UNIT_TO_METRES, source_bytes

_EVENT_KINDS = {"foot strike": "foot_strike", "foot off": "foot_off"}


# --- layout check before ezc3d -------------------------------------------------------------------------------------
# ezc3d (C++) trusts the file's own sizes and pointers: fuzzing found damaged files that make it segfault (a parameter
# record pointing backwards), loop forever (a parameter of type 0) or allocate gigabytes (dimensions or frame counts
# far beyond the file). Every size and pointer it follows is checked here first against the file's length, so a
# damaged file is refused in one line instead of taking the process down. Layout: the C3D file format user guide
# (c3d.org, "The C3D File Format"): 512-byte blocks; the header block's word 1 holds the parameter block number and
# the key 0x50, words 2–5 the point count, analog measurements per frame, first and last frame, words 7–8 the scale
# factor (negative: float data), word 9 the data block, word 10 analog samples per frame; the parameter section starts
# with its processor type (84 Intel, 85 DEC, 86 MIPS big-endian), then group and parameter records.

_BLOCK = 512
_PROCESSORS = {84: "<", 85: "<", 86: ">"}
_PARAMETER_TYPES = (-1, 1, 2, 4)  # char, byte, int16, float
_MAX_DIMENSIONS = 7


def _parameter_records(raw: bytes, start: int, order: str) -> tuple[set[int], set[int]]:
    """(group ids, group ids the parameters name), walking the records; ValueError on a record out of bounds."""
    groups: set[int] = set()
    owners: set[int] = set()
    position = start + 4
    while True:
        if position + 2 > len(raw):
            raise ValueError("a parameter record runs past the end of the file")
        name_length, group = struct.unpack_from("bb", raw, position)
        if name_length == 0:
            return groups, owners  # the end of the parameter section
        pointer = position + 2 + abs(name_length)
        if pointer + 2 > len(raw):
            raise ValueError("a parameter record runs past the end of the file")
        offset = struct.unpack_from(order + "h", raw, pointer)[0]
        following = pointer + offset if offset else len(raw)
        if (offset and offset < 2) or following > len(raw):
            raise ValueError("a parameter record points outside the parameter section")
        if group < 0:
            groups.add(-group)
        else:
            owners.add(group)
            if pointer + 4 > following:
                raise ValueError("a parameter record is cut short")
            kind, dimension_count = struct.unpack_from("bB", raw, pointer + 2)
            if kind not in _PARAMETER_TYPES or dimension_count > _MAX_DIMENSIONS:
                raise ValueError(f"a parameter has type {kind} with {dimension_count} dimensions")
            size = abs(kind) * math.prod(raw[pointer + 4 : pointer + 4 + dimension_count])
            if pointer + 4 + dimension_count + size > following:
                raise ValueError("a parameter's values run past its record")
        if not offset:
            return groups, owners
        position = following


def check_layout(raw: bytes, label: str) -> None:
    """Refuse, in one line, a C3D file whose header or parameter records do not fit inside the file."""
    parameter_block = raw[0]
    start = (parameter_block - 1) * _BLOCK
    if parameter_block < 2 or start + 4 > len(raw):
        raise KeypointError(f"{label}: not a readable C3D file (parameter section outside the file)")
    order = _PROCESSORS.get(raw[start + 3])
    if order is None:
        raise KeypointError(f"{label}: not a readable C3D file (unknown processor type {raw[start + 3]})")
    try:
        groups, owners = _parameter_records(raw, start, order)
    except ValueError as error:
        raise KeypointError(f"{label}: not a readable C3D file ({error})") from None
    if not owners <= groups:
        raise KeypointError(f"{label}: not a readable C3D file (a parameter belongs to no group)")
    points, analogs, first, last = struct.unpack_from(order + "HHHH", raw, 2)
    data_block, samples_per_frame = struct.unpack_from(order + "HH", raw, 16)
    if last < first or (analogs and (not samples_per_frame or analogs % samples_per_frame)):
        raise KeypointError(f"{label}: not a readable C3D file (inconsistent frame or analog counts in the header)")
    # The scale factor's sign says float (4 bytes a value) or integer (2 bytes); its sign bit sits in the byte that
    # holds the float's top bits: the last for Intel, the first for MIPS, the second for DEC.
    sign_byte = {84: 15, 85: 13, 86: 12}[raw[start + 3]]
    value_bytes = 4 if raw[sign_byte] & 0x80 else 2
    frame_bytes = (points * 4 + analogs) * value_bytes
    data_start = (data_block - 1) * _BLOCK
    if data_block < 2 or data_start + (last - first + 1) * frame_bytes > len(raw):
        raise KeypointError(f"{label}: not a readable C3D file (the file is shorter than its header says)")


# --- ezc3d in a child process ------------------------------------------------------------------------------------
# The layout check above does not make ezc3d safe: fuzzing still found files that pass it and make ezc3d segfault or
# ask for gigabytes (a POINT:SCALE of the wrong sign, a parameter renamed into a group). A native crash cannot be
# caught in Python, and in the web app it would take the server process down. So ezc3d reads in a child process,
# forked from a server that has it imported (a few milliseconds a file), under a memory cap and a time limit: a
# crash, a blow-up or a hang there is one refusal line here.

_CHILD_MEMORY_BYTES = 3 << 30  # address space: ezc3d keeps an object per marker per frame, ~100 B each
_CHILD_SECONDS = 4.0  # + _CHILD_SECONDS_PER_MB: a real 2.5 MB trial reads in 0.1 s
_CHILD_SECONDS_PER_MB = 0.5


def _plain(value: object) -> object:
    """ezc3d's mapping objects as plain dicts and lists (they hold SWIG handles, which cannot cross processes)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray | np.generic | str | int | float | bool) or value is None:
        return value
    return None


def _read_in_child(path: str, sender: Connection) -> None:
    """Runs in the child: ezc3d's reading of ``path``, sent back as plain data or as the reason it failed."""
    resource.setrlimit(resource.RLIMIT_AS, (_CHILD_MEMORY_BYTES, _CHILD_MEMORY_BYTES))
    try:
        import ezc3d  # imported here so that the rest of the gait package works without it

        c3d = ezc3d.c3d(path, extract_forceplat_data=False)
        data = {"points": c3d["data"]["points"], "analogs": c3d["data"]["analogs"]}
        sender.send(("read", _plain({"header": c3d["header"], "parameters": c3d["parameters"], "data": data})))
    except (OSError, RuntimeError, ValueError, IndexError, KeyError, MemoryError) as error:
        text = str(error)
        # "std::bad_alloc" when the file's sizes ask for more memory than the cap; ezc3d's own messages may end
        # with the temporary file's path after a colon, which the user never needs to see.
        reason = "its sizes ask for too much memory" if "bad_alloc" in text else text.split(":")[0].strip()
        sender.send(("refused", " ".join(reason.split())[:120] or type(error).__name__))


def _read_isolated(path: str, label: str, size: int) -> dict:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["numpy", "ezc3d"])
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_read_in_child, args=(path, sender), daemon=True)
    child.start()
    sender.close()
    limit = _CHILD_SECONDS + _CHILD_SECONDS_PER_MB * size / 1e6
    try:
        if not receiver.poll(limit):
            raise KeypointError(f"{label}: not a readable C3D file (reading it took longer than {limit:.0f} s)")
        outcome, payload = receiver.recv()
    except EOFError:  # the child died without a word: a crash or the memory cap
        child.join(1.0)
        raise KeypointError(f"{label}: not a readable C3D file (the C3D reader failed on it)") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(1.0)
    if outcome != "read":
        raise KeypointError(f"{label}: not a readable C3D file ({payload})")
    return payload


def _open(raw: bytes, label: str) -> dict:
    check_layout(raw, label)
    handle, path = tempfile.mkstemp(suffix=".c3d")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        return _read_isolated(path, label, len(raw))
    finally:
        Path(path).unlink(missing_ok=True)


def _value(group: dict, key: str, default=None):
    return group.get(key, {}).get("value", default) if isinstance(group.get(key), dict) else default


# Parameter values come as the file says: a damaged file can give numbers where labels belong, text where numbers
# belong, or arrays of any shape (fuzzing found a one-dimensional CAL_MATRIX). These read them or give up quietly.


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | np.ndarray):
        return [str(item) for item in np.asarray(value, dtype=object).ravel()]
    return [str(value)]


def _numbers(value: object) -> np.ndarray | None:
    """The value as a finite float array, or None when it is not one."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if np.isfinite(array).all() else None


def _positive(value: object) -> float | None:
    number = _numbers(value)
    return float(number) if number is not None and number.ndim == 0 and number > 0 else None


def _vertical_force(c3d, label: str) -> GroundForces | None:
    plates = c3d["parameters"].get("FORCE_PLATFORM")
    analogs = np.asarray(c3d["data"]["analogs"])
    header = c3d["header"]
    point_rate, rate = _positive(header["points"]["frame_rate"]), _positive(header["analogs"]["frame_rate"])
    if plates is None or analogs.ndim != 3 or analogs.size == 0 or point_rate is None or rate is None:
        return None
    channels = _numbers(_value(plates, "CHANNEL", []))
    types = _numbers(_value(plates, "TYPE", []))
    types = np.atleast_1d(types) if types is not None else np.zeros(0)
    if channels is None or channels.ndim != 2 or channels.shape[0] < 3:
        return None
    signals = analogs[0]  # (channels, samples), SCALE/OFFSET already applied by ezc3d
    calibration = _numbers(_value(plates, "CAL_MATRIX"))
    total = np.zeros(signals.shape[1])
    for plate in range(channels.shape[1]):
        indices = channels[:, plate].astype(int) - 1
        if indices.min() < 0 or indices.max() >= signals.shape[0]:
            continue
        if plate < len(types) and int(types[plate]) == 4:
            # Type-4 plates store volts: without a calibration matrix of the right shape the force is unknown.
            if calibration is None or calibration.ndim != 3 or calibration.shape[0] < 3:
                continue
            if calibration.shape[1] < len(indices) or calibration.shape[2] <= plate:
                continue
            vertical = calibration[2, : len(indices), plate] @ signals[indices]
        else:
            vertical = signals[indices[2]]
        # Plates point their Z into the floor on most systems: make loading positive whatever the sign.
        loaded = vertical[np.abs(vertical) > 0.2 * np.abs(vertical).max()] if np.abs(vertical).max() > 0 else vertical
        total += -vertical if loaded.size and np.median(loaded) < 0 else vertical
    start = header["points"]["first_frame"] / point_rate
    return GroundForces(rate_hz=rate, time_s=start + np.arange(len(total)) / rate, vertical_n=total, source=label)


def _events(c3d) -> tuple[GaitEvent, ...]:
    group = c3d["parameters"].get("EVENT")
    if not group:
        return ()
    contexts = _strings(_value(group, "CONTEXTS"))
    labels = _strings(_value(group, "LABELS"))
    times = _numbers(_value(group, "TIMES", []))
    if times is None or times.ndim != 2 or times.shape[0] < 2 or times.shape[1] != len(labels):
        return ()
    events = []
    for context, event_label, minutes, seconds in zip(contexts, labels, times[0], times[1], strict=False):
        kind = _EVENT_KINDS.get(event_label.strip().lower())
        side = context.strip().lower()
        if kind and side in ("left", "right"):
            events.append(GaitEvent(side, kind, float(minutes) * 60.0 + float(seconds)))
    return tuple(sorted(events, key=lambda e: e.time_s))


def read_c3d(source: str | Path | bytes, name: str | None = None) -> MarkerTrial:
    """Markers (metres, lab frame), total vertical force and foot strike/off events of one C3D file."""
    raw, label = source_bytes(source, name)
    if len(raw) < 512 or raw[1:2] != b"\x50":
        raise KeypointError(f"{label}: not a C3D file (no C3D signature in the first block)")
    c3d = _open(raw, label)
    point_group = c3d["parameters"].get("POINT") or {}
    names = [n.strip() for n in _strings(_value(point_group, "LABELS"))]
    points = np.asarray(c3d["data"]["points"])  # (4, markers, frames), NaN where missing
    if not names or points.ndim != 3 or points.shape[0] < 3 or points.shape[1] == 0 or points.shape[2] == 0:
        raise KeypointError(f"{label}: no marker data")
    units = (_strings(_value(point_group, "UNITS")) or ["mm"])[0].strip().lower()
    if units not in UNIT_TO_METRES:
        raise KeypointError(f"{label}: unknown point units {units[:20]!r}")
    rate = _positive(c3d["header"]["points"]["frame_rate"])
    if rate is None:
        raise KeypointError(f"{label}: no usable point frame rate in the header")
    xyz = np.transpose(points[:3], (2, 1, 0)) * UNIT_TO_METRES[units]
    # Unlabelled trajectories (Vicon's *52, x53…) carry no anatomy; keep them, they are just unused. Trajectories
    # beyond the labels (a damaged LABELS parameter) have no name at all and are left out.
    names = names[: xyz.shape[1]]
    xyz = xyz[:, : len(names)]
    try:
        rotation, description = lab_rotation(tuple(names), xyz, label)
    except ValueError as error:
        raise KeypointError(f"{label}: {error}") from None
    first = int(c3d["header"]["points"]["first_frame"])
    return MarkerTrial(
        rate_hz=rate,
        time_s=(first + np.arange(xyz.shape[0])) / rate,
        names=tuple(names),
        xyz=xyz @ rotation.T,
        source=label,
        forces=_vertical_force(c3d, label),
        events=_events(c3d),
        meta={"axis_map": description, "file_units": units, "format": "c3d", "first_frame": first},
    )
