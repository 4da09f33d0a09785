"""Map files: every format round-trips, every error names its file and line or row, and
no input, however broken, makes the readers raise anything but MapFileError/MapInvalid.

Pure Python (no Django): run with ``-p no:django``.
"""

from __future__ import annotations

import copy
import csv
import json
import string
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crisiscell.engine.groupmap import (
    CRITICALITIES,
    FIELDS,
    HOST_ROLES,
    SITE_KINDS,
    TABLES,
    WITHOUT,
    ZONE_KINDS,
    GroupMap,
    MapInvalid,
    map_to_doc,
    parse_map,
)
from crisiscell.engine.mapfiles import (
    FORMATS,
    LocatedError,
    MapFileError,
    read_document,
    read_map,
    write_map,
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def small_map_doc() -> dict[str, Any]:
    """A tiny hospital group in FORMATS.md style: a hospital with the servers, a clinic."""
    return {
        "group": {
            "id": "demo",
            "name": "Groupe hospitalier démo",
            "timezone": "Europe/Brussels",
            "country": "BE",
        },
        "sites": [
            {"id": "ARL", "name": "Hôpital d'Arlon", "kind": "hospital"},
            {"id": "MAR", "name": "Clinique de Marche", "kind": "clinic"},
        ],
        "zones": [
            {"id": "ARL-WS", "site": "ARL", "kind": "workstations"},
            {"id": "ARL-SRV", "site": "ARL", "kind": "servers", "name": "Salle serveurs"},
            {"id": "ARL-MED", "site": "ARL", "kind": "medical"},
            {"id": "MAR-WS", "site": "MAR", "kind": "workstations"},
            {"id": "INTERNET", "kind": "internet"},
        ],
        "flows": [
            {"from": "ARL-WS", "to": "ARL-SRV", "ports": "443;445", "purpose": "EHR, file shares"},
            {"from": "MAR-WS", "to": "ARL-SRV", "ports": "443"},
            {"from": "ARL-MED", "to": "ARL-SRV", "ports": "104", "purpose": "DICOM"},
            {"from": "ARL-SRV", "to": "INTERNET", "ports": "443"},
        ],
        "hosts": [
            {"id": "srv-ad-01", "zone": "ARL-SRV", "role": "server", "os": "Windows Server 2019"},
            {"id": "srv-sql-01", "zone": "ARL-SRV", "role": "server", "ip": "10.1.0.12"},
            {"id": "srv-ehr-01", "zone": "ARL-SRV", "role": "server"},
            {"id": "srv-ehr-02", "zone": "ARL-SRV", "role": "server"},
            {"id": "srv-pacs-01", "zone": "ARL-SRV", "role": "server"},
            {"id": "mod-ct-01", "zone": "ARL-MED", "role": "medical_device"},
            {"id": "ws-arl-001", "zone": "ARL-WS", "role": "workstation"},
            {"id": "ws-mar-001", "zone": "MAR-WS", "role": "workstation"},
        ],
        "applications": [
            {"id": "AD", "name": "Active Directory", "hosts": ["srv-ad-01"]},
            {"id": "SQL", "name": "SQL Server", "hosts": ["srv-sql-01"], "needs": ["AD"]},
            {
                "id": "EHR",
                "name": "Dossier patient informatisé",
                "hosts": ["srv-ehr-01", "srv-ehr-02"],
                "needs": ["AD", "SQL"],
                "rto_hours": 8,
            },
            {
                "id": "PACS",
                "name": "PACS",
                "hosts": ["srv-pacs-01"],
                "needs": ["AD"],
                "rto_hours": 24.5,
            },
        ],
        "services": [
            {
                "id": "ARL-RAD",
                "site": "ARL",
                "name": "Radiologie",
                "kind": "radiology",
                "criticality": "essential",
                "workstations": ["ARL-WS", "ARL-MED"],
                "capacity_minutes_per_day": 4800,
                "degraded_capacity": 0.4,
                "needs": [
                    {"app": "PACS", "without": "degraded"},
                    {"app": "EHR", "without": "degraded"},
                ],
            },
            {
                "id": "ARL-ICU",
                "site": "ARL",
                "name": "Soins intensifs",
                "kind": "icu",
                "criticality": "vital",
                "workstations": ["ARL-WS"],
                "needs": [{"app": "EHR", "without": "down"}],
            },
            {
                "id": "MAR-CONS",
                "site": "MAR",
                "name": "Consultations",
                "kind": "consultation",
                "criticality": "deferrable",
                "workstations": ["MAR-WS"],
                "capacity_minutes_per_day": 2400,
            },
        ],
    }


def target(tmp_path: Path, fmt: str, stem: str = "group") -> Path:
    return tmp_path / (stem if fmt == "csv" else f"{stem}.{fmt}")


def written(gm: GroupMap, fmt: str, tmp_path: Path, stem: str = "group") -> Path:
    path = target(tmp_path, fmt, stem)
    write_map(gm, fmt, path)
    return path


def errors_of(path: Path, kind: type[Exception] = MapInvalid) -> list[str]:
    with pytest.raises(kind) as exc:
        read_map(path)
    return [str(e) for e in exc.value.errors]


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips(tmp_path, fmt):
    gm = parse_map(small_map_doc())
    path = written(gm, fmt, tmp_path)
    assert read_map(path) == gm
    # and again from what was read: export is stable
    again = written(read_map(path), fmt, tmp_path, "again")
    assert read_map(again) == gm


def test_file_to_every_format_and_back(tmp_path):
    source = tmp_path / "source.yaml"
    source.write_text(yaml.safe_dump(small_map_doc(), allow_unicode=True), encoding="utf-8")
    gm = read_map(source)
    for fmt in FORMATS:
        gm2 = read_map(written(gm, fmt, tmp_path, f"out-{fmt}"))
        assert gm2 == gm, fmt
        assert read_map(written(gm2, "yaml", tmp_path, f"back-{fmt}")) == gm


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_text_formats_write_to_a_stream(tmp_path, fmt):
    import io

    gm = parse_map(small_map_doc())
    out = io.StringIO()
    write_map(gm, fmt, out)
    path = tmp_path / f"stream.{fmt}"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert read_map(path) == gm


def test_yaml_export_is_one_line_per_record_as_in_the_format_doc(tmp_path):
    text = written(parse_map(small_map_doc()), "yaml", tmp_path).read_text(encoding="utf-8")
    assert "- {id: ARL, name: Hôpital d'Arlon, kind: hospital}" in text
    assert "rto_hours: 8\n" in text and "rto_hours: 8.0" not in text


def test_read_document_gives_the_plain_document(tmp_path):
    gm = parse_map(small_map_doc())
    for fmt in FORMATS:
        doc = read_document(written(gm, fmt, tmp_path, f"d-{fmt}"))
        assert parse_map(doc) == gm


def test_table_formats_refuse_ids_that_would_not_survive_a_list_cell(tmp_path):
    doc = small_map_doc()
    doc["hosts"][0]["id"] = "srv;ad"
    doc["applications"][0]["hosts"] = ["srv;ad"]
    gm = parse_map(doc)
    with pytest.raises(ValueError, match="srv;ad"):
        write_map(gm, "csv", tmp_path / "csv")
    assert read_map(written(gm, "yaml", tmp_path)) == gm


def test_unknown_format_and_stream_for_tables(tmp_path):
    import io

    gm = parse_map(small_map_doc())
    with pytest.raises(ValueError):
        write_map(gm, "toml", tmp_path / "x.toml")
    with pytest.raises(TypeError):
        write_map(gm, "xlsx", io.StringIO())


# --- random valid maps ----------------------------------------------------

# Text a spreadsheet cell keeps as is: no surrogates, no control characters.
CELL_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
    max_size=12,
)
ID = (
    st.text(
        alphabet=string.ascii_letters + string.digits + "-_.é=#/ ",
        min_size=1,
        max_size=8,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def valid_maps(draw) -> dict[str, Any]:
    ids = draw(st.lists(ID, min_size=14, max_size=24, unique=True))
    pool = iter(ids)

    def take(n: int) -> list[str]:
        return [next(pool) for _ in range(n)]

    site_ids = take(draw(st.integers(1, 2)))
    zone_ids = take(draw(st.integers(1, 3)))
    host_ids = take(draw(st.integers(1, 3)))
    app_ids = take(draw(st.integers(1, 3)))
    service_ids = list(pool)[: draw(st.integers(0, 3))]
    opt = st.one_of(st.none(), CELL_TEXT)

    def clean(d: dict) -> dict:
        return {k: v for k, v in d.items() if v is not None}

    zones = [
        clean(
            {
                "id": z,
                "site": draw(st.sampled_from(site_ids)),
                "kind": draw(st.sampled_from(ZONE_KINDS[:-1])),
                "name": draw(opt),
            }
        )
        for z in zone_ids
    ]
    if draw(st.booleans()):
        zones.append({"id": "NET", "kind": "internet"})
    work_zones = [z["id"] for z in zones if z["kind"] != "internet"]
    all_zones = [z["id"] for z in zones]
    pairs = [(a, b) for a in all_zones for b in all_zones if a != b]
    flows = [
        clean({"from": a, "to": b, "ports": draw(opt), "purpose": draw(opt)})
        for a, b in draw(
            st.lists(st.sampled_from(pairs), unique=True, max_size=3) if pairs else st.just([])
        )
    ]
    hosts = [
        clean(
            {
                "id": h,
                "zone": draw(st.sampled_from(all_zones)),
                "role": draw(st.sampled_from(HOST_ROLES)),
                "os": draw(opt),
                "ip": draw(opt),
            }
        )
        for h in host_ids
    ]
    number = st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False))
    apps = []
    for i, a in enumerate(app_ids):
        apps.append(
            clean(
                {
                    "id": a,
                    "name": draw(CELL_TEXT.filter(str.strip)),
                    "hosts": draw(st.lists(st.sampled_from(host_ids), min_size=1, unique=True)),
                    "needs": draw(st.lists(st.sampled_from(app_ids[:i]), unique=True))
                    if i
                    else None,
                    "rto_hours": draw(st.one_of(st.none(), number)),
                }
            )
        )
    services = []
    for s in service_ids:
        needs = draw(st.lists(st.sampled_from(app_ids), unique=True, max_size=3))
        services.append(
            clean(
                {
                    "id": s,
                    "site": draw(st.sampled_from(site_ids)),
                    "name": draw(CELL_TEXT.filter(str.strip)),
                    "kind": draw(CELL_TEXT.filter(str.strip)),
                    "criticality": draw(st.sampled_from(CRITICALITIES)),
                    "workstations": draw(
                        st.lists(st.sampled_from(work_zones), min_size=1, unique=True)
                    ),
                    "capacity_minutes_per_day": draw(st.one_of(st.none(), st.integers(0, 10**9))),
                    "degraded_capacity": draw(st.one_of(st.none(), st.floats(0, 1))),
                    "needs": [{"app": n, "without": draw(st.sampled_from(WITHOUT))} for n in needs]
                    or None,
                }
            )
        )
    timezone = st.one_of(st.none(), st.sampled_from(["Europe/Paris", "UTC"]))
    group = clean({"id": draw(ID), "name": draw(opt), "timezone": draw(timezone), "country": "FR"})
    return {
        "group": group,
        "sites": [
            {
                "id": s,
                "name": draw(CELL_TEXT.filter(str.strip)),
                "kind": draw(st.sampled_from(SITE_KINDS)),
            }
            for s in site_ids
        ],
        "zones": zones,
        "flows": flows,
        "hosts": hosts,
        "applications": apps,
        "services": services,
    }


