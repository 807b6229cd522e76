"""Foot-strike and toe-off events from the vertical position of the heel and toe in image coordinates.

Method (gait.md §1.1 and §6: toe/foot height thresholds as in Pose2Sim ``height_coordinates``, "best for running"):
the lowest point of the foot (heel or toe, whichever is lower in the image) is compared with a ground level
estimated as a rolling high percentile of that point; the foot is in contact while it is within a small height of
the ground (a share of its swing clearance, in leg lengths so it does not depend on zoom). The contact edges are
then refined to the moment the foot reaches, and leaves, the bottom of its contact band, with sub-frame timing by
linear interpolation, so a threshold crossing during the descent does not move the strike early.
Works in rear and side views alike, because both see the foot rise and fall.

Rear view (perspective): a rear camera sees the planted foot approach the lens (on a treadmill it rides the belt
back; overground the camera follows the runner), so the foot's image row keeps growing through the whole stance.
A level ground line then finds only the late part of the stance: on mocap filmed by a virtual phone (RBDS, 3.5 m,
pinhole) strikes came ~140 ms late and toe-offs ~75 ms late, and no threshold on the foot's image height can fix
it, because just before contact the descending foot also moves away from the lens and its image row follows the
same perspective line as a planted foot. So in the rear view each contact found above is re-timed from two
landmarks perspective does not blur: toe-off = the toe's lowest image point (it rides towards the lens until it
lifts; ±10 ms of the force plate on RBDS), and mid-stance = the pelvis' lowest point (the hips stay at one depth;
in the spring-mass model of running the body is lowest at mid-stance, Blickhan 1989 J Biomech 22:1217,
McMahon & Cheng 1990 J Biomech 23:65). The strike is then mid-stance mirrored about toe-off. Measured on RBDS the
pelvis is lowest at 43-47 % of stance, so rear-view strikes come 20-50 ms early and contact times ~10 % long.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import percentile_filter

from gluteguard.gait.signal import fill_short_gaps

GROUND_WINDOW_S = 1.5  # covers about two strides at running cadences, short enough to follow an overground run
GROUND_PERCENTILE = 90  # the foot is on the ground ~30-40 % of a running stride
CONTACT_SHARE_OF_CLEARANCE = 0.18  # contact band = this share of the swing clearance ...
CONTACT_BAND_MIN_LEG = 0.02  # ... but at least 2 % and at most 8 % of leg length (Pose2Sim: toe height < 6 cm)
CONTACT_BAND_MAX_LEG = 0.08
EDGE_SHARE_OF_BAND = 0.05  # strike/toe-off = reaching / leaving the bottom 5 % of the contact band (plus jitter)
MIN_CONTACT_S = 0.07
MAX_CONTACT_S = 0.8  # walking contacts reach ~0.7 s; longer means the foot was not tracked off the ground
MERGE_GAP_S = 0.04  # contact runs split by a blip this short are one contact
STANCE_EXTENSION_S = 0.12  # how far before/after a contact run the planted foot's line is followed
STRIDE_TOLERANCE = 0.25  # a clean stride is within ±25 % of the clip's median stride
# Rear-view re-timing (see the module docstring). The pelvis oscillates once per step, so a search window of
# 3/4 of a step ending at toe-off holds exactly one lowest point (mid-stance is < 1/2 step before toe-off).
MIDSTANCE_SEARCH_STEPS = 0.75
# Running has a flight phase; with a duty factor above this (walking, double support) the pelvis is *highest*
# at mid-stance and the re-timing does not apply.
MAX_RUNNING_DUTY = 0.5


@dataclass(frozen=True)
class Contact:
    """One stance of one foot. Frames are indices into the clip; times are sub-frame (seconds from frame 0)."""

    side: str
    strike_frame: int
    toe_off_frame: int
    strike_time_s: float
    toe_off_time_s: float
    next_strike_time_s: float | None  # the same foot's next strike (end of the stride)
    clean: bool
    reason: str = ""  # why it is not clean


@dataclass(frozen=True)
class FootEvents:
    contacts: dict[str, tuple[Contact, ...]]
    cadence_spm: float | None
    median_stride_s: float | None
    contact_band_leg: dict[str, float]


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _merge_short_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    merged = mask.copy()
    starts, stops = _runs(~mask)
    for start, stop in zip(starts, stops, strict=True):
        if start > 0 and stop < mask.size and stop - start <= max_gap:
            merged[start:stop] = True
    return merged


def _crossing(values: np.ndarray, before: int, after: int, level: float) -> float:
    """Sub-frame position between two neighbouring frames where ``values`` crosses ``level``."""
    a, b = values[before], values[after]
    if not (np.isfinite(a) and np.isfinite(b)) or a == b:
        return float(after)
    fraction = float(np.clip((a - level) / (a - b), 0.0, 1.0))
    return before + fraction * (after - before)


def foot_height(heel: np.ndarray, toe: np.ndarray, leg_px: np.ndarray, fps: float) -> np.ndarray:
    """Height of the foot's lowest point above the estimated ground, in leg lengths (NaN where unseen)."""
    lowest_y = np.fmax(heel[:, 1], toe[:, 1])  # y points down: the larger y is the lower point
    frames = lowest_y.size
    finite = np.isfinite(lowest_y)
    if finite.sum() < 3:
        return np.full(frames, np.nan)
    # The ground estimate needs a gap-free series: bridge every gap (for this estimate only).
    bridged = np.interp(np.arange(frames), np.flatnonzero(finite), lowest_y[finite])
    window = max(3, round(GROUND_WINDOW_S * fps))
    ground = percentile_filter(bridged, GROUND_PERCENTILE, size=min(window, frames), mode="nearest")
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ground - lowest_y) / leg_px


