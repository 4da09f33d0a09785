"""The demo map generator: valid maps of the right shape and size, deterministic, coherent
(every care service normal in normal operation), and true to the night of seed 000."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable

import pytest
import yaml

from crisiscell.engine.demo_map import DEFAULT_SITES, INTERNET, generate
from crisiscell.engine.groupmap import parse_map
from crisiscell.engine.yaml_writer import dump_yaml


def load_yaml(text: str):
    if hasattr(yaml, "CSafeLoader"):  # libyaml: much faster
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)


# ---------------------------------------------------------------------------
# A plain evaluator of FORMATS.md §1, enough to check the maps' coherence
# ---------------------------------------------------------------------------


def statuses(doc: dict, serves: Callable[[dict], bool] = lambda h: True) -> dict[str, str]:
    """Status of every care service when exactly the hosts for which `serves` holds serve."""
    available = availability(doc, serves)
    out = {}
    for svc in doc["services"]:

        def missing(without: str, svc=svc) -> bool:
            return any(
                not any(available(n["app"], z) for z in svc["workstations"])
                for n in svc["needs"]
                if n["without"] == without
            )

        out[svc["id"]] = (
            "down" if missing("down") else "degraded" if missing("degraded") else "normal"
        )
    return out


def availability(doc: dict, serves: Callable[[dict], bool]) -> Callable[[str, str], bool]:
    flows = {(f["from"], f["to"]) for f in doc["flows"]}
    hosts = {h["id"]: h for h in doc["hosts"]}
    apps = {a["id"]: a for a in doc["applications"]}
    memo: dict[tuple[str, str], bool] = {}

    def available(app: str, zone: str) -> bool:
        key = (app, zone)
        if key not in memo:
            memo[key] = any(
                serves(hosts[h])
                and (zone == hosts[h]["zone"] or (zone, hosts[h]["zone"]) in flows)
                and all(available(n, hosts[h]["zone"]) for n in apps[app].get("needs", []))
                for h in apps[app]["hosts"]
            )
        return memo[key]

    return available


def roles(doc: dict) -> Counter:
    return Counter(h["role"] for h in doc["hosts"])


def structure(doc: dict) -> dict:
    """Everything but host details and the numbers drawn at random."""
    return {
        "group": doc["group"],
        "sites": doc["sites"],
        "zones": doc["zones"],
        "flows": doc["flows"],
        "applications": [(a["id"], a.get("needs", [])) for a in doc["applications"]],
        "services": [
            (s["id"], s["site"], s["criticality"], s["workstations"], s["needs"])
            for s in doc["services"]
        ],
    }


@pytest.fixture(scope="module")
def default_doc() -> dict:
    return generate()


# ---------------------------------------------------------------------------
# The default map: the group of seed 000
# ---------------------------------------------------------------------------


def test_default_map_is_valid_and_mirrors_the_group(default_doc):
    gm = parse_map(default_doc)
    assert gm.group.id == "demo"
    assert (gm.group.timezone, gm.group.country) == ("Europe/Brussels", "BE")
    assert len(gm.sites) == DEFAULT_SITES == 16
    assert Counter(s.kind for s in gm.sites) == {
        "hospital": 6,
        "polyclinic": 1,
        "nursing_home": 4,
        "psychiatric": 1,
        "childcare": 3,
        "datacenter": 1,
    }
    zone_ids = {z.id for z in gm.zones}
    assert {"ARL-WS", "ARL-SRV", "ARL-MED", "ARL-MGMT", "ARL-WIFI"} <= zone_ids
    assert {"DC-SRV", "DC-DMZ", "DC-MGMT", "DC-BKP", INTERNET} <= zone_ids
    assert [z.site for z in gm.zones if z.kind == "internet"] == [None]


def test_default_map_has_the_size_of_the_seed(default_doc):
    count = roles(default_doc)
    assert 180 <= count["server"] <= 230  # "200 serveurs informatiques"
    assert 1400 <= count["workstation"] <= 1600  # "1.500 postes informatiques de travail"
    assert count["medical_device"] > 50
    assert count["network"] > 20
    workstations = [h for h in default_doc["hosts"] if h["role"] == "workstation"]
    assert all(h["os"].startswith("Windows") for h in workstations)
    host_ids = {h["id"] for h in default_doc["hosts"]}
    assert {"srv-ehr-01", "ws-arl-0001", "med-arl-icu-01"} <= host_ids


def test_default_map_runs_the_applications_of_a_hospital(default_doc):
    apps = {a["id"]: a for a in default_doc["applications"]}
    assert 35 <= len(apps) <= 50
    expected = (
        "AD DNS DHCP SQL VIRT STORAGE FILES PRINT BACKUP VPN EDR CITRIX SSO MAIL WEB PORTAL "
        "HL7 ADT EHR PACS RIS LIS PHARMA BBANK ICUMON DIAL ORSCHED ANESTH CATH EDTRACK "
        "BILLING HR IPBX NURSECALL"
    ).split()
    assert set(expected) <= set(apps)
    assert {"AD", "SQL", "HL7"} <= set(apps["EHR"]["needs"])
    assert "STORAGE" in apps["PACS"]["needs"]
    assert all(a.get("rto_hours", 1) > 0 for a in apps.values())
    # most applications need the directory, directly or through what they need
    needing_ad = [a for a in apps.values() if "AD" in a.get("needs", [])]
    assert len(needing_ad) > len(apps) / 2
    # the ICU monitoring central is local to each hospital's medical zone
    hospitals = [s["id"] for s in default_doc["sites"] if s["kind"] == "hospital"]
    zone_of = {h["id"]: h["zone"] for h in default_doc["hosts"]}
    assert {zone_of[h] for h in apps["ICUMON"]["hosts"]} == {f"{s}-MED" for s in hospitals}


def test_every_site_has_care_services_and_hospitals_carry_the_vital_ones(default_doc):
    by_site: dict[str, list[dict]] = {}
    for svc in default_doc["services"]:
        by_site.setdefault(svc["site"], []).append(svc)
    kinds = {s["id"]: s["kind"] for s in default_doc["sites"]}
    for site, kind in kinds.items():
        if kind != "datacenter":
            assert by_site.get(site), f"{site} has no care service"
    for site, services in by_site.items():
        crits = {s["criticality"] for s in services}
        if kinds[site] == "hospital":
            assert {"vital", "essential", "deferrable"} <= crits
            assert 18 <= len(services) <= 32
        else:
            assert "vital" not in crits, f"vital service outside a hospital at {site}"
    for svc in default_doc["services"]:
        assert 0.3 <= svc["degraded_capacity"] <= 0.95
        assert svc["workstations"][0].endswith("-WS")
    radiology = [s for s in default_doc["services"] if s["kind"] == "radiology"]
    assert any(s.get("capacity_minutes_per_day", 0) >= 4000 for s in radiology)
    downs = {
        n["app"] for s in default_doc["services"] for n in s["needs"] if n["without"] == "down"
    }
    assert "CATH" in downs


def test_every_service_is_normal_in_normal_operation(default_doc):
    assert set(statuses(default_doc).values()) == {"normal"}


def test_the_night_of_seed_000(default_doc):
    """Windows servers and workstations encrypted: vital services keep going, radiology and
    the laboratory are degraded, the switchboard is gone (seed 000)."""

    def serves(h: dict) -> bool:
        attacked = h["role"] in ("server", "workstation") and h.get("os", "").startswith("Windows")
        return not attacked or h["zone"].endswith("-MED")

    status = statuses(default_doc, serves)
    kinds = {s["id"]: s["kind"] for s in default_doc["services"]}
    crit = {s["id"]: s["criticality"] for s in default_doc["services"]}
    assert not [s for s, st in status.items() if crit[s] == "vital" and st == "down"]
    for s, kind in kinds.items():
        if kind in ("radiology", "lab", "icu", "dialysis", "emergency"):
            assert status[s] == "degraded", s
    available = availability(default_doc, serves)
    assert not any(available("IPBX", z["id"]) for z in default_doc["zones"])


def test_flows_are_one_hop_firewall_rules(default_doc):
    kind = {z["id"]: z["kind"] for z in default_doc["zones"]}
    for f in default_doc["flows"]:
        assert f["ports"] and f["purpose"]
        assert all(p.split("-")[0].isdigit() for p in f["ports"].split(";"))
        if kind[f["from"]] == "wifi":
            assert kind[f["to"]] == "dmz", f
        if f["from"] == INTERNET or f["to"] == INTERNET:
            assert kind[f["to"] if f["from"] == INTERNET else f["from"]] == "dmz", f
    keys = {(f["from"], f["to"]) for f in default_doc["flows"]}
    for pair in [
        ("ARL-WS", "DC-SRV"),
        ("ARL-MED", "DC-SRV"),
        ("ARL-WS", "ARL-MED"),
        ("DC-SRV", "DC-BKP"),
        ("DC-BKP", "DC-SRV"),
        ("DC-MGMT", "ARL-SRV"),
        ("DC-DMZ", INTERNET),
        (INTERNET, "DC-DMZ"),
        ("ARL-WS", "DC-DMZ"),
        ("DC-SRV", "DC-DMZ"),
        ("ARL-WIFI", "DC-DMZ"),
    ]:
        assert pair in keys, pair
    ports = {(f["from"], f["to"]): f["ports"].split(";") for f in default_doc["flows"]}
    assert {"2575", "104"} <= set(ports["ARL-MED", "DC-SRV"])
    assert "3128" in ports["ARL-WS", "DC-DMZ"]


def test_addresses_are_unique_and_one_block_per_zone(default_doc):
    ips = [h["ip"] for h in default_doc["hosts"] if "ip" in h]
    assert len(ips) == len(set(ips)) == len(default_doc["hosts"]) - 1  # all but the internet host
    zone_of_24: dict[str, str] = {}
    for h in default_doc["hosts"]:
        if "ip" in h:
            prefix = h["ip"].rsplit(".", 1)[0]
            assert zone_of_24.setdefault(prefix, h["zone"]) == h["zone"]


# ---------------------------------------------------------------------------
# Determinism
# ---------------------------------------------------------------------------


def test_same_seed_same_document(default_doc):
    assert generate(seed=1) == default_doc
    assert generate(seed=7, sites=20) == generate(seed=7, sites=20)


def test_another_seed_changes_details_not_structure(default_doc):
    other = generate(seed=2)
    assert other["hosts"] != default_doc["hosts"]
    assert structure(other) == structure(default_doc)


# ---------------------------------------------------------------------------
# Scaling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 5, 16, 17, 40])
def test_any_number_of_sites(n):
    doc = generate(sites=n)
    gm = parse_map(doc)
    assert len(gm.sites) == n
    assert [z.id for z in gm.zones if z.kind == "internet"] == [INTERNET]
    assert set(statuses(doc).values()) == {"normal"}
    kinds = Counter(s.kind for s in gm.sites)
    if n == 1:
        assert kinds == {"clinic": 1}
        assert {"CSJ-WS", "CSJ-SRV", "CSJ-DMZ"} <= {z.id for z in gm.zones}
    else:
        assert kinds["datacenter"] >= 1 and kinds["hospital"] >= 1
    if n > DEFAULT_SITES:
        ids = {s.id for s in gm.sites}
        assert "G02-" + ("CSJ" if n == 17 else "ARL") in ids
        assert gm.has("applications", "G02-EHR")
        assert any(h.id.startswith("g02-srv-") for h in gm.hosts)


def test_prefixes_of_the_group_keep_the_template_order():
    doc = generate(sites=5)
    assert [s["id"] for s in doc["sites"]] == ["ARL", "MAR", "LIB", "BAS", "DC"]


def test_sites_must_be_positive():
    for bad in (0, -3, True, 2.5):
        with pytest.raises(ValueError):
            generate(sites=bad)


def test_a_region_of_a_thousand_sites():
    doc = generate(sites=1000)
    gm = parse_map(doc)
    assert len(gm.sites) == 1000
    assert 90_000 <= len(gm.hosts) <= 115_000
    assert len(gm.services) >= 10_000
    assert len({h.ip for h in gm.hosts if h.ip}) == sum(1 for h in gm.hosts if h.ip)
    assert set(statuses(doc).values()) == {"normal"}


# ---------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------


def test_yaml_round_trip(default_doc):
    out = io.StringIO()
    dump_yaml(default_doc, out)
    text = out.getvalue()
    assert "- {id: ws-arl-0001, zone: ARL-WS, role: workstation" in text
    assert load_yaml(text) == default_doc


def test_yaml_quotes_what_must_be_quoted():
    tricky = {
        "words": ["yes", "No", "null", "~", "", " x", "x ", "a: b", "a, b", "x #y", "#c", "-x"],
        "numbers_as_text": ["1", "1.5", "2022-05-01", "1:30", "0x1F", ".inf", "443;445"],
        "symbols": ["[x]", "{x}", "&a", "*a", "!t", "%x", "@x", "|", ">", "'q'", '"q"', "<<"],
        "text": ["Hôpital d'Arlon — serveurs", "line\nbreak", "tab\t", "\u2028", "a\\b", "ok."],
        "numbers": [1, -2, 0.5, 1e-05, 1e20, True, False, None, float("inf")],
        "nested": [{"k": [{"a": 1}], "e": [], "f": {}}, [1, [2]], []],
        "10.0.0.1": {"to": "10.0.0.1"},
    }
    out = io.StringIO()
    dump_yaml(tricky, out)
    assert load_yaml(out.getvalue()) == tricky
