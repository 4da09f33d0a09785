"""The network picture: valid, self-contained SVG whose marks say what is cut without colour."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisiscell.engine.demo_map import generate
from crisiscell.engine.groupmap import HOST_STATES, GroupMap, parse_map
from crisiscell.engine.impact import Situation
from crisiscell.engine.network_picture import LABELS, group_picture, site_picture

SVG = "{http://www.w3.org/2000/svg}"

#: A hospital, a datacentre and the internet; the hospital's wifi has a name to escape.
DOC = {
    "group": {"id": "g", "name": "Groupe"},
    "sites": [
        {"id": "ARL", "name": "Hôpital d'Arlon", "kind": "hospital"},
        {"id": "DC", "name": "Centre de données", "kind": "datacenter"},
    ],
    "zones": [
        {"id": "ARL-WS", "site": "ARL", "kind": "workstations", "name": "Postes"},
        {"id": "ARL-SRV", "site": "ARL", "kind": "servers"},
        {"id": "ARL-WIFI", "site": "ARL", "kind": "wifi", "name": '<b>&"wifi'},
        {"id": "DC-SRV", "site": "DC", "kind": "servers"},
        {"id": "NET", "kind": "internet", "name": "Internet"},
    ],
    "flows": [
        {"from": "ARL-WS", "to": "ARL-SRV", "ports": "445"},
        {"from": "ARL-WS", "to": "DC-SRV", "ports": "443;445", "purpose": "EHR"},
        {"from": "ARL-SRV", "to": "DC-SRV", "ports": "389"},
        {"from": "ARL-WIFI", "to": "NET", "ports": "443"},
        {"from": "DC-SRV", "to": "NET", "ports": "443"},
    ],
    "hosts": [
        {"id": "ws-1", "zone": "ARL-WS", "role": "workstation"},
        {"id": "ws-2", "zone": "ARL-WS", "role": "workstation"},
        {"id": "srv-1", "zone": "ARL-SRV", "role": "server"},
        {"id": "dc-1", "zone": "DC-SRV", "role": "server"},
    ],
}


@cache
def small() -> GroupMap:
    return parse_map(DOC)


@cache
def demo() -> GroupMap:
    return parse_map(generate())


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 (our own output, no entity in it)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("viewBox")
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def flow_group(root: ET.Element, source: str, target: str) -> ET.Element:
    """The drawn arrow of a flow: a group whose tooltip starts with "SOURCE → TARGET"."""
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if title is not None and title.text.startswith(f"{source} → {target} "):
            return g
    raise AssertionError(f"no arrow for {source} -> {target}")


def is_dashed(g: ET.Element) -> bool:
    return bool(g.find(f"{SVG}path").get("stroke-dasharray"))


def test_a_quiet_site_is_valid_self_contained_svg():
    svg = site_picture(small(), Situation(), "ARL")
    root = parse(svg)
    assert "<script" not in svg and "<style" not in svg
    for element in root.iter():
        for name, value in element.attrib.items():
            assert name != "style" and not name.startswith("on"), (element.tag, name)
            assert "href" not in name and "http" not in value, (element.tag, name)
    words = texts(root)
    assert {"ARL-WS", "ARL-SRV", "ARL-WIFI", "DC-SRV", "NET"} <= set(words)
    assert "2 hosts" in words  # ARL-WS
    arl = [f for f in small().flows if "ARL" in f.source + f.target]
    assert arl and not any(is_dashed(flow_group(root, f.source, f.target)) for f in arl)
    assert not any(LABELS["cut"] in w.split(" · ") for w in words)


def test_a_blocked_flow_is_dashed_crossed_and_says_cut():
    s = Situation(blocked_flows=frozenset({("ARL-WS", "DC-SRV")}))
    root = parse(site_picture(small(), s, "ARL", {"cut": "coupé"}))
    assert is_dashed(flow_group(root, "ARL-WS", "DC-SRV"))
    assert not is_dashed(flow_group(root, "ARL-SRV", "DC-SRV"))
    assert "coupé · 443;445" in texts(root)
    assert len(list(root.iter(f"{SVG}circle"))) == 1  # the ✕, once


def test_an_isolated_zone_says_so_and_cuts_its_flows():
    s = Situation(isolated_zones=frozenset({"ARL-SRV"}))
    root = parse(site_picture(small(), s, "ARL", {"isolated": "isolée"}))
    assert any("isolée" in w for w in texts(root))
    assert is_dashed(flow_group(root, "ARL-WS", "ARL-SRV"))
    assert is_dashed(flow_group(root, "ARL-SRV", "DC-SRV"))
    assert not is_dashed(flow_group(root, "ARL-WS", "DC-SRV"))
    thick = [r for r in root.iter(f"{SVG}rect") if r.get("stroke-width") == "4"]
    assert len(thick) == 1 and thick[0].get("stroke-dasharray")


def test_the_internet_cut_cuts_every_flow_to_the_internet():
    s = Situation(internet_cut=True)
    root = parse(site_picture(small(), s, "ARL"))
    assert is_dashed(flow_group(root, "ARL-WIFI", "NET"))
    assert not is_dashed(flow_group(root, "ARL-WS", "DC-SRV"))
    group = parse(group_picture(small(), s))
    assert "1/1 cut" in texts(group)  # ARL - NET
    assert "2 flows" in texts(group)  # ARL - DC, untouched
    dc = parse(site_picture(small(), s, "DC"))
    assert is_dashed(flow_group(dc, "DC-SRV", "NET"))


def test_a_compromised_zone_is_hatched_and_counted():
    s = Situation(host_states={"ws-1": "compromised", "ws-2": "suspected"})
    root = parse(site_picture(small(), s, "ARL"))
    assert root.find(f"{SVG}defs/{SVG}pattern").get("id") == "np-hatch"
    assert [r for r in root.iter(f"{SVG}rect") if r.get("fill") == "url(#np-hatch)"]
    assert {"1 compromised", "1 suspected"} <= set(texts(root))
    group = parse(group_picture(small(), s))
    assert "0 isolated · 1 compromised" in texts(group)


def test_text_from_the_map_is_escaped():
    svg = site_picture(small(), Situation(), "ARL")
    assert "<b>" not in svg and "&lt;b&gt;&amp;&quot;wifi" in svg
    assert any(w.startswith('<b>&"wifi') for w in texts(parse(svg)))


def test_same_inputs_same_bytes():
    s = Situation(
        host_states={"srv-1": "compromised"},
        isolated_zones=frozenset({"ARL-WIFI"}),
        blocked_flows=frozenset({("ARL-WS", "DC-SRV")}),
    )
    assert site_picture(small(), s, "ARL") == site_picture(parse_map(DOC), s, "ARL")
    assert group_picture(demo(), s) == group_picture(demo(), s)


def test_an_unknown_site_is_a_key_error():
    with pytest.raises(KeyError):
        site_picture(small(), Situation(), "NOPE")


def test_the_group_picture_shows_every_site_of_the_demo_group():
    gm = demo()
    words = set(texts(parse(group_picture(gm, Situation()))))
    assert {site.id for site in gm.sites} | {"INTERNET"} <= words


def test_every_site_of_the_demo_group_draws():
    gm = demo()
    for site in gm.sites:
        root = parse(site_picture(gm, Situation(), site.id))
        assert {z.id for z in gm.zones if z.site == site.id} <= set(texts(root))


def test_a_region_of_a_thousand_sites_draws_fast():
    gm = parse_map(generate(seed=1, sites=1000))
    s = Situation(internet_cut=True, isolated_zones=frozenset({"DC-SRV"}))
    start = time.perf_counter()
    svg = group_picture(gm, s)
    assert time.perf_counter() - start < 2.0
    assert len(set(texts(parse(svg))) & {site.id for site in gm.sites}) == 1000


@st.composite
def situations(draw) -> Situation:
    gm = demo()
    hosts = draw(st.lists(st.sampled_from([h.id for h in gm.hosts[:300]]), max_size=20))
    return Situation(
        host_states={h: draw(st.sampled_from(HOST_STATES)) for h in hosts},
        isolated_zones=frozenset(
            draw(st.lists(st.sampled_from([z.id for z in gm.zones]), max_size=8))
        ),
        blocked_flows=frozenset(
            draw(st.lists(st.sampled_from([f.key for f in gm.flows]), max_size=12))
        ),
        internet_cut=draw(st.booleans()),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=situations(), site=st.sampled_from([site.id for site in demo().sites]))
def test_any_situation_draws_valid_xml(s, site):
    gm = demo()
    parse(site_picture(gm, s, site))
    parse(group_picture(gm, s))
