"""The isolation planner: exact against exhaustive search on small maps, and better than
the cuts made by hand on the demo group."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisiscell import cli
from crisiscell.engine import demo_map, isolation
from crisiscell.engine.groupmap import parse_map
from crisiscell.engine.impact import compile_map

KINDS = ("workstations", "servers", "medical", "internet")
CRITICALITIES = ("vital", "essential", "deferrable")


@st.composite
def small_cases(draw):
    """A map of at most 4 zones and 5 flows, hosts (servers and workstations) in some
    states, applications with needs, services with weights: small enough that every
    combination of cuts can be tried."""
    n_zones = draw(st.integers(2, 4))
    kinds = ["workstations"] + [draw(st.sampled_from(KINDS)) for _ in range(n_zones - 1)]
    zones = [f"Z{i}" for i in range(n_zones)]
    pairs = [(a, b) for a in zones for b in zones if a != b]
    flows = draw(st.lists(st.sampled_from(pairs), max_size=5, unique=True))
    hosts = [
        (f"h{i}", draw(st.sampled_from(zones)), draw(st.sampled_from(("server", "workstation"))))
        for i in range(draw(st.integers(1, 6)))
    ]
    apps = []
    for i in range(draw(st.integers(0, 3))):
        app_hosts = draw(
            st.lists(st.sampled_from([h for h, _, _ in hosts]), min_size=1, max_size=2)
        )
        needs = (
            draw(st.lists(st.sampled_from([f"P{j}" for j in range(i)]), unique=True)) if i else []
        )
        apps.append(
            {"id": f"P{i}", "name": f"app {i}", "hosts": sorted(set(app_hosts)), "needs": needs}
        )
    work = [z for z, k in zip(zones, kinds, strict=True) if k != "internet"]
    services = []
    for i in range(draw(st.integers(0, 4))):
        needs = (
            [
                {"app": a["id"], "without": draw(st.sampled_from(("down", "degraded")))}
                for a in draw(st.lists(st.sampled_from(apps), unique_by=lambda a: a["id"]))
            ]
            if apps
            else []
        )
        services.append(
            {
                "id": f"V{i}",
                "site": "S",
                "name": f"service {i}",
                "kind": "x",
                "criticality": draw(st.sampled_from(CRITICALITIES)),
                "workstations": draw(st.lists(st.sampled_from(work), min_size=1, unique=True)),
                "needs": needs,
                "capacity_minutes_per_day": draw(st.sampled_from((None, 60, 480, 4800))),
                "degraded_capacity": draw(st.sampled_from((0.0, 0.3, 0.5, 1.0))),
            }
        )
    doc = {
        "group": {"id": "g"},
        "sites": [{"id": "S", "name": "Site", "kind": "hospital"}],
        "zones": [
            {"id": z, "kind": k, **({} if k == "internet" else {"site": "S"})}
            for z, k in zip(zones, kinds, strict=True)
        ],
        "flows": [{"from": a, "to": b} for a, b in flows],
        "hosts": [{"id": h, "zone": z, "role": r} for h, z, r in hosts],
        "applications": apps,
        "services": services,
    }
    gm = parse_map(doc)
    states = {
        h: draw(st.sampled_from(("compromised", "suspected", "off")))
        for h, _, _ in hosts
        if draw(st.booleans())
    }
    weight = draw(st.sampled_from((0.0, 1.0, 500.0, 200_000.0)))
    return gm, states, weight


def exhaustive_best(gm, pb, weight: float) -> float:
    """The best objective over every combination of isolated zones, blocked flows and the
    internet cut: the planner must reach it."""
    zones = [z.id for z in gm.zones]
    flows = [f.key for f in gm.flows]
    has_internet = any(z.kind == "internet" for z in gm.zones)
    best = math.inf
    for iso_bits in itertools.product((False, True), repeat=len(zones)):
        isolate = [z for z, b in zip(zones, iso_bits, strict=True) if b]
        for blk_bits in itertools.product((False, True), repeat=len(flows)):
            block = [f for f, b in zip(flows, blk_bits, strict=True) if b]
            for cut in (False, True) if has_internet else (False,):
                plan = isolation.assess(pb, isolate, block, cut, weight)
                best = min(best, plan.care_cost + plan.exposure_cost)
    return best


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(small_cases())
def test_the_plan_is_as_good_as_exhaustive_search(case):
    gm, states, weight = case
    cm = compile_map(gm)
    plans = isolation.plan_isolation(gm, states, exposure_weight=weight, time_limit=5, cm=cm)
    pb = isolation.problem(gm, states, cm=cm)
    best = plans[0]
    assert best.optimal
    assert best.care_cost + best.exposure_cost <= exhaustive_best(gm, pb, weight) + 0.5
    # the plan's figures are the impact engine's, whatever the model said
    again = isolation.assess(pb, best.isolate, best.block, best.internet_cut, weight)
    assert again.care_cost == best.care_cost and again.exposed_zones == best.exposed_zones


@pytest.fixture(scope="module")
def demo():
    gm = parse_map(demo_map.generate(seed=1))
    return gm, compile_map(gm)


def test_nothing_compromised_nothing_cut(demo):
    gm, cm = demo
    [plan] = isolation.plan_isolation(gm, {}, cm=cm)
    assert plan.isolate == () and plan.block == () and not plan.internet_cut
    assert plan.care_cost == 0 and plan.exposed_zones == ()


def test_a_compromised_datacenter_zone_is_fenced_not_shut(demo):
    gm, cm = demo
    states = {"srv-pacs-01": "compromised"}
    [plan] = isolation.plan_isolation(gm, states, cm=cm)
    pb = isolation.problem(gm, states, cm=cm)
    by_hand = isolation.cut_around_compromise(pb)
    whole_sites = isolation.isolate_sites(pb)
    assert plan.exposed_zones == () == by_hand.exposed_zones
    # isolating the zone stops every application of the datacenter for every site; the
    # planner fences the zone off from its neighbours instead
    assert plan.care_cost * 10 < by_hand.care_cost
    assert plan.care_cost * 10 < whole_sites.care_cost
    assert "DC-SRV" not in plan.isolate


def test_a_lower_exposure_weight_trades_exposure_for_care(demo):
    gm, cm = demo
    states = {"srv-pacs-01": "compromised"}
    plans = isolation.plan_isolation(gm, states, alternatives=3, cm=cm)
    assert len(plans) >= 2
    strict, *others = plans
    assert strict.exposed_zones == ()
    assert any(p.care_cost < strict.care_cost and p.exposed_zones for p in others)
    keys = {(p.isolate, p.block, p.internet_cut) for p in plans}
    assert len(keys) == len(plans)  # alternatives are distinct


def test_suspected_hosts_count_as_footholds_unless_told(demo):
    gm, cm = demo
    states = {"srv-pacs-01": "suspected"}
    [cautious] = isolation.plan_isolation(gm, states, cm=cm)
    [trusting] = isolation.plan_isolation(gm, states, suspected_are_sources=False, cm=cm)
    assert cautious.isolate or cautious.block
    assert trusting.isolate == () and trusting.block == ()


@pytest.fixture(scope="module")
def map_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("map") / "group.json"
    path.write_text(json.dumps(demo_map.generate(seed=1)), encoding="utf-8")
    return path


def test_cli_contract(map_file, capsys):
    code = cli.main(
        [
            "plan-isolation",
            "--map",
            str(map_file),
            "--host",
            "srv-pacs-01=compromised",
            "--alternatives",
            "2",
            "--json",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert 1 <= len(doc["plans"]) <= 2
    for plan in doc["plans"]:
        assert set(plan) == {
            "isolate",
            "block",
            "internet_cut",
            "care_cost",
            "exposed_zones",
            "services",
        }
        assert all(len(pair) == 2 for pair in plan["block"])
        assert set(plan["services"].values()) <= {"normal", "degraded", "down"}
    first, *rest = doc["plans"]
    assert all(first["care_cost"] <= p["care_cost"] or p["exposed_zones"] for p in rest)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--host", "ghost=compromised"], "unknown host"),
        (["--host", "srv-pacs-01=pwned"], "pwned"),
        (["--host", "srv-pacs-01"], "HOST=STATE"),
        (["--alternatives", "0"], "--alternatives"),
    ],
)
def test_cli_bad_input_exits_2(map_file, capsys, args, message):
    assert cli.main(["plan-isolation", "--map", str(map_file), *args]) == 2
    assert message in capsys.readouterr().err


def test_cli_bad_map_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("group: {id: g}\nzones: [{id: Z, kind: nowhere}]\n", encoding="utf-8")
    assert cli.main(["plan-isolation", "--map", str(bad)]) == 2
    assert "kind" in capsys.readouterr().err
