"""The Running Biomechanics Data Set text files (Fukuchi et al. 2017, PeerJ 5:e3298) and the BMC lab's later ones.

Markers: a tab-separated table, header ``Time`` then ``<marker>X <marker>Y <marker>Z`` (mm), lab axes +X anterior,
+Y up, +Z right. The ``Time`` column is rounded to milliseconds (0, 0.007, 0.013 …), so time comes from the nominal
150 Hz, not from that column. The BMC-era files carry the static-only markers as empty columns (dropped here) and
gaps as empty cells (kept as NaN).

Forces: ``Time Fx Fy Fz COPx COPy COPz Ty`` at 300 Hz from one plate under the treadmill; ``Time`` is a sample
index (1…9000), ``Fy`` is vertical in N.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gluteguard.gait.mocap import GroundForces, MarkerTrial, with_forces
from gluteguard.gait.model import KeypointError
from gluteguard.gait.readers.axes import lab_rotation
from gluteguard.gait.readers.trc import decode_text, numeric_table, source_bytes

RBDS_MARKER_RATE_HZ = 150.0
RBDS_FORCE_RATE_HZ = 300.0
FORCE_COLUMNS = ("Time", "Fx", "Fy", "Fz", "COPx", "COPy", "COPz", "Ty")


def _table(source: str | Path | bytes, name: str | None) -> tuple[list[str], np.ndarray, str]:
    raw, label = source_bytes(source, name)
    lines = [line for line in decode_text(raw, label).splitlines() if line.strip()]
    if len(lines) < 2:
        raise KeypointError(f"{label}: no data rows under the header")
    header = [cell.strip() for cell in lines[0].split("\t")]
    if not header or header[0] != "Time":
        raise KeypointError(f"{label}: not an RBDS table (first column is {header[0][:20]!r}, expected 'Time')")
    rows = [line.split("\t") for line in lines[1:]]
    return header, numeric_table(rows, len(header), label), label


def read_rbds_markers(
    source: str | Path | bytes, name: str | None = None, rate_hz: float = RBDS_MARKER_RATE_HZ
) -> MarkerTrial:
    """An RBDS marker table (running or static) as a ``MarkerTrial`` in metres; all-empty markers dropped."""
    header, table, label = _table(source, name)
    coordinate_columns = header[1:]
    if len(coordinate_columns) % 3 or len(coordinate_columns) < 3:
        raise KeypointError(f"{label}: {len(coordinate_columns)} coordinate columns is not a multiple of 3")
    names = []
    for i in range(0, len(coordinate_columns), 3):
        triple = coordinate_columns[i : i + 3]
        stem = triple[0][:-1]
        if [c[-1:] for c in triple] != ["X", "Y", "Z"] or any(c[:-1] != stem for c in triple):
            raise KeypointError(f"{label}: columns {triple} are not one marker's X, Y, Z")
        names.append(stem)
    xyz = table[:, 1:].reshape(len(table), len(names), 3) / 1000.0  # mm → m
    seen = np.isfinite(xyz).any(axis=(0, 2))
    if not seen.any():
        raise KeypointError(f"{label}: every marker column is empty")
    names_seen = tuple(n for n, keep in zip(names, seen, strict=True) if keep)
    xyz = xyz[:, seen, :]
    try:
        rotation, description = lab_rotation(names_seen, xyz, label)
    except ValueError as error:
        raise KeypointError(f"{label}: {error}") from None
    return MarkerTrial(
        rate_hz=rate_hz,
        time_s=np.arange(len(table)) / rate_hz,
        names=names_seen,
        xyz=xyz @ rotation.T,
        source=label,
        meta={
            "axis_map": description,
            "file_units": "mm",
            "format": "rbds-txt",
            "empty_markers": [n for n, keep in zip(names, seen, strict=True) if not keep],
        },
    )


def read_rbds_forces(
    source: str | Path | bytes, name: str | None = None, rate_hz: float = RBDS_FORCE_RATE_HZ
) -> GroundForces:
    """An RBDS forces table: vertical GRF (``Fy``, N) on a time axis starting at 0."""
    header, table, label = _table(source, name)
    if "Fy" not in header:
        raise KeypointError(f"{label}: no Fy column (has {', '.join(header[:8])}); not an RBDS forces file")
    vertical = table[:, header.index("Fy")]
    if np.nanmax(np.abs(vertical)) < 100.0:
        raise KeypointError(f"{label}: Fy never exceeds 100 N; not a running force recording")
    return GroundForces(rate_hz=rate_hz, time_s=np.arange(len(table)) / rate_hz, vertical_n=vertical, source=label)


def read_rbds_trial(markers: str | Path, forces: str | Path | None = None) -> MarkerTrial:
    """Markers with their forces attached when a forces file is given."""
    trial = read_rbds_markers(markers)
    return with_forces(trial, read_rbds_forces(forces)) if forces is not None else trial