@FUZZ
@given(doc=valid_maps(), fmt=st.sampled_from(FORMATS))
def test_random_valid_maps_round_trip(tmp_path_factory, doc, fmt):
    gm = parse_map(doc)
    tmp = tmp_path_factory.mktemp("rt")
    assert read_map(written(gm, fmt, tmp)) == gm


# ---------------------------------------------------------------------------
# Content errors, placed in the file
# ---------------------------------------------------------------------------


def bad_doc() -> dict[str, Any]:
    """Five kinds of mistake at once: every one must be reported."""
    doc = small_map_doc()
    doc["services"][0]["needs"][0]["app"] = "PAC"  # unknown reference
    doc["hosts"].append(dict(doc["hosts"][0], os="Linux"))  # duplicate id
    doc["applications"][0]["needs"] = ["PACS"]  # cycle AD -> PACS -> AD
    del doc["hosts"][6]["role"]  # missing field
    doc["services"][2]["capacity_minutes_per_day"] = "lots"  # wrong type
    return doc


def line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[nth - 1]


def test_yaml_errors_name_the_line(tmp_path):
    path = tmp_path / "group.yaml"
    # block style: each key on its own line, so lines are unambiguous
    text = yaml.safe_dump(bad_doc(), allow_unicode=True, sort_keys=False, default_flow_style=False)
    path.write_text(text, encoding="utf-8")
    errors = errors_of(path)
    pac = line_of(text, "app: PAC")
    assert f"group.yaml:{pac}: services[0].needs[0].app: unknown application 'PAC'" in errors
    dup = line_of(text, "id: srv-ad-01", 2)
    assert any(
        e.startswith(f"group.yaml:{dup}: hosts[8]: duplicate host id 'srv-ad-01'") for e in errors
    )
    assert any(e.startswith("group.yaml:") and "dependency cycle" in e for e in errors)
    assert any(
        e.startswith("group.yaml:") and "hosts[6].role: missing required field" in e for e in errors
    )
    cap = line_of(text, "capacity_minutes_per_day: lots")
    assert any(
        e.startswith(f"group.yaml:{cap}: services[2].capacity_minutes_per_day: expected")
        for e in errors
    )
    assert len(errors) == 5


