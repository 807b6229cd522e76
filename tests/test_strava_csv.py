"""Tests for the Strava activities.csv reader.

Headers are real (the English one is read from the shared research data; German names are from
geo-activity-playground issues #86/#393; French names from the files cited in strava_headers.toml).
Every data row is synthetic: written here, not copied from any export.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gluteguard.ingest.model import ParseError, Sport
from gluteguard.ingest.strava_csv import StravaCsv, read_activities_csv, sport_for_row

HEADER_FILE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "other"
    / "strava-export-notes"
    / "activities_csv_header.txt"
)

# German 92-column header of 2024: columns 0–60 as listed in geo-activity-playground #393, the rest as
# in #86 (same names, same order; the 2025 94-column file appends two columns whose German names we
# have not seen).
GERMAN_92 = (  # noqa: SIM905 — one string reads like the header line it records
    "Aktivitäts-ID,Aktivitätsdatum,Name der Aktivität,Aktivitätsart,Aktivitätsbeschreibung,"
    "Verstrichene Zeit,Distanz,Max. Herzfrequenz,Relative Leistung,Pendeln,"
    "Hinweis zur Privatsphäre für Aktivitäten,Aktivitätsausrüstung,Dateiname,Sportlergewicht,"
    "Fahrradgewicht,Verstrichene Zeit,Bewegungszeit,Distanz,Höchstgeschw.,"
    "Durchschnittliche Geschwindigkeit,Höhenzunahme,Höhenunterschied,Min. Höhe,Max. Höhe,"
    "Max. Steigung,Durchschnittliche Steigung,Durchschnittliche positive Steigung,"
    "Durchschnittliche negative Steigung,Max. Tritt-/Schrittfrequenz,Durchschnittliche Trittfrequenz,"
    "Max. Herzfrequenz,Durchschnittliche Herzfrequenz,Max. Watt,Durchschnittliche Watt,Kalorien,"
    "Max. Temperatur,Durchschnittliche Temperatur,Relative Leistung,Gesamtarbeit,Anzahl Läufe,"
    "Bergaufzeit,Bergabzeit,Andere Zeit,Gefühlte Anstrengung,Art,Startzeit,"
    "Gewichtete durchschnittliche Leistung,Leistungszahl,Gefühlte Anstrengung verwenden,"
    "Gefühlte relative Leistung,Pendeln,Insgesamt gestemmtes Gewicht,Von Upload,"
    "Auf Steigung angepasste Distanz,Wetterbeobachtungszeit,Wetterlage,Wetter: Temperatur,"
    "Scheinbare Temperatur,Taupunkt,Luftfeuchtigkeit,Wetter: Druck,Windgeschwindigkeit,Windböe,"
    "Windrichtung,Niederschlagsintensität,Sonnenaufgangszeit,Sonnenuntergangszeit,Mondphase,Fahrrad,"
    "Ausrüstung,Niederschlagswahrscheinlichkeit,Niederschlagsart,Wolkendecke,Wetter: Sichtbarkeit,"
    "UV-Index,Wetter: Ozon,Sprunganzahl,Schwierigkeit insgesamt,Durchschnittlicher Flow,Markiert,"
    "Durchschnittsgeschwindigkeit im Aufzeichnungszeitraum,Auf Schotter zurückgelegte Distanz,"
    "Neu getestete Distanz,Neu getestete Schotterdistanz,Aktivitätsanzahl,Schritte insgesamt,"
    "Eingesparte CO₂-Emissionen,Pool-Länge,Trainingsbelastung,Intensität,"
    "Durchschnittliches auf Steigung angepasstes Tempo,Medien"
).split(",")

# French names seen in code reading real French exports, by the English name at the same position.
FRENCH = {
    "Activity ID": "ID de l'activité",
    "Activity Date": "Date de l'activité",
    "Activity Name": "Nom de l'activité",
    "Activity Type": "Type d'activité",
    "Elapsed Time": "Temps écoulé",
    "Filename": "Nom du fichier",
    "Moving Time": "Durée de déplacement",
    "Max Speed": "Vitesse max.",
    "Average Speed": "Vitesse moyenne",
    "Elevation Gain": "Dénivelé positif",
    "Average Heart Rate": "Fréquence cardiaque moyenne",
}


def english_header() -> list[str]:
    if not HEADER_FILE.is_file():
        pytest.skip(f"real Strava header not available at {HEADER_FILE} (shared research data)")
    line = next(x for x in HEADER_FILE.read_text(encoding="utf-8").splitlines() if x and x[0] != "#")
    header = next(csv.reader([line]))
    assert len(header) == 94
    return header


def pos(header: list[str], name: str, occurrence: int = 1) -> int:
    return [i for i, h in enumerate(header) if h == name][occurrence - 1]


def to_csv(header: list[str], rows: list[list[str]], newline: str = "\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def english_row(header: list[str], **values: str) -> list[str]:
    """A synthetic row; keys are English names, with "_2" for the second occurrence of a name."""
    row = [""] * len(header)
    for key, value in values.items():
        occurrence = 2 if key.endswith("_2") else 1
        row[pos(header, key.removesuffix("_2").replace("_", " "), occurrence)] = value
    return row


def full_run(header: list[str]) -> list[str]:
    return english_row(
        header,
        Activity_ID="1000000001",
        Activity_Date="Oct 6, 2022, 11:19:20 PM",
        Activity_Name='Easy, slow "recovery" run',
        Activity_Type="Run",
        Activity_Description="Felt the left hip\nafter 5 km",
        Elapsed_Time="1900",
        Elapsed_Time_2="1900.0",
        Distance="5.01",
        Distance_2="5012.3",
        Max_Heart_Rate="171",
        Max_Heart_Rate_2="170.0",
        Commute="false",
        Activity_Private_Note="slept badly",
        Activity_Gear="Trail Shoe 2",
        Filename="activities/1111111111.fit.gz",
        Moving_Time="1800.0",
        Average_Heart_Rate="142.5",
        Perceived_Exertion="4.0",
        Elevation_Gain="35.2",
    )


def test_english_94_columns_reads_every_field() -> None:
    header = english_header()
    result = read_activities_csv(to_csv(header, [full_run(header)]))
    assert result.language == "en"
    assert result.warnings == ()
    (row,) = result.rows
    assert row.activity_id == "1000000001"
    assert row.start_utc == datetime(2022, 10, 6, 23, 19, 20, tzinfo=UTC)
    assert row.name == 'Easy, slow "recovery" run'
    assert row.sport_label == "Run"
    assert row.description == "Felt the left hip\nafter 5 km"
    assert (row.elapsed_s, row.moving_s) == (1900.0, 1800.0)
    assert (row.distance_km, row.distance_m) == (5.01, 5012.3)  # first Distance km, second metres
    assert (row.max_hr, row.avg_hr) == (171.0, 142.5)  # first Max Heart Rate wins
    assert row.perceived_exertion == 4.0
    assert row.commute is False
    assert row.gear == "Trail Shoe 2"
    assert row.filename == "activities/1111111111.fit.gz"
    assert row.elevation_gain_m == 35.2
    assert row.private_note == "slept badly"
    assert len(row.raw_row_hash) == 64


def test_second_occurrence_used_when_first_is_empty() -> None:
    header = english_header()
    row = english_row(
        header,
        Activity_ID="7",
        Activity_Date="Jan 2, 2023, 7:05:00 AM",
        Elapsed_Time_2="600.0",
        Max_Heart_Rate_2="160.0",
        Commute_2="true",
        Distance="1.50",
    )
    (parsed,) = read_activities_csv(to_csv(header, [row])).rows
    assert parsed.start_utc == datetime(2023, 1, 2, 7, 5, tzinfo=UTC)
    assert (parsed.elapsed_s, parsed.max_hr, parsed.commute) == (600.0, 160.0, True)
    assert parsed.distance_m == pytest.approx(1500.0)  # no metres column value: km × 1000


@pytest.mark.parametrize(
    ("extra", "at"),
    [(5, None), (7, None), (5, 45), (7, 0)],
    ids=["99-appended", "101-appended", "99-inserted-mid", "101-inserted-front"],
)
def test_99_and_101_column_exports(extra: int, at: int | None) -> None:
    header = english_header()
    row = full_run(header)
    new_names = [f"Synthetic New Column {i}" for i in range(extra)]
    where = len(header) if at is None else at
    header = header[:where] + new_names + header[where:]
    row = row[:where] + ["9.9"] * extra + row[where:]
    result = read_activities_csv(to_csv(header, [row]))
    (parsed,) = result.rows
    assert len(header) in (99, 101)
    assert (parsed.activity_id, parsed.distance_m, parsed.max_hr) == ("1000000001", 5012.3, 171.0)
    assert parsed.filename == "activities/1111111111.fit.gz"
    assert result.language == "en"


def test_german_header() -> None:
    header = GERMAN_92
    row = [""] * len(header)
    row[0], row[1], row[3] = "2000000002", "09.12.2022, 15:24:49", "Radfahrt"
    row[5], row[6], row[9], row[11] = "3189", "9,44", "true", "Stadtrad"
    row[12], row[15], row[16], row[17] = "activities/2222222222.gpx", "3189.0", "2070.0", "9440.0"
    row[20], row[31], row[43] = "12.0", "120.0", "3.0"
    result = read_activities_csv(to_csv(header, [row]))
    assert result.language == "de"
    (parsed,) = result.rows
    assert parsed.start_utc == datetime(2022, 12, 9, 15, 24, 49, tzinfo=UTC)
    assert (parsed.distance_km, parsed.distance_m) == (9.44, 9440.0)
    assert (parsed.elapsed_s, parsed.moving_s, parsed.commute) == (3189.0, 2070.0, True)
    assert (parsed.gear, parsed.avg_hr, parsed.perceived_exertion) == ("Stadtrad", 120.0, 3.0)
    assert sport_for_row(parsed)[0] == Sport.RIDE


def test_german_decimal_comma_with_thousands() -> None:
    header = GERMAN_92
    row = [""] * len(header)
    row[0], row[1], row[6] = "3", "01.02.2023, 06:00:00", "1.234,5"
    (parsed,) = read_activities_csv(to_csv(header, [row])).rows
    assert parsed.distance_km == 1234.5


def french_header() -> list[str]:
    """Real French names where seen; names we never saw become placeholders that keep the repeats."""
    return [FRENCH.get(name, f"[fr: {name}]") for name in english_header()]


def test_french_header_with_positional_fallback_for_unseen_names() -> None:
    header = french_header()
    row = [""] * len(header)
    row[0], row[1], row[3], row[6], row[12] = "4", "6 oct. 2022 à 23:19:20", "Vélo", "12,3", ""
    row[4], row[7], row[11], row[17], row[16] = "desc", "150", "Vélo de route", "12300.0", "2400"
    row[20], row[31] = "80", "130.0"
    second = list(row)
    second[0], second[1] = "5", "12 févr. 2023 à 07:05:00"
    result = read_activities_csv(to_csv(header, [row, second]))
    assert result.language == "fr"
    first, other = result.rows
    assert first.start_utc == datetime(2022, 10, 6, 23, 19, 20, tzinfo=UTC)
    assert other.start_utc == datetime(2023, 2, 12, 7, 5, tzinfo=UTC)
    assert (first.distance_km, first.distance_m, first.moving_s) == (12.3, 12300.0, 2400.0)
    assert (first.description, first.max_hr, first.gear) == ("desc", 150.0, "Vélo de route")  # by position
    assert first.filename is None
    assert any("usual positions" in w for w in result.warnings)
    assert sport_for_row(first) == (Sport.RIDE, None)


def test_unknown_language_uses_repeated_names_as_layout() -> None:
    header = english_header()
    tokens = {name: f"Spalte-{i}" for i, name in enumerate(dict.fromkeys(header))}
    foreign = [tokens[name] for name in header]
    result = read_activities_csv(to_csv(foreign, [full_run(header)]))
    assert result.language == "unknown"
    (parsed,) = result.rows
    assert (parsed.activity_id, parsed.distance_m, parsed.max_hr, parsed.gear) == (
        "1000000001",
        5012.3,
        171.0,
        "Trail Shoe 2",
    )
    assert parsed.start_utc == datetime(2022, 10, 6, 23, 19, 20, tzinfo=UTC)


def test_unknown_header_falls_back_to_content_for_id_date_filename() -> None:
    header = ["Naam", "Nummer", "Wanneer", "Bestand", "Iets"]
    rows = [
        ["Ochtendloop", "111", "Oct 6, 2022, 7:00:00 AM", "activities/9.tcx.gz", "x"],
        ["Handmatig", "112", "Oct 7, 2022, 7:00:00 AM", "", "y"],
    ]
    result = read_activities_csv(to_csv(header, rows))
    assert [r.activity_id for r in result.rows] == ["111", "112"]
    assert [r.filename for r in result.rows] == ["activities/9.tcx.gz", None]
    assert result.rows[1].start_utc == datetime(2022, 10, 7, 7, tzinfo=UTC)
    assert sum("by its content" in w for w in result.warnings) == 3


def test_manual_entry_and_hash_is_stable_across_files_and_line_endings() -> None:
    header = english_header()
    manual = english_row(
        header, Activity_ID="8", Activity_Date="Mar 1, 2024, 6:00:00 PM", Activity_Type="Run", Distance="3.00"
    )
    lf = read_activities_csv(to_csv(header, [manual]))
    crlf = read_activities_csv(to_csv(header, [full_run(header), manual], newline="\r\n"))
    assert lf.rows[0].filename is None
    assert lf.rows[0].distance_m == pytest.approx(3000.0)
    assert lf.rows[0].raw_row_hash == crlf.rows[1].raw_row_hash
    assert crlf.rows[0].raw_row_hash != crlf.rows[1].raw_row_hash


def test_broken_rows_are_skipped_with_their_line() -> None:
    header = english_header()
    good = full_run(header)
    text = to_csv(header, [good]).decode()
    shifted = ",".join(["5", "Oct 6, 2022, 1:00:00 PM"] + [""] * (len(header) - 1))  # date comma unquoted
    bad_id = ",".join(["abc"] + [""] * (len(header) - 1))
    data = (text + shifted + "\n" + bad_id + "\n").encode()
    result = read_activities_csv(data)
    assert [r.activity_id for r in result.rows] == ["1000000001"]
    assert any(w.startswith("line 4:") for w in result.warnings)  # good row spans lines 2–3
    assert any(w.startswith("line 5:") and "not a number" in w for w in result.warnings)


def test_unparseable_date_gives_none_and_warning() -> None:
    header = english_header()
    row = english_row(header, Activity_ID="9", Activity_Date="someday", Filename="activities/9.gpx")
    result = read_activities_csv(to_csv(header, [row]))
    assert result.rows[0].start_utc is None
    assert any("someday" in w for w in result.warnings)


def test_filename_backslashes_and_out_of_range_exertion() -> None:
    header = english_header()
    row = english_row(
        header,
        Activity_ID="10",
        Activity_Date="Oct 6, 2022, 11:19:20 PM",
        Filename="activities\\10.gpx",
        Perceived_Exertion="11",
        Max_Heart_Rate="0",
    )
    (parsed,) = read_activities_csv(to_csv(header, [row])).rows
    assert parsed.filename == "activities/10.gpx"
    assert (parsed.perceived_exertion, parsed.max_hr) == (None, None)


def test_bom_and_cp1252_fallback() -> None:
    header = english_header()
    with_bom = b"\xef\xbb\xbf" + to_csv(header, [full_run(header)])
    assert read_activities_csv(with_bom).rows[0].activity_id == "1000000001"
    german_text = to_csv(GERMAN_92, [["11", "01.01.2024, 10:00:00"] + [""] * 90]).decode()
    german = german_text.encode("cp1252", errors="replace")  # "₂" has no cp1252 byte
    result = read_activities_csv(german)
    assert result.language == "de"
    assert result.rows[0].activity_id == "11"
    assert any("Windows-1252" in w for w in result.warnings)


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n", b"name,age\nalice,30\n", b"id,value\n1,2\n3,4\n", b"\x00\x01\x02garbage", b'"'],
)
def test_not_a_strava_csv_raises_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        read_activities_csv(data)


@pytest.mark.parametrize(
    ("label", "sport"),
    [
        ("Run", Sport.RUN),
        ("Lauf", Sport.RUN),
        ("Radfahrt", Sport.RIDE),
        ("Vélo", Sport.RIDE),
        ("Curling", Sport.OTHER),
    ],
)
def test_sport_for_row(label: str, sport: Sport) -> None:
    header = english_header()
    row = english_row(header, Activity_ID="12", Activity_Date="Oct 6, 2022, 11:19:20 PM", Activity_Type=label)
    (parsed,) = read_activities_csv(to_csv(header, [row])).rows
    assert sport_for_row(parsed)[0] == sport


def _read_or_parse_error(data: bytes) -> None:
    try:
        result = read_activities_csv(data)
    except ParseError:
        return
    assert isinstance(result, StravaCsv)
    for row in result.rows:
        assert row.activity_id.isdigit()
        assert row.start_utc is None or row.start_utc.tzinfo is UTC
    assert all("\n" not in w for w in result.warnings)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_parse_error(data: bytes) -> None:
    _read_or_parse_error(data)


_cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "1,5", "1.234,5", "nan", "inf", "true", "Oct 6, 2022, 11:19:20 PM", "31.02.2022, 1:00:00"]),
    st.from_regex(r"activities/[0-9]{1,5}\.(fit|gpx|tcx)(\.gz)?", fullmatch=True),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(_cells, min_size=94, max_size=94), max_size=3),
    ids=st.lists(st.from_regex(r"[0-9]{1,12}", fullmatch=True), min_size=3, max_size=3),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=3), st.integers(0, 3)), max_size=6),
)
def test_mutated_real_header_csv_only_raises_parse_error(
    rows: list[list[str]], ids: list[str], edits: list[tuple[int, bytes, int]]
) -> None:
    header = english_header()
    for row, activity_id in zip(rows, ids, strict=False):
        row[0] = activity_id
    data = bytearray(to_csv(header, rows))
    for offset, insert, cut in edits:  # splice: remove `cut` bytes at offset, insert `insert`
        at = offset % (len(data) + 1)
        data[at : at + cut] = insert
    _read_or_parse_error(bytes(data))
