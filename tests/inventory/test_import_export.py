"""The map in the database: import is an all-or-nothing upsert, export gives the map back.

Bad files go through the real command (`crisiscell map import`), which must exit 2, print
every error with its place, and leave every inventory table exactly as it was.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import openpyxl
import pytest
import yaml

from crisiscell.cli import main
from crisiscell.engine.groupmap import Flow, MapInvalid, parse_map
from crisiscell.engine.mapfiles import FORMATS, read_map, write_map
from crisiscell.inventory import models as m
from crisiscell.inventory.importer import import_map
from crisiscell.inventory.snapshot import load_map
from tests.engine.test_mapfiles import bad_doc, small_map_doc, workbook_of

pytestmark = pytest.mark.django_db

INVENTORY = (
    m.Group,
    m.Site,
    m.Zone,
    m.Flow,
    m.Host,
    m.Application,
    m.ApplicationHost,
    m.ApplicationNeed,
    m.CareService,
    m.ServiceWorkstation,
    m.ServiceNeed,
)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in INVENTORY}


def states() -> dict[str, object]:
    return {
        "hosts": dict(m.Host.objects.values_list("code", "state")),
        "isolated": set(m.Zone.objects.filter(isolated=True).values_list("code", flat=True)),
        "blocked": set(
            m.Flow.objects.filter(blocked=True).values_list("source__code", "target__code")
        ),
        "internet_cut": list(m.Group.objects.values_list("internet_cut", flat=True)),
    }


def export(fmt: str, tmp_path: Path, capsys) -> Path:
    """`crisiscell map export`, to a file (or folder) named after the format."""
    out = tmp_path / (f"export-{fmt}" if fmt == "csv" else f"export.{fmt}")
    assert main(["map", "export", "--format", fmt, "--out", str(out)]) == 0
    capsys.readouterr()
    return out


# ---------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------


def test_import_then_load_gives_the_map_and_reimport_changes_nothing():
    gm = parse_map(small_map_doc())
    counts = import_map(gm)
    assert counts == {
        "sites": 2,
        "zones": 5,
        "flows": 4,
        "hosts": 8,
        "applications": 4,
        "services": 3,
    }
    assert load_map() == gm
    pks = {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in INVENTORY[:6]
    }
    import_map(gm)
    assert load_map() == gm
    assert {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in INVENTORY[:6]
    } == pks


@pytest.mark.parametrize("fmt", FORMATS)
def test_file_import_export_import_through_the_command(tmp_path, capsys, fmt):
    gm = parse_map(small_map_doc())
    source = tmp_path / (f"source-{fmt}" if fmt == "csv" else f"source.{fmt}")
    write_map(gm, fmt, source)
    assert main(["map", "import", str(source)]) == 0
    out = capsys.readouterr().out
    assert "imported 2 sites, 5 zones, 4 flows, 8 hosts, 4 applications, 3 services" in out
    assert load_map() == gm
    exported = export(fmt, tmp_path, capsys)
    assert read_map(exported) == gm
    assert main(["map", "import", str(exported)]) == 0
    assert load_map() == gm


def test_export_to_standard_output(tmp_path, capsys):
    gm = parse_map(small_map_doc())
    import_map(gm)
    for fmt in ("yaml", "json"):
        assert main(["map", "export", "--format", fmt]) == 0
        path = tmp_path / f"stdout.{fmt}"
        path.write_text(capsys.readouterr().out, encoding="utf-8")
        assert read_map(path) == gm


def test_demo_map_round_trip_through_every_format(tmp_path, capsys):
    demo_map = pytest.importorskip("crisiscell.engine.demo_map")
    gm = parse_map(demo_map.generate(seed=1))
    started = time.perf_counter()
    import_map(gm)
    print(f"demo map import: {time.perf_counter() - started:.2f}s for {gm.counts()}")
    assert load_map() == gm
    for fmt in FORMATS:
        exported = export(fmt, tmp_path, capsys)
        assert read_map(exported) == gm, fmt
        assert main(["map", "import", str(exported)]) == 0
        assert load_map() == gm, fmt


# ---------------------------------------------------------------------------
# Upsert: state survives, what left the map goes
# ---------------------------------------------------------------------------


def test_upsert_keeps_state_updates_in_place_and_deletes_what_left():
    doc = small_map_doc()
    import_map(parse_map(doc))
    m.Host.objects.filter(code__in=["srv-ehr-01", "ws-mar-001"]).update(state="compromised")
    m.Host.objects.filter(code="srv-pacs-01").update(state="off")
    m.Zone.objects.filter(code="MAR-WS").update(isolated=True)
    m.Flow.objects.filter(source__code="MAR-WS", target__code="ARL-SRV").update(blocked=True)
    m.Group.objects.update(internet_cut=True)
    ehr_pk = m.Host.objects.get(code="srv-ehr-01").pk

    new = copy.deepcopy(doc)
    new["group"]["id"] = "renamed-group"
    new["sites"][1]["name"] = "Clinique Saint-Joseph"
    new["hosts"][2]["zone"] = "ARL-MED"  # srv-ehr-01 moves zone: keeps its state and row
    new["hosts"] = [h for h in new["hosts"] if h["id"] != "srv-pacs-01"]
    new["hosts"].append({"id": "srv-pacs-02", "zone": "ARL-SRV", "role": "server"})
    new["applications"][3]["hosts"] = ["srv-pacs-02"]
    new["flows"] = [f for f in new["flows"] if f["from"] != "ARL-MED"]
    new["flows"][1]["purpose"] = "EHR from the clinic"
    new["services"] = [s for s in new["services"] if s["id"] != "ARL-ICU"]
    new["services"][0]["needs"].reverse()
    new["zones"].append({"id": "MAR-SRV", "site": "MAR", "kind": "servers"})
    gm = parse_map(new)
    import_map(gm)

    assert load_map() == gm
    after = states()
    assert after["hosts"]["srv-ehr-01"] == "compromised"
    assert after["hosts"]["ws-mar-001"] == "compromised"
    assert after["hosts"]["srv-pacs-02"] == "ok"
    assert "srv-pacs-01" not in after["hosts"]
    assert after["isolated"] == {"MAR-WS"}
    assert after["blocked"] == {("MAR-WS", "ARL-SRV")}
    assert after["internet_cut"] == [True]
    assert m.Group.objects.get().code == "renamed-group"
    assert m.Host.objects.get(code="srv-ehr-01").pk == ehr_pk
    assert not m.CareService.objects.filter(code="ARL-ICU").exists()
    assert not m.Flow.objects.filter(source__code="ARL-MED").exists()


def test_reimport_adding_ids_keeps_the_map_with_new_rows_last():
    doc = small_map_doc()
    import_map(parse_map(doc))
    new = copy.deepcopy(doc)
    new["hosts"].insert(0, {"id": "srv-new", "zone": "ARL-SRV", "role": "server"})
    gm = parse_map(new)
    import_map(gm)
    loaded = load_map()
    assert loaded.hosts[-1].id == "srv-new"
    assert set(loaded.hosts) == set(gm.hosts)
    assert loaded.applications == gm.applications and loaded.services == gm.services


def test_import_shrinks_and_grows_the_demo_map():
    demo_map = pytest.importorskip("crisiscell.engine.demo_map")
    big = parse_map(demo_map.generate(seed=1))
    small = parse_map(demo_map.generate(seed=1, sites=2))
    import_map(small)
    import_map(big)
    assert set(load_map().hosts) == set(big.hosts)
    import_map(small)
    assert load_map() == small  # the rows that stayed kept their order
    assert m.Host.objects.count() == len(small.hosts)


def test_values_the_database_cannot_hold_are_refused_before_writing():
    import_map(parse_map(small_map_doc()))
    before, gm_before = row_counts(), load_map()
    doc = small_map_doc()
    doc["sites"][0]["name"] = "x" * 201
    doc["services"][0]["capacity_minutes_per_day"] = 2**40
    with pytest.raises(MapInvalid) as exc:
        import_map(parse_map(doc))
    assert [str(e) for e in exc.value.errors] == [
        "sites[0].name: too long: 201 characters (at most 200)",
        f"services[0].capacity_minutes_per_day: too large: {2**40} (at most 2147483647)",
    ]
    assert row_counts() == before and load_map() == gm_before


# ---------------------------------------------------------------------------
# Bad files: exit 2, every error, nothing written
# ---------------------------------------------------------------------------


def write_bad(kind: str, tmp_path: Path) -> tuple[Path, list[str]]:
    """A bad map file and the fragments its error output must contain."""
    doc = small_map_doc()
    if kind == "unknown reference":
        doc["services"][1]["needs"][0]["app"] = "EHRR"
        path = tmp_path / "group.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "EHRR" in t)
        return path, [f"group.yaml:{line}: services[1].needs[0].app: unknown application 'EHRR'"]
    if kind == "duplicate id":
        doc["zones"].append({"id": "ARL-WS", "site": "MAR", "kind": "wifi"})
        path = tmp_path / "group.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path, ["group.json: zones[5]: duplicate zone id 'ARL-WS' (first at zones[0])"]
    if kind == "cycle":
        doc["applications"][0]["needs"] = ["SQL"]
        path = tmp_path / "group"
        write_map(parse_map(small_map_doc()), "csv", path)
        text = (path / "applications.csv").read_text(encoding="utf-8")
        (path / "applications.csv").write_text(
            text.replace("srv-ad-01,,", "srv-ad-01,SQL,"), encoding="utf-8"
        )
        return path, ["applications.csv line 2: needs: dependency cycle: AD -> SQL -> AD"]
    if kind == "missing field":
        del doc["hosts"][1]["zone"]
        path = workbook_of(doc, tmp_path / "group.xlsx")
        return path, ["group.xlsx[hosts] row 3: zone: missing required field"]
    if kind == "wrong type":
        doc["applications"][2]["rto_hours"] = "eight"
        doc["sites"][0]["kind"] = "hospice"
        path = tmp_path / "group.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path, [
            "applications[2].rto_hours: expected a number",
            "sites[0].kind: unknown value 'hospice'",
        ]
    if kind == "five at once":
        path = workbook_of(bad_doc(), tmp_path / "group.xlsx")
        return path, [
            "group.xlsx[service_needs] row 2: app: unknown application 'PAC'",
            "group.xlsx[hosts] row 10: duplicate host id 'srv-ad-01' (first at row 2)",
            "group.xlsx[applications] row 2: needs: dependency cycle",
            "group.xlsx[hosts] row 8: role: missing required field",
            "group.xlsx[services] row 4: capacity_minutes_per_day: expected a whole number",
        ]
    if kind == "malformed yaml":
        path = tmp_path / "group.yaml"
        path.write_text("group: {id: demo\nsites: []\n", encoding="utf-8")
        return path, ["group.yaml:2:", "malformed YAML"]
    if kind == "malformed json":
        path = tmp_path / "group.json"
        path.write_text('{"group": {"id": "demo"}, "sites": [}', encoding="utf-8")
        return path, ["group.json:1:", "malformed JSON"]
    if kind == "malformed csv":
        path = tmp_path / "group"
        write_map(parse_map(doc), "csv", path)
        with (path / "hosts.csv").open("a", encoding="utf-8") as f:
            f.write("ws-extra,MAR-WS,workstation,,,surplus\n")
        (path / "sites.csv").write_bytes(b"id,name,kind\nARL,H\xf4pital,hospital\n")
        return path, [
            "hosts.csv line 10: 6 value(s) for 5 column(s)",
            "sites.csv line 2: not UTF-8 text",
        ]
    if kind == "malformed xlsx":
        path = tmp_path / "group.xlsx"
        path.write_bytes(b"PK\x03\x04 this is not a workbook")
        return path, ["group.xlsx: not"]
    if kind == "wrong sheet":
        path = workbook_of(doc, tmp_path / "group.xlsx")
        wb = openpyxl.load_workbook(path)
        wb["flows"].title = "firewall"
        wb.save(path)
        return path, ["group.xlsx[firewall]: unknown sheet"]
    raise AssertionError(kind)


BAD = [
    "unknown reference",
    "duplicate id",
    "cycle",
    "missing field",
    "wrong type",
    "five at once",
    "malformed yaml",
    "malformed json",
    "malformed csv",
    "malformed xlsx",
    "wrong sheet",
]


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("preloaded", [False, True], ids=["empty-db", "db-with-map"])
def test_bad_file_exits_2_prints_every_error_and_writes_nothing(tmp_path, capsys, kind, preloaded):
    if preloaded:
        import_map(parse_map(small_map_doc()))
        m.Host.objects.filter(code="srv-ehr-01").update(state="compromised")
    before, state_before = row_counts(), states()
    map_before = load_map() if preloaded else None

    path, expected = write_bad(kind, tmp_path)
    assert main(["map", "import", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "nothing was imported" in captured.err
    for fragment in expected:
        assert fragment in captured.err, f"{fragment!r} not in:\n{captured.err}"
    assert "Traceback" not in captured.err

    assert row_counts() == before
    assert states() == state_before
    if preloaded:
        assert load_map() == map_before


def test_five_errors_at_once_are_each_on_their_own_line(tmp_path, capsys):
    path, expected = write_bad("five at once", tmp_path)
    assert main(["map", "import", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{path}: 5 error(s), nothing was imported"
    assert len(err) == 6
    for fragment, line in zip(sorted(expected), sorted(err[1:]), strict=True):
        assert fragment in line


def test_flows_are_keyed_by_their_zones():
    gm = parse_map(small_map_doc())
    import_map(gm)
    flow = m.Flow.objects.get(source__code="ARL-WS", target__code="ARL-SRV")
    m.Flow.objects.filter(pk=flow.pk).update(blocked=True)
    doc = small_map_doc()
    doc["flows"][0]["ports"] = "443"
    gm2 = parse_map(doc)
    import_map(gm2)
    flow.refresh_from_db()
    assert (flow.ports, flow.blocked) == ("443", True)
    assert load_map().flows[0] == Flow("ARL-WS", "ARL-SRV", "443", "EHR, file shares")
