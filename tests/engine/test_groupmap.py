"""The map validator: every error found, each naming its path; valid maps parse."""

from __future__ import annotations

import copy

import pytest

from crisiscell.engine.groupmap import MapInvalid, app_order, map_to_doc, parse_map

DOC = {
    "group": {"id": "demo", "name": "Groupe démo", "timezone": "Europe/Brussels", "country": "BE"},
    "sites": [
        {"id": "ARL", "name": "Hôpital d'Arlon", "kind": "hospital"},
        {"id": "DC", "name": "Datacenter", "kind": "datacenter"},
    ],
    "zones": [
        {"id": "ARL-WS", "site": "ARL", "kind": "workstations"},
        {"id": "DC-SRV", "site": "DC", "kind": "servers"},
        {"id": "INTERNET", "kind": "internet"},
    ],
    "flows": [{"from": "ARL-WS", "to": "DC-SRV", "ports": "443;445", "purpose": "EHR"}],
    "hosts": [
        {"id": "srv-ad-01", "zone": "DC-SRV", "role": "server"},
        {"id": "srv-pacs-01", "zone": "DC-SRV", "role": "server", "os": "Windows Server 2019"},
    ],
    "applications": [
        {"id": "AD", "name": "Active Directory", "hosts": ["srv-ad-01"]},
        {"id": "PACS", "name": "PACS", "hosts": ["srv-pacs-01"], "needs": ["AD"], "rto_hours": 8},
    ],
    "services": [
        {
            "id": "ARL-RAD",
            "site": "ARL",
            "name": "Radiologie",
            "kind": "radiology",
            "criticality": "essential",
            "workstations": ["ARL-WS"],
            "capacity_minutes_per_day": 4800,
            "degraded_capacity": 0.4,
            "needs": [{"app": "PACS", "without": "degraded"}],
        }
    ],
}


def errors_of(doc) -> list[str]:
    with pytest.raises(MapInvalid) as exc:
        parse_map(doc)
    return [str(e) for e in exc.value.errors]


def test_valid_map_parses_and_round_trips():
    gm = parse_map(DOC)
    assert gm.counts() == {
        "sites": 2,
        "zones": 3,
        "flows": 1,
        "hosts": 2,
        "applications": 2,
        "services": 1,
    }
    assert gm.service("ARL-RAD").needs[0].without == "degraded"
    assert gm.zone("INTERNET").site is None
    assert parse_map(map_to_doc(gm)) == gm
    assert app_order(gm) == ["AD", "PACS"]


def test_unknown_reference_names_its_path():
    doc = copy.deepcopy(DOC)
    doc["services"][0]["needs"][0]["app"] = "PAC"
    assert errors_of(doc) == ["services[0].needs[0].app: unknown application 'PAC'"]


def test_every_error_is_reported_not_only_the_first():
    doc = copy.deepcopy(DOC)
    doc["hosts"][1]["zone"] = "NOWHERE"
    doc["sites"].append({"id": "ARL", "name": "again", "kind": "hospital"})
    doc["services"][0]["criticality"] = "vitale"
    del doc["applications"][0]["name"]
    errs = errors_of(doc)
    assert "hosts[1].zone: unknown zone 'NOWHERE'" in errs
    assert "sites[2]: duplicate site id 'ARL' (first at sites[0])" in errs
    assert any(e.startswith("services[0].criticality: unknown value 'vitale'") for e in errs)
    assert "applications[0].name: missing required field" in errs


def test_dependency_cycle_is_named():
    doc = copy.deepcopy(DOC)
    doc["applications"][0]["needs"] = ["PACS"]
    errs = errors_of(doc)
    assert len(errs) == 1 and "dependency cycle" in errs[0]
    assert "AD" in errs[0] and "PACS" in errs[0]


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d["hosts"][0].update(id=7), "hosts[0].id: expected text, got a number (7)"),
        (
            lambda d: d["services"][0].update(capacity_minutes_per_day="lots"),
            "services[0].capacity_minutes_per_day: expected a whole number, got text ('lots')",
        ),
        (
            lambda d: d["services"][0].update(degraded_capacity=1.5),
            "services[0].degraded_capacity: must be a share between 0 and 1, got 1.5",
        ),
        (
            lambda d: d["applications"][1].update(hosts=[]),
            "applications[1].hosts: must list at least one id",
        ),
        (
            lambda d: d["zones"][0].pop("site"),
            "zones[0].site: missing required field (only internet zones may have no site)",
        ),
        (
            lambda d: d["flows"].append({"from": "ARL-WS", "to": "DC-SRV"}),
            "flows[1]: duplicate flow 'ARL-WS' -> 'DC-SRV' (first at flows[0])",
        ),
        (
            lambda d: d.update(extra=[]),
            "extra: unknown section (expected: group, sites, zones, "
            "flows, hosts, applications, services)",
        ),
        (lambda d: d["sites"][0].update(colour="red"), "sites[0].colour: unknown field"),
        (lambda d: d.update(hosts={}), "hosts: expected a list, got a mapping"),
        (
            lambda d: d["group"].update(timezone=""),
            "group.timezone: unknown time zone '' (e.g. Europe/Brussels)",
        ),
        (
            lambda d: d["group"].update(timezone="Europe/Arlon"),
            "group.timezone: unknown time zone 'Europe/Arlon' (e.g. Europe/Brussels)",
        ),
        (
            lambda d: d["group"].update(country="Belgium"),
            "group.country: expected a two-letter ISO code, got 'Belgium'",
        ),
    ],
)
def test_each_kind_of_error(mutate, expected):
    doc = copy.deepcopy(DOC)
    mutate(doc)
    assert expected in errors_of(doc)


def test_not_a_mapping():
    assert errors_of([1, 2]) == ["the map must be a mapping, got a list"]


def test_one_bad_cell_gives_one_error_not_one_per_row_pointing_at_it():
    doc = copy.deepcopy(DOC)
    doc["sites"][0]["kind"] = "hopital"  # ARL is still declared: its zones and services resolve
    doc["zones"][1]["kind"] = "serveurs"
    errs = errors_of(doc)
    assert len(errs) == 2, errs
    assert errs[0].startswith("sites[0].kind: unknown value 'hopital'")
    assert errs[1].startswith("zones[1].kind: unknown value 'serveurs'")