def _refine_edges(
    height_leg: np.ndarray, start: int, stop: int, band: float, fps: float, previous_stop: int
) -> tuple[float, float]:
    """Sub-frame strike and toe-off of the contact run [start, stop).

    The reference is the run's own typical height (a level floor); the contact is where the foot stays within a
    small margin above it, searched a little before and after the run. A floor that follows a sloping planted
    foot (rear-view perspective) was tried and read worse on mocap projected through a virtual camera.
    """
    frames = height_leg.size
    floor = float(np.nanmedian(height_leg[start:stop]))
    reach = round(STANCE_EXTENSION_S * fps)
    low, high = max(previous_stop, start - reach, 0), min(frames, stop + reach)
    index = np.arange(low, high)
    above_line = height_leg[low:high] - floor
    residual = above_line[(index >= start) & (index < stop)]
    jitter = 1.4826 * float(np.nanmedian(np.abs(residual - np.nanmedian(residual))))
    level = max(EDGE_SHARE_OF_BAND * band, 2.0 * jitter)
    on_line = above_line <= level  # NaN compares False: a hole ends the contact
    middle = (start + stop) // 2 - low
    if not on_line[middle]:
        candidates = np.flatnonzero(on_line)
        if candidates.size == 0:
            return float(start), float(stop - 1)
        middle = int(candidates[np.argmin(np.abs(candidates - middle))])
    first = middle
    while first > 0 and on_line[first - 1]:
        first -= 1
    last = middle
    while last + 1 < on_line.size and on_line[last + 1]:
        last += 1
    strike = _crossing(above_line, first - 1, first, level) + low if first > 0 else float(first + low)
    toe_off = _crossing(above_line, last + 1, last, level) + low if last + 1 < on_line.size else float(last + low)
    return strike, toe_off


def detect_contacts(height_leg: np.ndarray, fps: float, side: str) -> tuple[list[Contact], float]:
    """Contacts of one foot from its height track; returns (contacts, contact band in leg lengths)."""
    finite = np.isfinite(height_leg)
    if finite.sum() < max(5, 0.3 * height_leg.size):
        return [], float("nan")
    clearance = np.nanpercentile(height_leg, 95) - np.nanpercentile(height_leg, 5)
    band = float(np.clip(CONTACT_SHARE_OF_CLEARANCE * clearance, CONTACT_BAND_MIN_LEG, CONTACT_BAND_MAX_LEG))
    in_contact = finite & (height_leg < band)
    in_contact = _merge_short_gaps(in_contact, max(1, round(MERGE_GAP_S * fps)))
    starts, stops = _runs(in_contact)
    contacts: list[Contact] = []
    frames = height_leg.size
    previous_stop = 0
    for start, stop in zip(starts, stops, strict=True):
        duration = (stop - start) / fps
        # A run touching the clip's edges or a hole in the track has an unknown true start or end.
        if start == 0 or stop >= frames or not finite[start - 1] or not finite[stop]:
            continue
        if duration < MIN_CONTACT_S or duration > MAX_CONTACT_S:
            continue
        strike, toe_off = _refine_edges(height_leg, start, stop, band, fps, previous_stop)
        previous_stop = stop
        if toe_off <= strike:
            continue
        contacts.append(
            Contact(
                side=side,
                strike_frame=round(strike),
                toe_off_frame=min(frames - 1, round(toe_off)),
                strike_time_s=strike / fps,
                toe_off_time_s=toe_off / fps,
                next_strike_time_s=None,
                clean=True,
            )
        )
    return contacts, band


