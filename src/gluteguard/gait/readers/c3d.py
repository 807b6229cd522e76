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

import os
import tempfile
from pathlib import Path

import numpy as np

from gluteguard.gait.mocap import GaitEvent, GroundForces, MarkerTrial
from gluteguard.gait.model import KeypointError
from gluteguard.gait.readers.axes import lab_rotation
from gluteguard.gait.readers.trc import UNIT_TO_METRES, source_bytes

_EVENT_KINDS = {"foot strike": "foot_strike", "foot off": "foot_off"}


def _open(raw: bytes, label: str):
    import ezc3d  # imported here so that the rest of the gait package works without it

    handle, path = tempfile.mkstemp(suffix=".c3d")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        return ezc3d.c3d(path, extract_forceplat_data=False)
    except (OSError, RuntimeError, ValueError, IndexError) as error:
        reason = str(error).split(":")[0].strip() or type(error).__name__
        raise KeypointError(f"{label}: not a readable C3D file ({reason})") from None
    finally:
        Path(path).unlink(missing_ok=True)


def _value(group: dict, key: str, default=None):
    return group.get(key, {}).get("value", default) if isinstance(group.get(key), dict) else default


def _vertical_force(c3d, label: str) -> GroundForces | None:
    parameters = c3d["parameters"]
    plates = parameters.get("FORCE_PLATFORM")
    analogs = c3d["data"]["analogs"]
    if plates is None or analogs.size == 0:
        return None
    channels = np.asarray(_value(plates, "CHANNEL", []))
    types = np.atleast_1d(np.asarray(_value(plates, "TYPE", [])))
    if channels.ndim != 2 or channels.shape[0] < 3:
        return None
    signals = analogs[0]  # (channels, samples), SCALE/OFFSET already applied by ezc3d
    calibration = _value(plates, "CAL_MATRIX")
    total = np.zeros(signals.shape[1])
    for plate in range(channels.shape[1]):
        indices = channels[:, plate].astype(int) - 1
        if indices.min() < 0 or indices.max() >= signals.shape[0]:
            continue
        if plate < len(types) and int(types[plate]) == 4 and calibration is not None:
            matrix = np.asarray(calibration)[:, :, plate]
            vertical = matrix[2, : len(indices)] @ signals[indices]
        else:
            vertical = signals[indices[2]]
        # Plates point their Z into the floor on most systems: make loading positive whatever the sign.
        loaded = vertical[np.abs(vertical) > 0.2 * np.abs(vertical).max()] if np.abs(vertical).max() > 0 else vertical
        total += -vertical if loaded.size and np.median(loaded) < 0 else vertical
    header = c3d["header"]
    point_rate = float(header["points"]["frame_rate"])
    rate = float(header["analogs"]["frame_rate"])
    start = header["points"]["first_frame"] / point_rate
    return GroundForces(rate_hz=rate, time_s=start + np.arange(len(total)) / rate, vertical_n=total, source=label)


def _events(c3d) -> tuple[GaitEvent, ...]:
    group = c3d["parameters"].get("EVENT")
    if not group:
        return ()
    contexts = _value(group, "CONTEXTS", []) or []
    labels = _value(group, "LABELS", []) or []
    times = np.asarray(_value(group, "TIMES", []))
    if times.ndim != 2 or times.shape[1] != len(labels):
        return ()
    events = []
    for context, event_label, minutes, seconds in zip(contexts, labels, times[0], times[1], strict=False):
        kind = _EVENT_KINDS.get(str(event_label).strip().lower())
        side = str(context).strip().lower()
        if kind and side in ("left", "right"):
            events.append(GaitEvent(side, kind, float(minutes) * 60.0 + float(seconds)))
    return tuple(sorted(events, key=lambda e: e.time_s))


def read_c3d(source: str | Path | bytes, name: str | None = None) -> MarkerTrial:
    """Markers (metres, lab frame), total vertical force and foot strike/off events of one C3D file."""
    raw, label = source_bytes(source, name)
    if len(raw) < 512 or raw[1:2] != b"\x50":
        raise KeypointError(f"{label}: not a C3D file (no C3D signature in the first block)")
    c3d = _open(raw, label)
    point_group = c3d["parameters"]["POINT"]
    names = [str(n).strip() for n in _value(point_group, "LABELS", [])]
    points = c3d["data"]["points"]  # (4, markers, frames), NaN where missing
    if not names or points.shape[1] == 0 or points.shape[2] == 0:
        raise KeypointError(f"{label}: no marker data")
    units = str((_value(point_group, "UNITS", ["mm"]) or ["mm"])[0]).strip().lower()
    if units not in UNIT_TO_METRES:
        raise KeypointError(f"{label}: unknown point units {units!r}")
    xyz = np.transpose(points[:3], (2, 1, 0)) * UNIT_TO_METRES[units]
    names = names[: xyz.shape[1]]
    # Unlabelled trajectories (Vicon's *52, x53…) carry no anatomy; keep them, they are just unused.
    try:
        rotation, description = lab_rotation(tuple(names), xyz, label)
    except ValueError as error:
        raise KeypointError(f"{label}: {error}") from None
    rate = float(c3d["header"]["points"]["frame_rate"])
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
