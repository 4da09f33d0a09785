"""Appointment files: every bad input is refused whole with errors naming the line, row or
JSON path; CSV and XLSX round-trip; FHIR Bundles and the real bulk export of the shared
data directory import (with a mapping of its codes), and no input, however broken, makes
the readers raise anything but AppointmentsInvalid.

Pure Python (no Django): run with ``-p no:django``.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crisiscell.engine import demo_appointments, demo_map
from crisiscell.engine.appointment_files import (
    COLUMNS,
    csv_text,
    parse_bytes,
    parse_csv_bytes,
    parse_csv_text,
    parse_fhir,
    parse_ndjson,
    parse_start,
    parse_xlsx,
    read_appointments,
    urgency_of_priority,
    write_appointments,
    write_csv,
    write_xlsx,
)
from crisiscell.engine.appointments import Appointment, AppointmentsInvalid
from crisiscell.engine.groupmap import parse_map

from . import files_helpers as helpers

GM = parse_map(demo_map.generate())
BRUSSELS = ZoneInfo("Europe/Brussels")
HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "data" / "appointments_bundle.json"
SYNTHEA = helpers.SYNTHEA

#: The columns of FORMATS.md §2, in its order (language, optional, comes after).
HEADER = ",".join(COLUMNS[:13])
GOOD_ROWS = [
    "A-000001,P-0042,Jeanne Dupont,+32470000001,,ARL-RAD,imaging,"
    "2022-05-23T08:30:00+02:00,20,3,28,,",
    "A-000002,P-0042,Jeanne Dupont,+32470000001,jeanne@example.org,ARL-CS-CARD,,"
    "2022-05-25 09:00,30,3,,,A-000001",
    "A-000003,P-0077,Marc Lejeune,,,ARL-BLOC,,2022-05-30T06:00:00Z,120,2,,,A-000002",
]


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def errors_of(call, *args, **kwargs) -> list[str]:
    with pytest.raises(AppointmentsInvalid) as info:
        call(*args, **kwargs)
    assert info.value.errors, "AppointmentsInvalid with no error"
    return [str(e) for e in info.value.errors]


# ---------------------------------------------------------------------------
# CSV: what a good file gives
# ---------------------------------------------------------------------------


def test_a_good_csv_gives_its_appointments():
    a1, a2, a3 = parse_csv_text(csv_of(*GOOD_ROWS), GM)
    assert a1 == Appointment(
        id="A-000001",
        patient_id="P-0042",
        service="ARL-RAD",
        kind="imaging",
        start=datetime(2022, 5, 23, 6, 30, tzinfo=UTC),
        duration_min=20,
        urgency=3,
        max_delay_days=28,
        patient_name="Jeanne Dupont",
        phone="+32470000001",
    )
    # no offset: a wall-clock time of the group (Brussels, summer time)
    assert a2.start == datetime(2022, 5, 25, 9, 0, tzinfo=BRUSSELS)
    assert a2.start.tzinfo is UTC and a2.kind == "consultation" and a2.depends_on == "A-000001"
    assert a2.max_delay_days is None and a2.max_delay == 28
    # the kind follows the service; a surgery may leave its surgeon empty (any surgeon)
    assert (a3.kind, a3.surgeon, a3.start) == ("surgery", "", datetime(2022, 5, 30, 6, tzinfo=UTC))


def test_semicolons_bom_crlf_blank_lines_and_column_order():
    header = "urgency;start;service;patient_id;Appointment ID;duration_min;language"
    text = "\ufeff" + header + "\r\n\r\n" + "4;2022-05-23T10:00+02:00;NEU-PREL;P-1;L-1;10;nl-BE\r\n"
    (a,) = parse_csv_bytes(text.encode("utf-8"), GM)
    assert (a.id, a.kind, a.language, a.urgency, a.duration_min) == ("L-1", "lab", "nl", 4, 10)


def test_kind_of_every_demo_service_kind():
    kinds = {}
    for s in GM.services:
        if s.capacity_minutes_per_day:
            row = f"X-{s.id},P-1,,,,{s.id},,2022-05-23T10:00+02:00,10,3,,,"
            kinds[s.kind] = parse_csv_text(csv_of(row), GM)[0].kind
    assert kinds["surgery"] == "surgery"
    assert kinds["radiology"] == kinds["nuclear_medicine"] == "imaging"
    assert kinds["lab"] == "lab"
    assert kinds["day_hospital"] == kinds["oncology_day"] == "day_hospital"
    assert kinds["consultation"] == kinds["physiotherapy"] == "consultation"
    assert kinds["dialysis"] == kinds["endoscopy"] == "other"


def test_an_empty_table_is_no_appointment_but_an_empty_file_is_an_error():
    assert parse_csv_text(HEADER + "\n", GM) == []
    assert errors_of(parse_csv_text, "\n \n", GM)[0].startswith("the file is empty")


# ---------------------------------------------------------------------------
# CSV: every bad input, by line
# ---------------------------------------------------------------------------

BAD = {
    "missing column": (
        csv_of(
            "A-1,P-1,ARL-RAD,2022-05-23T08:30+02:00,20",
            header="appointment_id,patient_id,service,start,duration_min",
        ),
        "line 1: missing column(s) urgency",
    ),
    "unknown column": (
        csv_of(GOOD_ROWS[0] + ",blue", header=HEADER + ",colour"),
        "line 1: unknown column(s) 'colour' (expected: appointment_id,",
    ),
    "twice the same column": (
        csv_of(GOOD_ROWS[0] + ",3", header=HEADER + ",urgency"),
        "line 1: column 'urgency' appears twice",
    ),
    "unknown service": (
        csv_of(GOOD_ROWS[0].replace("ARL-RAD", "ARL-RADIO")),
        "line 2: service: unknown service 'ARL-RADIO'",
    ),
    "malformed date": (
        csv_of(GOOD_ROWS[0].replace("2022-05-23T08:30", "2022-05-32T08:30")),
        "line 2: start: malformed date and time '2022-05-32T08:30:00+02:00'",
    ),
    "date without time": (
        csv_of(GOOD_ROWS[0].replace("2022-05-23T08:30:00+02:00", "2022-05-23")),
        "line 2: start: '2022-05-23' is not a date and time",
    ),
    "unknown time zone": (
        csv_of(GOOD_ROWS[0].replace("+02:00", "[Europe/Bruxelles]")),
        "line 2: start: unknown time zone 'Europe/Bruxelles'",
    ),
    "offset against its zone": (
        csv_of(GOOD_ROWS[0].replace("+02:00", "+01:00[Europe/Brussels]")),
        "the offset disagrees with the zone (+01:00 given, +02:00 in Europe/Brussels)",
    ),
    "time the clocks skip": (
        csv_of(GOOD_ROWS[0].replace("2022-05-23T08:30:00+02:00", "2022-03-27 02:30")),
        "line 2: start: 2022-03-27 02:30 does not exist in Europe/Brussels",
    ),
    "time the clocks show twice": (
        csv_of(GOOD_ROWS[0].replace("2022-05-23T08:30:00+02:00", "2022-10-30 02:30")),
        "line 2: start: 2022-10-30 02:30 happens twice in Europe/Brussels",
    ),
    "negative duration": (
        csv_of(GOOD_ROWS[0].replace(",20,3,", ",-20,3,")),
        "line 2: duration_min: '-20' is not a whole number of minutes from 1 to 10080",
    ),
    "fractional duration": (
        csv_of(GOOD_ROWS[0].replace(",20,3,", ",20.5,3,")),
        "line 2: duration_min: '20.5' is not a whole number",
    ),
    "urgency out of range": (
        csv_of(GOOD_ROWS[0].replace(",20,3,", ",20,5,")),
        "line 2: urgency: '5' is not an urgency from 1 to 4",
    ),
    "negative delay": (
        csv_of(GOOD_ROWS[0].replace(",3,28,", ",3,-1,")),
        "line 2: max_delay_days: '-1' is not a number of days",
    ),
    "missing value": (
        csv_of(GOOD_ROWS[0].replace("P-0042,", ",", 1)),
        "line 2: patient_id: missing",
    ),
    "unknown kind": (
        csv_of(GOOD_ROWS[0].replace(",imaging,", ",scan,")),
        "line 2: kind: unknown kind 'scan'",
    ),
    "unknown language": (
        csv_of(GOOD_ROWS[0] + ",es", header=HEADER + ",language"),
        "line 2: language: unknown language 'es' (expected: fr, nl, de, en)",
    ),
    "bad e-mail": (
        csv_of(GOOD_ROWS[0].replace("+32470000001,,", "+32470000001,jeanne(at)example.org,")),
        "line 2: email: 'jeanne(at)example.org' is not an e-mail address",
    ),
    "duplicate id": (
        csv_of(GOOD_ROWS[0], GOOD_ROWS[0]),
        "line 3: appointment_id: 'A-000001' is already at line 2",
    ),
    "depends on nothing": (
        csv_of(GOOD_ROWS[0], GOOD_ROWS[1].replace(",A-000001", ",A-999")),
        "line 3: depends_on: 'A-999' is not an appointment of the file",
    ),
    "a depends_on loop": (
        csv_of(GOOD_ROWS[0] + "A-000003", *GOOD_ROWS[1:]),
        "line 2: depends_on: a loop: A-000001 → A-000003 → A-000002 → A-000001",
    ),
    "depends on itself": (
        csv_of(GOOD_ROWS[0] + "A-000001"),
        "line 2: depends_on: 'A-000001' depends on itself",
    ),
    "too many values": (
        csv_of(GOOD_ROWS[0] + ",,x"),
        "line 2: 15 value(s) for 13 column(s)",
    ),
    "too few values": (
        csv_of(GOOD_ROWS[0][:-2]),
        "line 2: 11 value(s) for 13 column(s)",
    ),
    "malformed CSV": (
        csv_of('A-1,"P-1,x' + "\n"),
        "line 2: malformed CSV",
    ),
}


@pytest.mark.parametrize("text, expected", list(BAD.values()), ids=list(BAD))
def test_every_bad_input_is_refused_naming_its_line(text, expected):
    errors = errors_of(parse_csv_text, text, GM)
    assert any(expected in e for e in errors), errors


def test_every_problem_of_every_line_is_reported_in_line_order():
    text = csv_of(
        GOOD_ROWS[0],
        GOOD_ROWS[0],  # duplicate
        "B-1,P-1,,,,NOPE,,2022-05-23T25:00+02:00,0,9,,,",
        "B-2,P-1,,,,ARL-RAD,,2022-05-23T10:00+02:00,10,1,,,B-2",
    )
    errors = errors_of(parse_csv_text, text, GM)
    assert errors == [
        "line 3: appointment_id: 'A-000001' is already at line 2",
        "line 4: service: unknown service 'NOPE' (not a care service of the map)",
        "line 4: start: malformed date and time '2022-05-23T25:00+02:00' (expected ISO 8601, "
        "e.g. 2022-05-23T08:30:00+02:00)",
        "line 4: duration_min: '0' is not a whole number of minutes from 1 to 10080",
        "line 4: urgency: '9' is not an urgency from 1 to 4",
        "line 5: depends_on: 'B-2' depends on itself",
    ]


def test_a_row_with_errors_still_counts_for_links():
    # A-000001 has a bad date: its dependants are not told that it does not exist
    text = csv_of(GOOD_ROWS[0].replace("08:30", "8h30"), GOOD_ROWS[1])
    errors = errors_of(parse_csv_text, text, GM)
    assert len(errors) == 1 and errors[0].startswith("line 2: start:")


def test_undecodable_bytes_are_named_by_line():
    data = csv_of(*GOOD_ROWS).encode("utf-8").replace(b"Marc", b"M\xe9rc")
    assert errors_of(parse_csv_bytes, data, GM) == [
        "line 4: not UTF-8 text (byte 0xe9): save the file as CSV UTF-8"
    ]


def test_service_map_translates_codes_and_is_itself_checked():
    text = csv_of(GOOD_ROWS[0].replace("ARL-RAD", "RX-ARLON"))
    (a,) = parse_csv_text(text, GM, service_map={"RX-ARLON": "ARL-RAD"})
    assert a.service == "ARL-RAD"
    assert errors_of(parse_csv_text, text, GM, service_map={"RX-ARLON": "ARL-RX"}) == [
        "service_map: 'RX-ARLON' → 'ARL-RX': unknown service"
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022-05-23T08:30:00+02:00", datetime(2022, 5, 23, 6, 30, tzinfo=UTC)),
        ("2022-05-23T06:30Z", datetime(2022, 5, 23, 6, 30, tzinfo=UTC)),
        ("2022-05-23 08:30", datetime(2022, 5, 23, 6, 30, tzinfo=UTC)),
        ("2022-12-23 08:30", datetime(2022, 12, 23, 7, 30, tzinfo=UTC)),
        ("2022-05-23T08:30[Europe/London]", datetime(2022, 5, 23, 7, 30, tzinfo=UTC)),
        ("2022-05-23T08:30+01:00[Europe/London]", datetime(2022, 5, 23, 7, 30, tzinfo=UTC)),
        ("2022-10-30T02:30+01:00", datetime(2022, 10, 30, 1, 30, tzinfo=UTC)),
    ],
)
def test_start_times(text, expected):
    value = parse_start(text, BRUSSELS)
    assert value == expected and value.tzinfo is UTC


def test_out_of_range_times_are_errors_not_crashes():
    with pytest.raises(ValueError, match="out of range"):
        parse_start("0001-01-01T00:10:00+01:00", BRUSSELS)
    with pytest.raises(ValueError, match="out of range"):
        parse_start("0001-01-01T00:10", BRUSSELS)


# ---------------------------------------------------------------------------
# Round trips: write -> read gives the same appointments
# ---------------------------------------------------------------------------

TRICKY = [
    Appointment(
        id="T-1",
        patient_id="007",
        service="ARL-BLOC",
        kind="surgery",
        start=datetime(2022, 5, 23, 6, 0, tzinfo=UTC),
        duration_min=95,
        urgency=1,
        max_delay_days=0,
        surgeon="Dr Anne-Sophie d'Ardenne",
        patient_name='=HYPERLINK("x"), "Ré"; Ö',
        phone="+32470000001",
        email="a.b@example.org",
        language="de",
    ),
    Appointment(
        id="T-2",
        patient_id="P;2",
        service="NEU-PREL",
        kind="other",
        start=datetime(2022, 10, 30, 1, 30, tzinfo=UTC),  # the second 02:30 of that night
        duration_min=10,
        urgency=4,
        depends_on="T-1",
        language="en",
    ),
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("tz", [None, "Europe/Brussels", "UTC"])
def test_tricky_values_round_trip(tmp_path, suffix, tz):
    path = tmp_path / f"appointments{suffix}"
    write_appointments(TRICKY, path, tz)
    assert read_appointments(path, GM) == TRICKY


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_demo_load_round_trips(tmp_path, suffix):
    appointments = demo_appointments.generate(GM, date(2022, 5, 23), 2)
    path = tmp_path / f"appointments{suffix}"
    (write_csv if suffix == ".csv" else write_xlsx)(appointments, path, "Europe/Brussels")
    back = read_appointments(path, GM)
    assert back == appointments
    assert [a.start.isoformat() for a in back] == [a.start.isoformat() for a in appointments]


def test_csv_text_is_the_format_of_the_docs():
    text = csv_text(TRICKY[:1], "Europe/Brussels")
    header, row = text.splitlines()
    assert header == ",".join(COLUMNS)
    assert ",2022-05-23T08:00:00+02:00,95,1,0,Dr Anne-Sophie d'Ardenne,," in row


# ---------------------------------------------------------------------------
# XLSX: spreadsheet habits and errors by sheet and row
# ---------------------------------------------------------------------------


def workbook(tmp_path: Path, rows: list[list], title: str = "Feuil1") -> Path:
    path = tmp_path / "rdv.xlsx"
    path.write_bytes(helpers.xlsx_bytes(rows, title))
    return path


def test_xlsx_date_cells_numbers_and_the_first_sheet(tmp_path):
    path = workbook(
        tmp_path,
        [
            [],
            ["Appointment_ID", "patient_id", "service", "start", "duration_min", "urgency"],
            [12, 42, "ARL-RAD", datetime(2022, 5, 23, 8, 30), 20.0, 3],
        ],
    )
    (a,) = read_appointments(path, GM)
    assert (a.id, a.patient_id, a.duration_min, a.urgency) == ("12", "42", 20, 3)
    assert a.start == datetime(2022, 5, 23, 8, 30, tzinfo=BRUSSELS)


def test_xlsx_errors_name_sheet_and_row(tmp_path):
    header = ["appointment_id", "patient_id", "service", "start", "duration_min", "urgency"]
    path = workbook(
        tmp_path,
        [
            header,
            ["A-1", "P-1", "ARL-RAD", date(2022, 5, 23), 20, 3],
            ["A-2", "P-1", "ARL-RAD", "2022-05-23T08:30+02:00", 20.5, 3],
            ["A-1", "P-1", "ARL-RAD", "2022-05-23T09:30+02:00", 20, 3],
        ],
        title="appointments",
    )
    assert errors_of(read_appointments, path, GM) == [
        "sheet appointments, row 2: start: 2022-05-23 is a date without a time",
        "sheet appointments, row 3: duration_min: '20.5' is not a whole number of minutes from "
        "1 to 10080",
        "sheet appointments, row 4: appointment_id: 'A-1' is already at sheet appointments, row 2",
    ]


def test_not_a_workbook_and_unknown_formats():
    assert errors_of(parse_xlsx, b"PK not really", GM) == ["not an XLSX workbook"]
    errors = errors_of(parse_bytes, b"x", "rdv.ods", GM)
    assert errors[0].startswith("rdv.ods: unknown appointment format '.ods'")


def test_missing_file(tmp_path):
    errors = errors_of(read_appointments, tmp_path / "none.csv", GM)
    assert errors[0].startswith("none.csv: cannot read the file")


# ---------------------------------------------------------------------------
# FHIR Bundles
# ---------------------------------------------------------------------------


def bundle() -> dict:
    return json.loads(BUNDLE.read_text(encoding="utf-8"))


def test_a_bundle_with_its_patients():
    a1, a2, a3 = read_appointments(BUNDLE, GM)
    # serviceType code = a service id; the patient through a urn:uuid fullUrl
    assert (a1.id, a1.service, a1.kind, a1.duration_min) == ("A-000001", "ARL-RAD", "imaging", 20)
    assert a1.start == datetime(2022, 5, 23, 6, 30, tzinfo=UTC)
    assert (a1.patient_id, a1.patient_name) == ("P-0042", "Jeanne Dupont")
    # the mobile before the landline, the preferred language
    assert (a1.phone, a1.email, a1.language) == (
        "+32470000001",
        "jeanne.dupont@example.org",
        "nl",
    )
    assert a1.urgency == urgency_of_priority(5) == 3
    # a HealthcareService participant whose identifier is the service id
    assert (a2.service, a2.urgency, a2.phone, a2.language) == (
        "MAR-CS-CARD",
        1,
        "+3261234567",
        "fr",
    )
    # a surgery: its Practitioner participant operates
    assert (a3.service, a3.kind, a3.surgeon, a3.urgency) == (
        "ARL-BLOC",
        "surgery",
        "Claire Lambert",
        4,
    )
    # the cancelled one is left out
    assert "A-000004" not in {a.id for a in (a1, a2, a3)}


@pytest.mark.parametrize(
    "priority, urgency",
    [(None, 3), (0, 3), (1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (9, 4)],
)
def test_priority_to_urgency(priority, urgency):
    assert urgency_of_priority(priority) == urgency


def test_default_urgency_for_an_undefined_priority():
    doc = bundle()
    del doc["entry"][4]["resource"]["priority"]
    a1 = parse_fhir(doc, GM, default_urgency=2)[0]
    assert a1.urgency == 2


def test_bundle_errors_name_the_json_path():
    doc = bundle()
    appt = doc["entry"][4]["resource"]
    appt["start"] = "2022-05-23T08:30:00"  # no time zone
    doc["entry"][5]["resource"]["priority"] = 12
    doc["entry"][6]["resource"]["resourceType"] = "Apointment"
    doc["entry"][7]["resource"]["status"] = "booked"
    doc["entry"][7]["resource"]["participant"] = [{"status": "accepted", "actor": {"display": "?"}}]
    errors = errors_of(parse_fhir, doc, GM)
    assert errors[0].startswith("entry[4].resource.start: Instant value string does not match")
    assert "entry[5].resource.priority: 12: expected 0 to 9" in errors
    assert "entry[6].resource.resourceType: unknown resource type 'Apointment'" in errors
    assert "entry[7].resource.participant: no Patient participant" in errors
    assert any(
        e.startswith("entry[7].resource: no care service of the map matches (no serviceType")
        for e in errors
    )


def test_invalid_fhir_resources():
    doc = bundle()
    doc["entry"][0]["resource"]["telecom"] = "+32470000001"
    doc["entry"][5]["resource"]["minutesDuration"] = -30
    doc["entry"][5]["resource"]["colour"] = "blue"
    errors = errors_of(parse_fhir, doc, GM)
    assert "entry[0].resource.telecom: Input should be a valid list (got '+32470000001')" in errors
    assert any(
        e.startswith("entry[5].resource.minutesDuration: Input should be greater") for e in errors
    )
    assert "entry[5].resource.colour: Extra inputs are not permitted" in errors


def test_unmatched_services_are_errors_unless_mapped():
    doc = bundle()
    doc["entry"][4]["resource"]["serviceType"] = [
        {"coding": [{"system": "http://snomed.info/sct", "code": "363679005"}]}
    ]
    errors = errors_of(parse_fhir, doc, GM)
    assert errors == [
        "entry[4].resource: no care service of the map matches (serviceType '363679005'): name "
        "a service id of the map there, or map these codes to services"
    ]
    mapped = parse_fhir(doc, GM, service_map={"http://snomed.info/sct|363679005": "MAR-RAD"})
    assert mapped[0].service == "MAR-RAD"
    assert parse_fhir(doc, GM, default_service="LIB-RAD")[0].service == "LIB-RAD"
    assert errors_of(parse_fhir, doc, GM, default_service="LIB-RADIO") == [
        "default_service: unknown service 'LIB-RADIO'"
    ]


def test_duplicate_appointment_ids_in_a_bundle():
    doc = bundle()
    doc["entry"].append(copy.deepcopy(doc["entry"][4]))
    assert errors_of(parse_fhir, doc, GM) == [
        "entry[8].resource.id: 'A-000001' is already at entry[4].resource"
    ]


def test_a_bundle_that_yields_nothing_says_why():
    doc = bundle()
    doc["entry"] = doc["entry"][:4] + doc["entry"][7:]
    assert errors_of(parse_fhir, doc, GM) == [
        "no appointment to import: 1 Appointment(s) cancelled"
    ]


def test_malformed_json_file(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text('{"resourceType": "Bundle",\n "entry": [,]}', encoding="utf-8")
    assert errors_of(read_appointments, path, GM) == [
        "line 2: malformed JSON: Expecting value (column 12)"
    ]


def test_single_resources_and_lists():
    appt = bundle()["entry"][6]["resource"]
    (a,) = parse_fhir(appt, GM)  # the references resolve to nothing: what they say is kept
    assert (a.patient_id, a.patient_name, a.phone, a.surgeon) == ("P-0077", "", "", "dr-lambert")
    appt = bundle()["entry"][4]["resource"]  # a urn:uuid of no resource of the document
    assert errors_of(parse_fhir, appt, GM) == ["participant: no Patient participant"]
    assert errors_of(parse_fhir, [3], GM) == ["[0]: not a FHIR resource (expected an object)"]
    assert errors_of(parse_fhir, "Bundle", GM)[0].startswith("not a FHIR document")


# ---------------------------------------------------------------------------
# Encounters
# ---------------------------------------------------------------------------

SINCE = datetime(2022, 5, 20, tzinfo=UTC)


def encounter(**changes) -> dict:
    doc = {
        "resourceType": "Encounter",
        "id": "E-1",
        "status": "planned",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "serviceType": {"coding": [{"code": "ARL-CS-ORTH"}]},
        "subject": {"reference": "Patient/P-1", "display": "Luc Thiry"},
        "period": {"start": "2022-05-24T10:00:00+02:00"},
        "length": {"value": 0.5, "unit": "h"},
        "priority": {"coding": [{"code": "UR"}]},
    }
    doc.update(changes)
    return doc


def test_a_planned_encounter_is_an_appointment():
    (a,) = parse_fhir(encounter(), GM, since=SINCE)
    assert (a.id, a.service, a.kind, a.duration_min, a.urgency) == (
        "E-1",
        "ARL-CS-ORTH",
        "consultation",
        30,
        2,
    )
    assert (a.patient_id, a.patient_name) == ("P-1", "Luc Thiry")


@pytest.mark.parametrize(
    "changes, taken",
    [
        ({"status": "finished"}, True),  # after `since`: still to come
        ({"status": "finished", "period": {"start": "2022-05-01T10:00:00+02:00"}}, False),
        ({"status": "arrived", "period": {"start": "2022-05-01T10:00:00+02:00"}}, True),
        ({"status": "cancelled"}, False),
        ({"class": {"code": "EMER"}}, False),
        ({"class": {"code": "IMP"}}, False),
    ],
)
def test_which_encounters_are_taken(changes, taken):
    doc = encounter(**changes)
    if taken:
        assert len(parse_fhir(doc, GM, since=SINCE)) == 1
    else:
        assert errors_of(parse_fhir, doc, GM, since=SINCE)[0].startswith("no appointment to import")


def test_encounter_durations_and_their_errors():
    doc = encounter(
        length=None,
        period={"start": "2022-05-24T10:00:00+02:00", "end": "2022-05-24T10:20:30+02:00"},
    )
    del doc["length"]
    assert parse_fhir(doc, GM, since=SINCE)[0].duration_min == 21
    doc["period"]["end"] = "2022-05-24T09:00:00+02:00"
    assert errors_of(parse_fhir, doc, GM, since=SINCE) == [
        "period.end: a duration of -60 minute(s): expected 1 to 10080"
    ]
    del doc["period"]["end"]
    assert errors_of(parse_fhir, doc, GM, since=SINCE) == ["length: missing (and no period.end)"]
    assert errors_of(
        parse_fhir, encounter(length={"value": 2, "unit": "fortnight"}), GM, since=SINCE
    ) == ["length: unknown unit 'fortnight' (expected s, min, h or d)"]


# ---------------------------------------------------------------------------
# The real bulk export of the shared data directory (Synthea, FHIR R4 NDJSON)
# ---------------------------------------------------------------------------

LONG_AGO = datetime(1900, 1, 1, tzinfo=UTC)


def synthea_lines(name: str) -> list[dict]:
    return helpers.ndjson_lines(SYNTHEA / f"{name}.000.ndjson")


@helpers.needs_synthea
def test_synthea_encounters_fail_clearly_without_a_mapping():
    # every encounter is finished and in the past: nothing to reprogram, and it says so
    errors = errors_of(read_appointments, SYNTHEA, GM, since=datetime(2024, 1, 1, tzinfo=UTC))
    assert len(errors) == 1
    assert errors[0].startswith("no appointment to import: ")
    assert "Encounter(s) finished before 2024-01-01" in errors[0]
    assert "Encounter(s) of class EMER (not scheduled at a care service)" in errors[0]
    # replayed as if to come: none of its locations or codes is a service of the map
    errors = errors_of(read_appointments, SYNTHEA, GM, since=LONG_AGO)
    first = synthea_lines("Encounter")[0]
    location = first["location"][0]["location"]["reference"].rpartition("|")[2]
    assert errors[0] == (
        f"Encounter.000.ndjson line 1: no care service of the map matches (Location "
        f"'{location}', type '185347001'): name a service id of the map there, or map these "
        "codes to services"
    )
    assert all(e.startswith("Encounter.000.ndjson line ") for e in errors)


@helpers.needs_synthea
def test_synthea_encounters_import_with_a_mapping():
    encounters = synthea_lines("Encounter")
    patients = {p["id"]: p for p in synthea_lines("Patient")}
    consultations = sorted(s.id for s in GM.services if s.kind == "consultation")
    # each synthetic hospital's location becomes one of our consultation services
    locations = sorted({e["location"][0]["location"]["reference"] for e in encounters})
    service_map = {}
    for i, ref in enumerate(locations):
        service_map[ref.partition("=")[2]] = consultations[i % len(consultations)]

    appointments = read_appointments(SYNTHEA, GM, since=LONG_AGO, service_map=service_map)

    taken = [e for e in encounters if e["class"]["code"] not in ("EMER", "IMP", "HH")]
    assert [a.id for a in appointments] == [e["id"] for e in taken]
    for a, e in zip(appointments, taken, strict=True):
        assert a.service == service_map[e["location"][0]["location"]["reference"].partition("=")[2]]
        start = datetime.fromisoformat(e["period"]["start"])
        end = datetime.fromisoformat(e["period"]["end"])
        assert a.start == start and a.start.tzinfo is UTC
        assert a.duration_min == -(-(end - start).total_seconds() // 60)
        assert a.urgency == 3  # Synthea gives no priority
        patient = patients[e["subject"]["reference"].partition("/")[2]]
        assert a.patient_id == patient["id"]
        assert a.phone == patient["telecom"][0]["value"]
        assert a.language == "en"  # en-US
        assert a.patient_name.split()[-1] == patient["name"][0]["family"]


@helpers.needs_synthea
def test_one_synthea_file_alone_and_a_default_service():
    data = (SYNTHEA / "Encounter.000.ndjson").read_bytes()
    appointments = parse_ndjson(
        {"Encounter.000.ndjson": data}, GM, since=LONG_AGO, default_service="NEU-CS-CARD"
    )
    assert {a.service for a in appointments} == {"NEU-CS-CARD"}
    # no Patient file: names from the references' display
    assert appointments[0].patient_name == "Mrs. Marine542 Ai120 Upton904"
    assert appointments[0].phone == ""


def test_ndjson_errors_name_file_and_line():
    good = json.dumps(encounter())
    files = {
        "Encounter.000.ndjson": "\n".join(
            [good, "{not json", json.dumps(encounter(id="E-2", period={"start": "2022-05"}))]
        )
    }
    assert errors_of(parse_ndjson, files, GM, since=SINCE) == [
        "Encounter.000.ndjson line 2: malformed JSON: Expecting property name enclosed in double "
        "quotes (column 2)",
        "Encounter.000.ndjson line 3: period.start: '2022-05' is a date without a time",
    ]


# ---------------------------------------------------------------------------
# Fuzz: nothing but AppointmentsInvalid, whatever the input
# ---------------------------------------------------------------------------

JSON = helpers.json_values(
    "2022-05-23T08:30:00+02:00", "0001-01-01T00:00:00+14:00", "Patient/P-1", "booked", "AMB"
)
APPOINTMENT_KEYS = st.sampled_from(
    [
        "start",
        "end",
        "minutesDuration",
        "priority",
        "status",
        "participant",
        "serviceType",
        "id",
        "specialty",
    ]
)
ENCOUNTER_KEYS = st.sampled_from(
    ["period", "length", "class", "status", "subject", "location", "priority", "serviceType"]
)


def only_invalid(call, *args, **kwargs) -> None:
    helpers.only_refused(AppointmentsInvalid, Appointment, call, *args, **kwargs)


@helpers.FUZZ
@given(text=st.text(max_size=400))
def test_arbitrary_text_as_csv(text):
    only_invalid(parse_csv_text, text, GM)


CELLS = ["", "A-1", "ARL-RAD", "2022-05-23 08:30", "-1", "3", "x;y", '"', "A-2", "surgery", "nl"]


@helpers.FUZZ
@given(rows=helpers.cell_rows(CELLS, 16), delimiter=helpers.DELIMITERS)
def test_arbitrary_cells_under_a_good_header(rows, delimiter):
    text = "\n".join([HEADER.replace(",", delimiter + " ")] + [delimiter.join(r) for r in rows])
    only_invalid(parse_csv_text, text, GM)


@helpers.FUZZ
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".xlsx", ".json", ".ndjson"]))
def test_arbitrary_bytes(data, suffix):
    only_invalid(parse_bytes, data, "file" + suffix, GM)


@helpers.FUZZ
@given(doc=JSON)
def test_arbitrary_json_as_a_bundle(doc):
    for shape in helpers.fhir_shapes(doc):
        only_invalid(parse_fhir, shape, GM, since=SINCE)


@helpers.FUZZ
@given(changes=st.dictionaries(APPOINTMENT_KEYS, JSON, max_size=3), which=st.integers(4, 6))
def test_arbitrary_values_in_a_good_bundle(changes, which):
    doc = bundle()
    doc["entry"][which]["resource"].update(changes)
    only_invalid(parse_fhir, doc, GM)


@helpers.FUZZ
@given(changes=st.dictionaries(ENCOUNTER_KEYS, JSON, max_size=3))
def test_arbitrary_values_in_an_encounter(changes):
    only_invalid(parse_fhir, [encounter(**changes)], GM, since=SINCE)


def test_one_second_resolution_of_times_in_the_far_future():
    # a sanity check of the UTC conversion at the edges a fuzzer may not reach
    far = datetime(9999, 12, 31, 23, 0, tzinfo=UTC) - timedelta(hours=2)
    text = csv_of(f"A-1,P-1,,,,ARL-RAD,,{far.isoformat()},10,3,,,")
    assert parse_csv_text(text, GM)[0].start == far
