"""Census files: every bad input is refused whole with errors naming the line, row or JSON
path; CSV, XLSX and FHIR (Bundle, NDJSON) give the patients present; the demo census is
deterministic, realistic and round-trips through its CSV; the real bulk export of the
shared data directory reads; no input, however broken, raises anything but CensusInvalid.

Pure Python (no Django): run with ``-p no:django``.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crisiscell.engine import demo_census, demo_map
from crisiscell.engine.census import COLUMNS, CensusError, CensusInvalid, read_census
from crisiscell.engine.groupmap import parse_map
from crisiscell.engine.kit_content import Inpatient

from .files_helpers import (
    DELIMITERS,
    FUZZ,
    SYNTHEA,
    cell_rows,
    fhir_shapes,
    json_values,
    ndjson,
    ndjson_lines,
    needs_synthea,
    only_refused,
    xlsx_bytes,
)

GM = parse_map(demo_map.generate())
SERVICES = frozenset(s.id for s in GM.services)
BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = date(2024, 3, 5)

HEADER = ",".join(COLUMNS)
GOOD_ROWS = [
    "P-1,Jeanne Dupont,ARL-MI,214,A,1948-03-21,F,2024-03-01T14:20:00+01:00,"
    "Pénicilline|Latex,Risque de chute",
    "P-2,Marc Lejeune,ARL-MI,214,B,1951-11-02,homme,2024-03-04T22:05:00Z,,",
    "P-3,Émile Thiry,ARL-URG,Box 3,,,,,,",
]


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def errors_of(data: bytes, name: str = "census.csv", **options) -> list[str]:
    with pytest.raises(CensusInvalid) as info:
        read_census(data, name, SERVICES, **options)
    assert info.value.errors, "CensusInvalid with no error"
    assert all(isinstance(e, CensusError) for e in info.value.errors)
    return [str(e) for e in info.value.errors]


# ---------------------------------------------------------------------------
# CSV: what a good file gives
# ---------------------------------------------------------------------------


def test_a_good_csv_gives_its_patients():
    p1, p2, p3 = read_census(csv_of(*GOOD_ROWS), "census.csv", SERVICES)
    assert p1 == Inpatient(
        patient_id="P-1",
        name="Jeanne Dupont",
        service="ARL-MI",
        birth_date=date(1948, 3, 21),
        sex="F",
        room="214",
        bed="A",
        admitted=datetime(2024, 3, 1, 13, 20, tzinfo=UTC),
        allergies=("Pénicilline", "Latex"),
        alerts=("Risque de chute",),
    )
    assert p1.admitted.tzinfo is UTC
    assert (p2.sex, p2.admitted, p2.allergies) == ("M", datetime(2024, 3, 4, 22, 5, tzinfo=UTC), ())
    assert p3 == Inpatient("P-3", "Émile Thiry", "ARL-URG", room="Box 3")


def test_semicolons_bom_crlf_blank_lines_column_order_and_optional_columns():
    text = (
        "\ufeffService;Patient ID;name;alerts\r\n\r\n"
        'ARL-SI;P-9;Anne Hubert;"Anticoagulé (AVK); Isolement contact (BMR) |  | '
        'Anticoagulé (AVK)"\r\n'
    )
    (p,) = read_census(text.encode("utf-8"), "census.csv", SERVICES)
    assert p == Inpatient(
        "P-9", "Anne Hubert", "ARL-SI", alerts=("Anticoagulé (AVK)", "Isolement contact (BMR)")
    )


@pytest.mark.parametrize(
    ("cell", "sex"),
    [("F", "F"), ("f", "F"), ("female", "F"), ("Femme", "F"), ("M", "M"), ("male", "M")]
    + [("H", "M"), ("homme", "M"), ("other", ""), ("unknown", ""), ("X", ""), ("", "")],
)
def test_sexes(cell, sex):
    (p,) = read_census(csv_of(f"P-1,A B,ARL-MI,,,,{cell},,,"), "c.csv", SERVICES)
    assert p.sex == sex


def test_a_header_alone_is_an_empty_census():
    assert read_census(csv_of(), "census.csv", SERVICES) == []


def test_times_in_brackets_and_with_a_zone_given():
    rows = ["P-1,A B,ARL-MI,,,,,2024-03-01T14:20[Europe/Brussels],,"]
    assert read_census(csv_of(*rows), "c.csv", SERVICES)[0].admitted == datetime(
        2024, 3, 1, 13, 20, tzinfo=UTC
    )
    naive = csv_of("P-1,A B,ARL-MI,,,,,2024-07-01 14:20,,")
    (p,) = read_census(naive, "c.csv", SERVICES, tz="Europe/Brussels")
    assert p.admitted == datetime(2024, 7, 1, 12, 20, tzinfo=UTC)


def test_service_map():
    (p,) = read_census(
        csv_of("P-1,A B,MI-ARLON,,,,,,,"), "c.csv", SERVICES, service_map={"MI-ARLON": "ARL-MI"}
    )
    assert p.service == "ARL-MI"
    assert errors_of(csv_of(), service_map={"X": "NOPE"}) == [
        "service_map: 'X' → 'NOPE': unknown service"
    ]
    assert errors_of(csv_of(), tz="Mars/Olympus") == ["tz: unknown time zone 'Mars/Olympus'"]


# ---------------------------------------------------------------------------
# CSV: every error, each naming its line, and nothing returned
# ---------------------------------------------------------------------------


def test_missing_and_unknown_columns_are_named():
    assert errors_of(csv_of(header="patient_id,room,ward,name")) == [
        "line 1: unknown column(s) 'ward' (expected: " + ", ".join(COLUMNS) + ")",
        "line 1: missing column(s) service (the first line names the columns)",
    ]
    assert errors_of(csv_of(header="patient_id,name,service,name")) == [
        "line 1: column 'name' appears twice (column 4)"
    ]


def test_an_empty_file():
    message = "the file is empty: its first line names the columns (" + ", ".join(COLUMNS) + ")"
    assert errors_of(b"") == [message]
    assert errors_of(b"\n ; \n") == [message]


def test_every_row_error_is_collected_by_line():
    rows = [
        GOOD_ROWS[0],
        "P-2,,ARL-NOPE,215,,1948-02-30,Q,2024-03-01T14:20:00,,",
        ",Jean Dupont,,,,03/04/1950,,2024-03-01,,",
        "P-4,Jean Dupont,ARL-MI,216,,2030-01-01,,2024-03-01T10:00:00+01:00,,",
        "P-5,Jean Dupont,ARL-MI,216,,1870-01-01,,2024-03-01T10:00:00+01:00 ,,",
        "P-6,too,few",
    ]
    assert errors_of(csv_of(*rows)) == [
        "line 3: name: missing",
        "line 3: service: unknown service 'ARL-NOPE' (not a care service of the map)",
        "line 3: birth_date: '1948-02-30' is not a date (expected YYYY-MM-DD)",
        "line 3: sex: 'Q' is not a sex (expected F, M or empty)",
        "line 3: admitted: '2024-03-01T14:20:00' has no time zone: give its offset "
        "(e.g. 2024-03-05T14:20:00+01:00)",
        "line 4: patient_id: missing",
        "line 4: service: missing",
        "line 4: birth_date: '03/04/1950' is not a date (expected YYYY-MM-DD)",
        "line 4: admitted: '2024-03-01' is not a date and time (expected ISO 8601, e.g. "
        "2022-05-23T08:30:00+02:00)",
        "line 5: birth_date: 2030-01-01 is after the admission",
        "line 6: birth_date: 1870-01-01 is before 1880",
        "line 7: 3 value(s) for 10 column(s)",
    ]


def test_a_patient_twice_and_in_two_beds():
    rows = [GOOD_ROWS[0], "P-1,Jeanne Dupont,ARL-MI,214,A,,,,,", "P-2,X Y,ARL-MI,,,,,,,"]
    rows += ["P-1,Jeanne Dupont,ARL-MI,301,,,,,,", "P-2,X Y,ARL-MI,,,,,,,"]
    assert errors_of(csv_of(*rows)) == [
        "line 3: patient_id: 'P-1' is already at line 2",
        "line 5: patient_id: 'P-1' is already in room 214 bed A of ARL-MI at line 2: a "
        "patient in two beds",
        "line 6: patient_id: 'P-2' is already at line 4",
    ]


def test_two_patients_in_one_bed():
    rows = [GOOD_ROWS[0], "P-7,Luc Piron,ARL-MI,214,A,,,,,", "P-8,Luc Piron,ARL-GER,214,A,,,,,"]
    # a room shared with no bed letter (a mother and her newborn) is not a conflict
    rows += ["P-9,Léa Bodart,ARL-MAT,310,,,F,,,", "P-10,Bébé Bodart,ARL-MAT,310,,,F,,,"]
    assert errors_of(csv_of(*rows)) == [
        "line 3: bed: room 214 bed A of ARL-MI is already taken by 'P-1' at line 2"
    ]


def test_malformed_csv_not_utf8_and_nul():
    assert errors_of(csv_of('P-1,"A B,ARL-MI,,,,,,,')) == [
        "line 2: malformed CSV (unexpected end of data)"
    ]
    data = csv_of("P-1,Andr\xe9,ARL-MI,,,,,,,").replace("é".encode(), b"\xe9")
    assert errors_of(data) == ["line 2: not UTF-8 text (byte 0xe9): save the file as CSV UTF-8"]
    assert errors_of(csv_of("P-1,A\x00,ARL-MI,,,,,,,")) == ["line 2: a NUL character"]


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------


def workbook(rows: list[list], title: str = "Patients") -> bytes:
    return xlsx_bytes(rows, title, "other")


def test_a_good_workbook_with_date_and_number_cells():
    data = workbook(
        [
            list(COLUMNS),
            [
                "P-1",
                "Jeanne Dupont",
                "ARL-MI",
                214,
                "A",
                date(1948, 3, 21),
                "F",
                "2024-03-01T14:20:00+01:00",
                "Latex",
                None,
            ],
            [
                1042,
                "Marc Lejeune",
                "ARL-MI",
                214,
                "B",
                datetime(1951, 11, 2),
                "M",
                datetime(2024, 3, 1, 14, 20),
            ],
        ]
    )
    p1, p2 = read_census(data, "census.xlsx", SERVICES, tz=BRUSSELS)
    assert (p1.room, p1.birth_date, p1.allergies) == ("214", date(1948, 3, 21), ("Latex",))
    assert (p2.patient_id, p2.birth_date) == ("1042", date(1951, 11, 2))
    assert p2.admitted == datetime(2024, 3, 1, 13, 20, tzinfo=UTC)  # a date cell: Brussels
    # without a zone, a date-time cell is refused, naming its sheet and row
    assert errors_of(data, "census.xlsx") == [
        "sheet Patients, row 3: admitted: 2024-03-01 14:20 has no time zone: give its offset "
        "(e.g. 2024-03-05T14:20:00+01:00)"
    ]


def test_workbook_errors():
    data = workbook([["patient_id", "name", "lit"], ["P-1", "", "A"]])
    assert errors_of(data, "x.xlsx") == [
        "sheet Patients, row 1: unknown column(s) 'lit' (expected: " + ", ".join(COLUMNS) + ")",
        "sheet Patients, row 1: missing column(s) service (the first line names the columns)",
    ]
    data = workbook([list(COLUMNS[:3]), ["P-1", "A B", "ARL-MI"], ["P-1", None, "ARL-MI"]])
    assert errors_of(data, "x.xlsx") == [
        "sheet Patients, row 3: name: missing",
        "sheet Patients, row 3: patient_id: 'P-1' is already at sheet Patients, row 2",
    ]
    assert errors_of(b"not a zip", "x.xlsx") == ["not an XLSX workbook"]
    assert errors_of(b"PK\x03\x04 broken", "x.xlsx") == ["not an XLSX workbook"]


def test_the_format_is_told_by_the_contents_when_the_name_does_not():
    assert len(read_census(csv_of(*GOOD_ROWS), "export", SERVICES)) == 3
    assert len(read_census(workbook([list(COLUMNS[:3]), ["P-1", "A", "ARL-MI"]]), "x", SERVICES))
    assert read_census(json.dumps(bundle()).encode(), "export", SERVICES)[0].patient_id == "pat-1"


# ---------------------------------------------------------------------------
# FHIR
# ---------------------------------------------------------------------------

PHYSICAL = "http://terminology.hl7.org/CodeSystem/location-physical-type"


def location(id: str, kind: str, name: str, part_of: str = "", ident: str = "") -> dict:
    loc = {
        "resourceType": "Location",
        "id": id,
        "name": name,
        "physicalType": {"coding": [{"system": PHYSICAL, "code": kind}]},
    }
    if part_of:
        loc["partOf"] = {"reference": f"Location/{part_of}"}
    if ident:
        loc["identifier"] = [{"system": "urn:demo:services", "value": ident}]
    return loc


def encounter(id: str = "enc-1", patient: str = "pat-1", **changes) -> dict:
    enc = {
        "resourceType": "Encounter",
        "id": id,
        "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": f"Patient/{patient}"},
        "period": {"start": "2024-03-01T14:20:00+01:00"},
        "location": [{"location": {"reference": "Location/bed-214a"}, "status": "active"}],
    }
    enc.update(changes)
    return {k: v for k, v in enc.items() if v is not None}  # None: left out


def patient(id: str = "pat-1", **changes) -> dict:
    pat = {
        "resourceType": "Patient",
        "id": id,
        "name": [
            {"use": "maiden", "family": "Lambert", "given": ["Jeanne"]},
            {"use": "official", "family": "Dupont", "given": ["Jeanne", "Marie"]},
        ],
        "gender": "female",
        "birthDate": "1948-03-21",
    }
    pat.update(changes)
    return pat


def allergy(text: str, status: str = "active", verification: str = "confirmed", **changes):
    res = {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {"coding": [{"code": status}]},
        "verificationStatus": {"coding": [{"code": verification}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1", "display": text}]},
        "patient": {"reference": "Patient/pat-1"},
    }
    res.update(changes)
    return res


def flag(text: str, status: str = "active") -> dict:
    return {
        "resourceType": "Flag",
        "status": status,
        "code": {"text": text},
        "subject": {"reference": "Patient/pat-1"},
    }


def bundle(*extra: dict) -> dict:
    resources = [
        patient(),
        location("ward-mi", "wa", "Médecine interne", ident="ARL-MI"),
        location("room-214", "ro", "214", part_of="ward-mi"),
        location("bed-214a", "bd", "A", part_of="room-214"),
        encounter(),
        allergy("Pénicilline"),
        allergy("Latex", status="resolved"),
        allergy("Arachide", verification="refuted"),
        allergy("Pénicilline"),  # twice in the record: once in the census
        {**allergy(""), "code": {"text": "Iode (produits de contraste)"}},
        flag("Risque de chute"),
        flag("Isolement contact (BMR)", status="inactive"),
        *extra,
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def fhir(doc, name: str = "census.json", **options) -> list[Inpatient]:
    return read_census(json.dumps(doc).encode(), name, SERVICES, **options)


def fhir_errors(doc, name: str = "census.json", **options) -> list[str]:
    return errors_of(json.dumps(doc).encode(), name, **options)


def test_a_bundle_gives_the_patients_present():
    (p,) = fhir(bundle())
    assert p == Inpatient(
        patient_id="pat-1",
        name="Jeanne Marie Dupont",  # the official name
        service="ARL-MI",  # the ward the bed is part of
        birth_date=date(1948, 3, 21),
        sex="F",
        room="214",
        bed="A",
        admitted=datetime(2024, 3, 1, 13, 20, tzinfo=UTC),
        allergies=("Pénicilline", "Iode (produits de contraste)"),
        alerts=("Risque de chute",),
    )


def test_who_is_present():
    others = [
        patient("pat-2", gender="male", birthDate="1950"),
        patient("pat-3", gender="other"),
        patient("pat-4"),
        patient("pat-5"),
        patient("pat-6"),
        # on leave for the weekend: the bed is kept, the unit must know
        encounter(
            "enc-2",
            "pat-2",
            status="onleave",
            location=[],
            serviceType={"coding": [{"code": "ARL-GER"}]},
        ),
        # a stay (no unit) and its sub-encounter in the unit: the sub-encounter tells
        encounter("stay-3", "pat-3", location=[], serviceProvider={"reference": "Organization/o"}),
        encounter(
            "enc-3",
            "pat-3",
            partOf={"reference": "Encounter/stay-3"},
            location=[
                {"location": {"display": "Box 4"}, "physicalType": {"coding": [{"code": "ro"}]}},
                {"location": {"identifier": {"value": "ARL-URG"}}},
            ],
        ),
        encounter("enc-4", "pat-4", status="finished"),
        encounter("enc-5", "pat-5", **{"class": {"code": "AMB"}}),
        encounter("enc-6", "pat-6", status="planned"),
        # just arrived, named by the hospital's number
        patient("pat-7", identifier=[{"system": "urn:demo:mrn", "value": "MRN-7"}]),
        encounter(
            "enc-7",
            status="arrived",
            subject={"reference": "Patient?identifier=urn:demo:mrn|MRN-7"},
            period=None,
            location=[],
            type=[{"coding": [{"system": "urn:demo:services", "code": "ARL-URG"}]}],
        ),
    ]
    p1, p2, p3, p7 = fhir(bundle(*others))
    assert p1.patient_id == "pat-1"
    assert (p2.patient_id, p2.service, p2.sex, p2.room) == ("pat-2", "ARL-GER", "M", "")
    assert p2.birth_date is None  # a year alone
    assert (p3.patient_id, p3.service, p3.sex) == ("pat-3", "ARL-URG", "")
    assert (p3.room, p3.bed, p3.admitted) == ("Box 4", "", p1.admitted)
    assert (p7.patient_id, p7.service, p7.admitted) == ("pat-7", "ARL-URG", None)


def test_ndjson_and_ndjson_under_a_json_name():
    lines = "\n".join(json.dumps(e["resource"]) for e in bundle()["entry"]).encode()
    for name in ("census.ndjson", "census.json", "export"):
        assert [p.patient_id for p in read_census(lines, name, SERVICES)] == ["pat-1"]
    broken = lines + b'\n{"resourceType": "Encounter", "status": \n'
    assert errors_of(broken, "census.ndjson") == [
        "census.ndjson line 13: malformed JSON: Expecting value (column 41)"
    ]


def test_fhir_errors_name_the_json_path():
    doc = bundle(
        encounter("enc-2", "nobody"),
        encounter("enc-3", "pat-1", location=[], period={"start": "2024-03-01"}),
        encounter("enc-4", "pat-4", location=[], status="sleeping"),
        patient("pat-4", birthDate="1948-13-01"),
        {"resourceType": "Nonsense"},
        encounter("enc-5", "pat-5", location=[], subject={"reference": "Group/g"}),
    )
    errors = fhir_errors(doc)
    assert errors[4].startswith("entry[15].resource.birthDate: ")  # the validator's words
    del errors[4]
    assert errors == [
        "entry[12].resource.subject: 'Patient/nobody' is not a Patient of the document",
        "entry[13].resource: no care service of the map matches (no serviceType, specialty or "
        "location given): name a service id of the map there, or map these codes to services",
        "entry[13].resource.period.start: 2024-03-01 is a date without a time",
        "entry[14].resource.status: unknown status 'sleeping' (expected: planned, arrived, "
        "triaged, in-progress, onleave, finished, cancelled, entered-in-error, unknown)",
        "entry[16].resource.resourceType: unknown resource type 'Nonsense'",
        "entry[17].resource.subject: a Group, not a Patient",
        "entry[17].resource: no care service of the map matches (no serviceType, specialty or "
        "location given): name a service id of the map there, or map these codes to services",
    ]


def test_a_patient_present_twice_or_two_in_one_bed():
    moved = encounter(
        "enc-3",
        "pat-1",
        location=[{"location": {"reference": "Location/bed-214b"}}],
        serviceType={"coding": [{"code": "ARL-MI"}]},
    )
    doc = bundle(patient("pat-2"), encounter("enc-2", "pat-2"), moved)
    doc["entry"].append({"resource": location("bed-214b", "bd", "B", part_of="room-214")})
    assert fhir_errors(doc) == [
        "entry[13].resource.location: room 214 bed A of ARL-MI is already taken by 'pat-1' at "
        "entry[4].resource",
        "entry[14].resource.subject: 'pat-1' is already in room 214 bed A of ARL-MI at "
        "entry[4].resource: a patient in two beds",
    ]


def test_not_fhir():
    assert fhir_errors([1, "x"]) == [
        "[0]: not a FHIR resource (expected an object)",
        "[1]: not a FHIR resource (expected an object)",
    ]
    assert fhir_errors(42) == ["not a FHIR document: expected a Bundle or a resource (object)"]
    assert fhir({"resourceType": "Bundle", "type": "collection"}) == []
    assert errors_of(b'{"resourceType": "Bundle",', "x.json") == [
        "line 1: malformed JSON: Expecting property name enclosed in double quotes (column 27)"
    ]
    assert errors_of(b"\xff\xfe{}", "x.ndjson") == [
        "x.ndjson line 1: not UTF-8 text (invalid start byte)"
    ]


# ---------------------------------------------------------------------------
# The demo census
# ---------------------------------------------------------------------------

DEMO = demo_census.generate(GM, seed=1, today=TODAY)


def test_demo_is_deterministic():
    assert demo_census.generate(GM, seed=1, today=TODAY) == DEMO
    other = demo_census.generate(GM, seed=2, today=TODAY)
    assert other != DEMO and abs(len(other) - len(DEMO)) < 100
    # `today` only places the dates
    later = demo_census.generate(GM, seed=1, today=TODAY + timedelta(days=7))
    assert [(p.name, p.room, p.bed) for p in later] == [(p.name, p.room, p.bed) for p in DEMO]
    week = timedelta(days=7)
    shifts = {b.admitted - a.admitted for a, b in zip(DEMO, later, strict=True)}
    assert shifts <= {week - timedelta(hours=1), week, week + timedelta(hours=1)}  # clock changes


def test_demo_counts_and_shares():
    assert 1200 <= len(DEMO) <= 1800
    assert 0.15 <= sum(bool(p.allergies) for p in DEMO) / len(DEMO) <= 0.25
    assert 0.2 <= sum(bool(p.alerts) for p in DEMO) / len(DEMO) <= 0.3
    units = Counter(demo_census.unit_of(s) for s in GM.services)
    present = Counter(p.service for p in DEMO)
    kinds = {s.id: s.kind for s in GM.services}
    assert set(Counter(kinds[s] for s in present)) == {
        "icu",
        "emergency",
        "maternity",
        "neonatology",
        "ward",
        "residents_care",
        "psychiatric_care",
    }
    assert units["geriatrics"] == 6 and units["paediatrics"] == 5 and units["residents"] == 4
    # every inpatient unit has patients; ids are unique, beds are not shared
    assert {s.id for s in GM.services if demo_census.unit_of(s)} == set(present)
    assert len({p.patient_id for p in DEMO}) == len(DEMO)
    beds = [(p.service, p.room, p.bed) for p in DEMO if p.bed]
    assert len(set(beds)) == len(beds)


def test_demo_patients_fit_their_unit():
    census_time = datetime(2024, 3, 5, 7, tzinfo=BRUSSELS)
    unit = {s.id: demo_census.unit_of(s) for s in GM.services}
    for p in DEMO:
        age = (TODAY - p.birth_date).days
        kind = unit[p.service]
        assert p.admitted.tzinfo is UTC and p.admitted < census_time
        assert p.birth_date <= p.admitted.astimezone(BRUSSELS).date()
        assert p.sex in ("F", "M") and p.room and p.name
        if kind == "neonatology":
            assert 1 <= age <= 40
        elif kind == "geriatrics":
            assert age >= 75 * 365
        elif kind == "maternity":
            assert p.sex == "F" and 18 * 365 <= age <= 46 * 365
        elif kind == "paediatrics":
            assert age < 16 * 365
        elif kind == "emergency":
            assert p.room.startswith("Box ") and census_time - p.admitted <= timedelta(hours=14)
        if kind != "emergency":
            assert p.room.isdigit() and p.bed in ("", "A", "B", "C", "D")
    # a shared room holds one sex (but in paediatrics and neonatology)
    rooms: dict[tuple[str, str], set[str]] = {}
    for p in DEMO:
        if p.bed and unit[p.service] not in ("neonatology", "paediatrics"):
            rooms.setdefault((p.service, p.room), set()).add(p.sex)
    assert all(len(sexes) == 1 for sexes in rooms.values())


def test_first_names_follow_the_sex():
    given = demo_census._GIVEN
    assert {"Marie", "Jeanne", "Josiane"} <= set(given["fr"]["F"])
    assert {"Jean", "Étienne"} <= set(given["fr"]["M"]) and "Marie" not in given["fr"]["M"]
    assert "Marleen" in given["nl"]["F"] and "Jan" in given["nl"]["M"]
    assert "Helga" in given["de"]["F"] and "Klaus" in given["de"]["M"]
    assert "Hannah" in given["en"]["F"] and "James" in given["en"]["M"]


def test_demo_round_trips_through_its_csv():
    for tz in (None, "Europe/Brussels"):
        text = demo_census.to_csv(DEMO, tz)
        assert text.splitlines()[0] == HEADER
        assert read_census(text.encode("utf-8"), "census.csv", SERVICES) == DEMO
    semicolons = demo_census.to_csv(DEMO[:50]).replace(",", ";")  # no comma in the demo values
    assert read_census(semicolons.encode(), "census.csv", SERVICES) == DEMO[:50]


def test_demo_on_a_lone_clinic_and_a_map_without_hosts():
    clinic = parse_map(demo_map.generate(sites=1))
    patients = demo_census.generate(clinic, today=TODAY)
    assert 30 <= len(patients) <= 200 and {p.service[:4] for p in patients} == {"CSJ-"}
    bare = replace(GM, hosts=())  # no workstation to size the sites: a middle size
    assert 0.5 < len(demo_census.generate(bare, today=TODAY)) / len(DEMO) < 1.2


# ---------------------------------------------------------------------------
# The real bulk export of the shared data directory (Synthea, FHIR R4 NDJSON)
# ---------------------------------------------------------------------------


def synthea_export() -> list[dict]:
    return [r for path in sorted(SYNTHEA.glob("*.ndjson")) for r in ndjson_lines(path)]


@needs_synthea
def test_synthea_export_reads_and_no_one_is_present():
    # every encounter of the export is finished: the census is empty, and no error
    resources = synthea_export()
    assert {r["status"] for r in resources if r["resourceType"] == "Encounter"} == {"finished"}
    assert read_census(ndjson(resources), "export.ndjson", SERVICES) == []


@needs_synthea
def test_synthea_patient_marked_present():
    resources = synthea_export()
    stay = next(
        r for r in resources if r["resourceType"] == "Encounter" and r["class"]["code"] == "IMP"
    )
    stay["status"] = "in-progress"
    where = stay["location"][0]["location"]["reference"].partition("=")[2]  # system|value
    pid = stay["subject"]["reference"].partition("/")[2]
    record = next(r for r in resources if r["resourceType"] == "Patient" and r["id"] == pid)
    allergies = [
        r
        for r in resources
        if r["resourceType"] == "AllergyIntolerance"
        and r["patient"]["reference"].endswith(pid)
        and r.get("clinicalStatus", {}).get("coding", [{}])[0].get("code", "active") == "active"
    ]
    if not allergies:  # this snapshot of the export holds none: one of ours, on the real patient
        allergies = [allergy("Allergy to penicillin", patient={"reference": f"Patient/{pid}"})]
        resources += allergies
    # unmapped, its hospital matches no service of the map: said, with the line
    errors = errors_of(ndjson(resources), "export.ndjson")
    assert len(errors) == 1 and "no care service of the map matches (Location" in errors[0]

    (p,) = read_census(ndjson(resources), "export.ndjson", SERVICES, service_map={where: "ARL-MI"})
    official = next(n for n in record["name"] if n.get("use") == "official")
    assert p.patient_id == pid and p.service == "ARL-MI"
    assert p.name == " ".join([*official["given"], official["family"]])
    assert p.birth_date == date.fromisoformat(record["birthDate"])
    assert p.sex == {"female": "F", "male": "M"}[record["gender"]]
    assert p.admitted == datetime.fromisoformat(stay["period"]["start"])
    expected = [a["code"].get("text") or a["code"]["coding"][0]["display"] for a in allergies]
    assert p.allergies == tuple(dict.fromkeys(expected)) and p.alerts == ()


# ---------------------------------------------------------------------------
# Fuzz: nothing but CensusInvalid, whatever the input
# ---------------------------------------------------------------------------

JSON = json_values(
    "2024-03-01T14:20:00+01:00", "Patient/pat-1", "Location/bed-214a", "in-progress", "bd"
)
ENCOUNTER_KEYS = st.sampled_from(
    ["period", "class", "status", "subject", "location", "partOf", "serviceType", "type"]
)


def only_invalid(data: bytes, name: str, **options) -> None:
    only_refused(CensusInvalid, Inpatient, read_census, data, name, SERVICES, **options)


@FUZZ
@given(
    data=st.binary(max_size=300),
    name=st.sampled_from(["c.csv", "c.xlsx", "c.json", "c.ndjson", "c"]),
)
def test_arbitrary_bytes(data, name):
    only_invalid(data, name)


@FUZZ
@given(text=st.text(max_size=400))
def test_arbitrary_text_as_csv(text):
    only_invalid(text.encode("utf-8", "surrogatepass"), "census.csv")


CELLS = ["", "P-1", "P-2", "ARL-MI", "214", "A", "1948-03-21", "2024-02-30", "F", "x"]
CELLS += ["2024-03-01T14:20:00+01:00", "2024-03-01 14:20", "Latex|AINS", '"', "x;y", "é"]


@FUZZ
@given(rows=cell_rows(CELLS, 12), delimiter=DELIMITERS)
def test_arbitrary_cells_under_a_good_header(rows, delimiter):
    text = "\n".join([HEADER.replace(",", delimiter)] + [delimiter.join(r) for r in rows])
    only_invalid(text.encode("utf-8"), "census.csv")
    only_invalid(text.encode("utf-8"), "census.csv", tz="Europe/Brussels")


@FUZZ
@given(doc=JSON)
def test_arbitrary_json(doc):
    for shape in fhir_shapes(doc):
        only_invalid(json.dumps(shape).encode(), "c.json")


@FUZZ
@given(changes=st.dictionaries(ENCOUNTER_KEYS, JSON, max_size=3))
def test_arbitrary_values_in_an_encounter(changes):
    doc = bundle()
    doc["entry"][4]["resource"].update(changes)
    only_invalid(json.dumps(doc).encode(), "c.json")
    lines = [copy.deepcopy(e["resource"]) for e in doc["entry"]]
    only_invalid(ndjson(lines), "c.ndjson")