def test_yaml_error_objects_keep_the_plain_path(tmp_path):
    path = tmp_path / "group.yaml"
    path.write_text(yaml.safe_dump(bad_doc()), encoding="utf-8")
    with pytest.raises(MapInvalid) as exc:
        read_map(path)
    paths = {e.path for e in exc.value.errors}
    assert "services[0].needs[0].app" in paths
    assert all(isinstance(e, LocatedError) for e in exc.value.errors)


def test_json_errors_name_the_file_and_path(tmp_path):
    path = tmp_path / "group.json"
    path.write_text(json.dumps(bad_doc(), indent=1), encoding="utf-8")
    errors = errors_of(path)
    assert "group.json: services[0].needs[0].app: unknown application 'PAC'" in errors
    assert len(errors) == 5


def workbook_of(doc: dict, path: Path) -> Path:
    """A workbook written by hand from a document, the way a hospital would fill one."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for table in TABLES:
        ws = wb.create_sheet(table)
        if table == "group":
            names = list(doc["group"])
            ws.append(names)
            ws.append([doc["group"][n] for n in names])
            continue
        names = [f.name for f in FIELDS[table]]
        ws.append(names)
        if table == "service_needs":
            for s in doc["services"]:
                for n in s.get("needs", []):
                    ws.append([s["id"], n.get("app"), n.get("without")])
            continue
        for rec in doc[table]:
            ws.append(
                [";".join(v) if isinstance(v, list) else v for v in (rec.get(n) for n in names)]
            )
    wb.save(path)
    return path


def test_xlsx_errors_name_sheet_and_row(tmp_path):
    errors = errors_of(workbook_of(bad_doc(), tmp_path / "group.xlsx"))
    assert "group.xlsx[service_needs] row 2: app: unknown application 'PAC'" in errors
    assert "group.xlsx[hosts] row 10: duplicate host id 'srv-ad-01' (first at row 2)" in errors
    assert "group.xlsx[applications] row 2: needs: dependency cycle: AD -> PACS -> AD" in errors
    assert "group.xlsx[hosts] row 8: role: missing required field" in errors
    assert any(
        e.startswith("group.xlsx[services] row 4: capacity_minutes_per_day: expected")
        for e in errors
    )
    assert len(errors) == 5


def test_csv_errors_name_file_and_line(tmp_path):
    gm_doc = bad_doc()
    folder = tmp_path / "group"
    write_map(parse_map(small_map_doc()), "csv", folder)
    services = (folder / "services.csv").read_text(encoding="utf-8").replace("2400", "lots")
    (folder / "services.csv").write_text(services, encoding="utf-8")
    (folder / "service_needs.csv").write_text(
        "service,app,without\nARL-RAD,PAC,degraded\nARL-RAD,EHR,degraded\nARL-ICU,EHR,down\n"
        "NOPE,EHR,down\n",
        encoding="utf-8",
    )
    del gm_doc
    errors = errors_of(folder)
    assert "service_needs.csv line 2: app: unknown application 'PAC'" in errors
    assert "service_needs.csv line 5: service: unknown service 'NOPE'" in errors
    assert any(
        e.startswith("services.csv line 4: capacity_minutes_per_day: expected a whole number")
        for e in errors
    )
    assert len(errors) == 3


# ---------------------------------------------------------------------------
# Malformed files
# ---------------------------------------------------------------------------


def test_malformed_yaml_names_line_and_column(tmp_path):
    path = tmp_path / "group.yaml"
    path.write_text(
        "group: {id: demo}\nsites:\n  - {id: ARL, name: [x\nzones: []\n", encoding="utf-8"
    )
    (error,) = errors_of(path, MapFileError)
    assert error.startswith("group.yaml:4:") and "malformed YAML" in error


def test_yaml_duplicate_keys_are_errors_with_lines(tmp_path):
    path = tmp_path / "group.yaml"
    path.write_text(
        "group: {id: demo}\nsites:\n  - id: ARL\n    name: A\n    name: B\n    kind: hospital\n"
        "zones: []\nzones: []\n",
        encoding="utf-8",
    )
    errors = errors_of(path, MapFileError)
    assert errors == [
        "group.yaml:5: sites[0].name: duplicate key 'name' (first at line 4)",
        "group.yaml:8: zones: duplicate key 'zones' (first at line 7)",
    ]


def test_yaml_merge_keys_are_not_duplicates(tmp_path):
    path = tmp_path / "group.yaml"
    doc = small_map_doc()
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    text = text.replace(
        "sites:\n", "sites:\n- &base {id: X1, name: base, kind: clinic}\n- {<<: *base, id: X2}\n", 1
    )
    path.write_text(text, encoding="utf-8")
    gm = read_map(path)
    assert [s.id for s in gm.sites][:2] == ["X1", "X2"]


def test_yaml_undecodable_bytes(tmp_path):
    path = tmp_path / "group.yaml"
    path.write_bytes(b"group: {id: demo}\nsites: \xff\xfe\n")
    (error,) = errors_of(path, MapFileError)
    assert error.startswith("group.yaml:2:")


def test_malformed_json_names_line_and_column(tmp_path):
    path = tmp_path / "group.json"
    path.write_text('{"group": {"id": "demo"},\n "sites": [,]}', encoding="utf-8")
    (error,) = errors_of(path, MapFileError)
    assert error.startswith("group.json:2:") and "malformed JSON" in error


def test_json_duplicate_keys(tmp_path):
    path = tmp_path / "group.json"
    path.write_text('{"group": {"id": "a", "id": "b"}, "sites": []}', encoding="utf-8")
    assert errors_of(path, MapFileError) == ["group.json: group.id: duplicate key 'id'"]


def test_deeply_nested_documents_are_refused_cleanly(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (tmp_path / "deep.yaml").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    errors_of(tmp_path / "deep.json", MapFileError)
    errors_of(tmp_path / "deep.yaml", MapFileError)


def test_malformed_csv_lists_every_problem(tmp_path):
    folder = written(parse_map(small_map_doc()), "csv", tmp_path)
    (folder / "hosts.csv").write_bytes(
        b'id,zone,role,os,ip\nsrv-ad-01,ARL-SRV\n"srv"x,ARL-SRV,server,,\nws,\xff,workstation,,\n'
    )
    (folder / "notes.csv").write_text("a,b\n", encoding="utf-8")
    (folder / "zones.csv").unlink()
    (folder / "README.txt").write_text("not a table", encoding="utf-8")  # ignored
    errors = errors_of(folder, MapFileError)
    assert "hosts.csv line 2: 2 value(s) for 5 column(s) (separator ',')" in errors
    assert any(e.startswith("hosts.csv line 3: malformed CSV") for e in errors)
    assert "hosts.csv line 4: not UTF-8 text (byte 0xff)" in errors
    assert any(e.startswith("notes.csv: unknown table") for e in errors)
    assert "group: missing zones.csv" in errors
    assert len(errors) == 5


def test_csv_unknown_and_missing_columns(tmp_path):
    folder = written(parse_map(small_map_doc()), "csv", tmp_path)
    (folder / "sites.csv").write_text("id,name,colour\nARL,Arlon,red\n", encoding="utf-8")
    errors = errors_of(folder, MapFileError)
    assert any(e.startswith("sites.csv line 1: unknown column 'colour'") for e in errors)
    assert "sites.csv line 1: missing column 'kind'" in errors


def test_csv_semicolons_bom_decimal_comma_and_blank_lines(tmp_path):
    gm = parse_map(small_map_doc())
    folder = written(gm, "csv", tmp_path)
    for path in folder.iterdir():
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
            writer.writerow(rows[0])
            writer.writerow([])  # blank line
            for row in rows[1:]:
                writer.writerow([c.replace("0.4", "0,4") for c in row])
            writer.writerow(["", ""][: len(rows[0])] + [""] * (len(rows[0]) - 2))
    assert read_map(folder) == gm


def test_not_an_xlsx(tmp_path):
    (tmp_path / "a.xlsx").write_text("hello", encoding="utf-8")
    (tmp_path / "b.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    assert errors_of(tmp_path / "a.xlsx", MapFileError) == ["a.xlsx: not an XLSX workbook"]
    errors_of(tmp_path / "b.xlsx", MapFileError)
    import zipfile

    with zipfile.ZipFile(tmp_path / "c.xlsx", "w") as z:
        z.writestr("hello.txt", "not a workbook")
    (error,) = errors_of(tmp_path / "c.xlsx", MapFileError)
    assert error.startswith("c.xlsx: not a readable XLSX workbook")


def test_xlsx_spreadsheet_habits(tmp_path):
    """Numbers typed in id cells, spaces around list items, empty rows, no group sheet."""
    doc = small_map_doc()
    doc["hosts"][0]["id"] = "123"
    doc["applications"][0]["hosts"] = ["123"]
    path = workbook_of(doc, tmp_path / "g.xlsx")
    wb = openpyxl.load_workbook(path)
    del wb["group"]
    wb["hosts"]["A2"] = 123  # a number, as Excel stores a typed id
    wb["applications"]["C3"] = " srv-sql-01 ; "
    wb["applications"]["E4"] = "8"  # numeric text in a number column
    wb["services"].insert_rows(3, 2)  # two empty rows
    wb["services"]["G2"] = 4800.0
    wb.save(path)
    gm = read_map(path)
    expected = dict(doc, group={"id": "group"})
    assert gm == parse_map(expected)
    assert gm.host("123").zone == "ARL-SRV"


def test_xlsx_unknown_sheet_column_and_missing_sheet(tmp_path):
    path = workbook_of(small_map_doc(), tmp_path / "g.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("notes")
    wb["sites"]["D1"] = "colour"
    wb["sites"]["D2"] = "red"
    del wb["zones"]
    wb.save(path)
    errors = errors_of(path, MapFileError)
    assert any(e.startswith("g.xlsx[notes]: unknown sheet") for e in errors)
    assert any(e.startswith("g.xlsx[sites] row 1: unknown column 'colour'") for e in errors)
    assert "g.xlsx: missing sheet 'zones'" in errors


def test_xlsx_group_sheet_holds_one_row(tmp_path):
    path = workbook_of(small_map_doc(), tmp_path / "g.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["group"].append(["other"])
    wb.save(path)
    assert errors_of(path, MapFileError) == [
        "g.xlsx[group] row 3: the group table holds a single row"
    ]


def test_missing_file_and_unknown_extension(tmp_path):
    assert "absent.yaml" in errors_of(tmp_path / "absent.yaml", MapFileError)[0]
    (tmp_path / "map.toml").write_text("x", encoding="utf-8")
    assert "unknown map format '.toml'" in errors_of(tmp_path / "map.toml", MapFileError)[0]
    (tmp_path / "sites.csv").write_text("id\n", encoding="utf-8")
    assert "folder" in errors_of(tmp_path / "sites.csv", MapFileError)[0]


# ---------------------------------------------------------------------------
# Fuzzing: only MapFileError or MapInvalid, whatever the input
# ---------------------------------------------------------------------------


def read_quietly(path: Path) -> GroupMap | None:
    try:
        return read_map(path)
    except (MapFileError, MapInvalid) as exc:
        assert exc.errors, "an error must say what is wrong"
        assert all(str(e) for e in exc.errors)
        return None


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".yaml", ".json", ".xlsx"]))
def test_random_bytes(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"g{suffix}"
    path.write_bytes(data)
    read_quietly(path)


@FUZZ
@given(text=st.text(max_size=300), suffix=st.sampled_from([".yaml", ".json"]))
def test_random_text(tmp_path_factory, text, suffix):
    path = tmp_path_factory.mktemp("text") / f"g{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    read_quietly(path)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["ARL", "ARL-WS", "srv-ad-01", "AD", "vital", "down", "hospital"]),
)
KEYS = st.one_of(
    st.sampled_from(
        [
            "group",
            *FIELDS,
            "id",
            "name",
            "kind",
            "site",
            "zone",
            "hosts",
            "needs",
            "app",
            "without",
            "from",
            "to",
            "workstations",
            "criticality",
            "rto_hours",
        ]
    ),
    st.text(max_size=6),
)
STRUCTURES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=30,
)


@FUZZ
@given(doc=st.dictionaries(KEYS, STRUCTURES, max_size=8))
def test_random_structures(tmp_path_factory, doc):
    tmp = tmp_path_factory.mktemp("struct")
    (tmp / "g.json").write_text(json.dumps(doc), encoding="utf-8")
    read_quietly(tmp / "g.json")
    (tmp / "g.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    read_quietly(tmp / "g.yaml")


YAMLISH = st.lists(
    st.sampled_from(
        [
            "sites:",
            "- {id: A, name: a, kind: clinic}",
            "  -",
            "- &x {id: B}",
            "- *x",
            "<<: *x",
            "zones: [",
            "]",
            "{",
            "}",
            "key: value",
            "  nested:",
            "    - 1",
            "!!python/object:os.system",
            "? [a, b]",
            ": c",
            "---",
            "...",
            "'unclosed",
            '"\\x00"',
            "&a [*a]",
            "id: 1",
            "id: 2",
            "\t",
            "#",
        ]
    ),
    max_size=12,
)


@FUZZ
@given(lines=YAMLISH)
def test_yamlish_lines(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("yamlish") / "g.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    read_quietly(path)


CELLS = st.one_of(
    st.text(max_size=8), st.sampled_from(["ARL", "srv-ad-01", "AD;SQL", "1,5", "", '"', ";"])
)


@FUZZ
@given(
    table=st.sampled_from(TABLES),
    header=st.one_of(
        st.none(), st.lists(st.sampled_from(["id", "name", "kind", "site", "x", ""]), max_size=5)
    ),
    rows=st.lists(st.lists(CELLS, max_size=6), max_size=5),
    delimiter=st.sampled_from([",", ";"]),
)
def test_random_csv_cells(tmp_path_factory, table, header, rows, delimiter):
    folder = written(parse_map(small_map_doc()), "csv", tmp_path_factory.mktemp("csv"))
    with (folder / f"{table}.csv").open(
        "w", encoding="utf-8", newline="", errors="surrogatepass"
    ) as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(
            header if header is not None else [f.name for f in FIELDS.get(table, ())] or ["id"]
        )
        writer.writerows(rows)
    read_quietly(folder)


XLSX_CELLS = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(),
    CELL_TEXT,
    st.sampled_from(["ARL", "srv-ad-01", "AD; SQL", "0,5", "vital", "down"]),
)


@FUZZ
@given(
    table=st.sampled_from([*TABLES, "other"]),
    cells=st.lists(st.lists(XLSX_CELLS, max_size=6), max_size=5),
)
def test_random_xlsx_cells(tmp_path_factory, table, cells):
    path = workbook_of(small_map_doc(), tmp_path_factory.mktemp("xlsx") / "g.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[table] if table in wb.sheetnames else wb.create_sheet(table)
    for row in cells:
        ws.append(row)
    wb.save(path)
    read_quietly(path)


# --- mutations of a valid document ----------------------------------------

SECTION_NAMES = ["sites", "zones", "flows", "hosts", "applications", "services"]


def mutate(doc: dict, data: st.DataObject) -> dict:
    doc = copy.deepcopy(doc)
    section = data.draw(st.sampled_from(SECTION_NAMES))
    items = doc[section]
    i = data.draw(st.integers(0, len(items) - 1))
    item = items[i]
    how = data.draw(
        st.sampled_from(["drop", "retype", "duplicate", "rename_ref", "add_key", "drop_section"])
    )
    key = data.draw(st.sampled_from(sorted(item)))
    if how == "drop":
        del item[key]
    elif how == "retype":
        item[key] = data.draw(
            st.one_of(
                st.integers(),
                st.none(),
                st.lists(st.integers(), max_size=2),
                st.booleans(),
                st.floats(),
                st.just({"a": 1}),
            )
        )
    elif how == "duplicate":
        items.append(copy.deepcopy(item))
    elif how == "rename_ref":
        value = item[key]
        item[key] = (
            [v + "X" for v in value]
            if isinstance(value, list) and all(isinstance(v, str) for v in value)
            else (value + "X" if isinstance(value, str) else value)
        )
    elif how == "add_key":
        item[data.draw(st.text(min_size=1, max_size=5))] = "x"
    else:
        del doc[section]
    return doc


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["yaml", "json", "xlsx", "csv"]))
def test_mutated_documents(tmp_path_factory, data, fmt):
    doc = mutate(small_map_doc(), data)
    tmp = tmp_path_factory.mktemp("mut")
    if fmt == "yaml":
        path = tmp / "g.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    elif fmt == "json":
        path = tmp / "g.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
    else:
        try:
            gm = parse_map(doc)
        except MapInvalid:
            assume(fmt == "xlsx")  # hand-written workbooks carry invalid content too
            path = tmp / "g.xlsx"
            try:
                workbook_of(doc, path)
            except (ValueError, TypeError, KeyError, AttributeError):
                # openpyxl cannot store the value, a whole section is gone, or a record is
                # no longer a mapping: no workbook has that shape
                assume(False)
        else:
            path = written(gm, fmt, tmp)
    try:
        expected = parse_map(doc)
    except MapInvalid as exc:
        expected = None
        n_expected = len(exc.errors)
    got = read_quietly(path)
    if expected is not None:
        assert got == expected
    elif fmt in ("yaml", "json"):
        with pytest.raises(MapInvalid) as exc:
            read_map(path)
        assert len(exc.value.errors) == n_expected


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(FORMATS))
def test_mutations_that_keep_the_map_valid_still_parse(tmp_path_factory, data, fmt):
    """Renaming an id everywhere, reordering, changing a free-text field."""
    doc = small_map_doc()
    old = data.draw(st.sampled_from(["ARL", "ARL-SRV", "srv-ehr-01", "EHR", "ARL-RAD"]))
    new = data.draw(ID.filter(lambda s: s not in json.dumps(doc)))
    text = json.dumps(doc).replace(f'"{old}"', json.dumps(new))
    doc = json.loads(text)
    rng = data.draw(st.randoms(use_true_random=False))
    for section in SECTION_NAMES:
        rng.shuffle(doc[section])
    doc["services"][0]["name"] = data.draw(CELL_TEXT.filter(str.strip))
    gm = parse_map(doc)
    assert read_map(written(gm, fmt, tmp_path_factory.mktemp("keep"))) == gm


def test_map_to_doc_is_what_yaml_and_json_write(tmp_path):
    gm = parse_map(small_map_doc())
    path = written(gm, "json", tmp_path)
    assert json.loads(path.read_text(encoding="utf-8")) == map_to_doc(gm)
    assert yaml.safe_load(written(gm, "yaml", tmp_path).read_text(encoding="utf-8")) == map_to_doc(
        gm
    )