def _subframe_extreme(values: np.ndarray, index: int) -> float:
    """Sub-frame position of a local extreme at ``index`` (parabola through its neighbours)."""
    if 0 < index < values.size - 1:
        before, here, after = values[index - 1], values[index], values[index + 1]
        curvature = before - 2 * here + after
        if np.isfinite(before) and np.isfinite(after) and curvature != 0:
            return index + float(np.clip(0.5 * (before - after) / curvature, -0.5, 0.5))
    return float(index)


def _rear_toe_off(toe_row: np.ndarray, contact: Contact, last: int) -> float | None:
    """Sub-frame toe-off candidate: the toe's lowest image point between the contact's strike and ``last``."""
    first = contact.strike_frame
    window = toe_row[first : last + 1]
    if window.size < 3 or not np.isfinite(window).all():
        return None
    peak = int(np.argmax(window))
    if peak == window.size - 1:
        return None  # still on the ground at the window's end: the true lift-off is unknown
    return first + _subframe_extreme(window, peak)


def retime_rear_contacts(
    contacts: list[Contact],
    toe_row: np.ndarray,
    pelvis_row: np.ndarray,
    leg_px: np.ndarray,
    band: float,
    fps: float,
    step_s: float,
) -> tuple[list[Contact], list[bool]]:
    """Rear view: toe-off from the toe's lowest image point, mid-stance from the pelvis' lowest point, strike
    mirrored (module docstring). Returns the contacts and, per contact, whether it was re-timed: one whose
    landmarks give no clear answer keeps its level-ground times.
    """
    frames = toe_row.size
    reach = round(STANCE_EXTENSION_S * fps)
    search = max(3, round(MIDSTANCE_SEARCH_STEPS * step_s * fps))
    retimed: list[Contact] = []
    changed: list[bool] = []
    for contact in contacts:
        last = min(frames - 1, contact.toe_off_frame + reach)
        leg = leg_px[min(frames - 1, max(0, contact.strike_frame))]
        toe_off = _rear_toe_off(toe_row, contact, last)
        if toe_off is None or not (np.isfinite(leg) and np.isfinite(band)):
            retimed.append(contact)
            changed.append(False)
            continue
        low = max(0, int(np.ceil(toe_off)) - search)
        high = int(np.floor(toe_off))
        window = pelvis_row[low : high + 1]
        if window.size < 3 or not np.isfinite(window).all():
            retimed.append(contact)
            changed.append(False)
            continue
        lowest = int(np.argmax(window))  # image y grows downwards: the lowest pelvis is the largest row
        if lowest in (0, window.size - 1):  # no turning point: the pelvis is not bobbing as in running
            retimed.append(contact)
            changed.append(False)
            continue
        midstance = low + _subframe_extreme(window, lowest)
        strike = 2.0 * midstance - toe_off
        # Only when the planted toe visibly approaches the lens in the second half of stance (its row grows by more
        # than the contact band): that is the perspective corrected here. Without it (a far or orthographic
        # camera, a front view) the toe's lowest point is not its lift-off, and level ground is right anyway.
        approach = np.interp(toe_off, np.arange(frames), toe_row) - np.interp(midstance, np.arange(frames), toe_row)
        if strike < 0 or toe_off - strike < MIN_CONTACT_S * fps or not approach > band * leg:
            retimed.append(contact)
            changed.append(False)
            continue
        retimed.append(
            Contact(
                side=contact.side,
                strike_frame=round(strike),
                toe_off_frame=min(frames - 1, round(toe_off)),
                strike_time_s=strike / fps,
                toe_off_time_s=toe_off / fps,
                next_strike_time_s=None,
                clean=contact.clean,
                reason=contact.reason,
            )
        )
        changed.append(True)
    return retimed, changed


def _with_strides(contacts: list[Contact], median_stride: float | None) -> list[Contact]:
    """Attach each contact's stride end and drop the clean mark of strides that are implausible."""
    linked: list[Contact] = []
    for i, contact in enumerate(contacts):
        following = contacts[i + 1].strike_time_s if i + 1 < len(contacts) else None
        clean, reason = contact.clean, contact.reason
        if following is None:
            clean, reason = False, "no following strike (end of clip)"
        elif median_stride is not None and abs(following - contact.strike_time_s - median_stride) > (
            STRIDE_TOLERANCE * median_stride
        ):
            clean, reason = False, "stride time far from the clip's median (missed or extra event)"
        linked.append(
            Contact(
                side=contact.side,
                strike_frame=contact.strike_frame,
                toe_off_frame=contact.toe_off_frame,
                strike_time_s=contact.strike_time_s,
                toe_off_time_s=contact.toe_off_time_s,
                next_strike_time_s=following,
                clean=clean,
                reason=reason,
            )
        )
    return linked


def _median_stride(by_side: dict[str, list[Contact]]) -> float | None:
    strides = np.concatenate(
        [np.diff([c.strike_time_s for c in contacts]) for contacts in by_side.values() if len(contacts) > 1]
        or [np.array([])]
    )
    # Strides of 0.4-2.5 s cover sprinting to slow walking; anything else is a detection artefact.
    strides = strides[(strides > 0.4) & (strides < 2.5)]
    return float(np.median(strides)) if strides.size else None


def cadence_from_contacts(by_side: dict[str, tuple[Contact, ...]]) -> float | None:
    """Steps per minute from the median clean stride of both feet (two steps per stride).

    The median, not the mean: with the few contacts of a short clip one missed or extra event must not move it.
    """
    strides = np.array(
        [
            c.next_strike_time_s - c.strike_time_s
            for cs in by_side.values()
            for c in cs
            if c.clean and c.next_strike_time_s
        ]
    )
    if strides.size == 0:
        return None
    return float(120.0 / np.median(strides))


def detect_events(
    heel: dict[str, np.ndarray],
    toe: dict[str, np.ndarray],
    leg_px: np.ndarray,
    fps: float,
    *,
    pelvis_row: np.ndarray | None = None,
) -> tuple[FootEvents, dict[str, np.ndarray]]:
    """Contacts of both feet plus cadence. ``heel``/``toe`` map side → (frames, 2) event-filtered tracks.

    ``pelvis_row`` (the hips' mean image y, event-filtered) is given for a rear view only: contacts are then
    re-timed for perspective (module docstring). Returns the events and the per-side foot height tracks (leg
    lengths), which the report can plot.
    """
    heights: dict[str, np.ndarray] = {}
    raw: dict[str, list[Contact]] = {}
    bands: dict[str, float] = {}
    for side in ("left", "right"):
        heights[side] = foot_height(heel[side], toe[side], leg_px, fps)
        raw[side], bands[side] = detect_contacts(heights[side], fps, side)
    median_stride = _median_stride(raw)
    if pelvis_row is not None and median_stride is not None and _duty_factor(raw, median_stride) <= MAX_RUNNING_DUTY:
        step_s = median_stride / 2
        retimed = {
            side: retime_rear_contacts(raw[side], toe[side][:, 1], pelvis_row, leg_px, bands[side], fps, step_s)
            for side in ("left", "right")
        }
        done = [changed for side in ("left", "right") for changed in retimed[side][1]]
        # One timing scheme per clip: a stride between a re-timed and a level-ground strike would mix biases of
        # ~0.1 s, so a contact that could not be re-timed is dropped (its neighbours' strides then read as gaps).
        if done and sum(done) > len(done) / 2:
            raw = {side: [c for c, ok in zip(*retimed[side], strict=True) if ok] for side in ("left", "right")}
            median_stride = _median_stride(raw)
    contacts = {side: tuple(_with_strides(raw[side], median_stride)) for side in ("left", "right")}
    return (
        FootEvents(
            contacts=contacts,
            cadence_spm=cadence_from_contacts(contacts),
            median_stride_s=median_stride,
            contact_band_leg=bands,
        ),
        heights,
    )


def duty_factor(events: FootEvents) -> float | None:
    """Median contact time over the median stride of detected events (running < 0.5 < walking); None without
    a stride."""
    if events.median_stride_s is None:
        return None
    return _duty_factor({side: list(contacts) for side, contacts in events.contacts.items()}, events.median_stride_s)


def _duty_factor(by_side: dict[str, list[Contact]], median_stride: float) -> float:
    """Median contact time over the median stride (running < 0.5 < walking)."""
    durations = [c.toe_off_time_s - c.strike_time_s for cs in by_side.values() for c in cs]
    return float(np.median(durations)) / median_stride if durations else 1.0


def bridge_for_events(track: np.ndarray, fps: float) -> np.ndarray:
    """Bridge holes of up to 0.15 s in a raw (frames, 2) track, for callers that feed detect_events directly."""
    return fill_short_gaps(track, max(1, round(0.15 * fps)))[0]
