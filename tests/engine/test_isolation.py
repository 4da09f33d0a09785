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
def small_cases(draw, max_zones: int = 4, max_flows: int = 5, foothold: bool = False):
    """A map of at most `max_zones` zones and `max_flows` flows, hosts (servers and
    workstations) in some states, applications with needs, services with weights. By
    default (4 zones, 5 flows) small enough that every combination of cuts can be tried.

    With `foothold`, a map where cuts always matter: a compromised (or suspected)
    workstation in Z0, a clean server in Z1, at least one application and one service
    needing applications."""
    n_zones = draw(st.integers(2, max_zones))
    first = ["workstations", "servers"] if foothold else ["workstations"]
    kinds = first + [draw(st.sampled_from(KINDS)) for _ in range(n_zones - len(first))]
    zones = [f"Z{i}" for i in range(n_zones)]
    pairs = [(a, b) for a in zones for b in zones if a != b]
    flows = draw(st.lists(st.sampled_from(pairs), max_size=max_flows, unique=True))
    given_hosts = [("h0", "Z0", "workstation"), ("h1", "Z1", "server")] if foothold else []
    hosts = given_hosts + [
        (f"h{i}", draw(st.sampled_from(zones)), draw(st.sampled_from(("server", "workstation"))))
        for i in range(len(given_hosts), len(given_hosts) + draw(st.integers(1, 6)))
    ]
    apps = []
    for i in range(draw(st.integers(1 if foothold else 0, 3))):
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
    for i in range(draw(st.integers(1 if foothold else 0, 4))):
        needs = (
            [
                {"app": a["id"], "without": draw(st.sampled_from(("down", "degraded")))}
                for a in draw(
                    st.lists(
                        st.sampled_from(apps),
                        min_size=1 if foothold else 0,
                        unique_by=lambda a: a["id"],
                    )
                )
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
        for h, _, _ in hosts[len(given_hosts) :]
        if draw(st.booleans())
    }
    if foothold:
        states["h0"] = draw(st.sampled_from(("compromised", "suspected")))
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
    check_against_exhaustive_search(case)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(small_cases(foothold=True))
def test_with_a_foothold_the_plan_is_as_good_as_exhaustive_search(case):
    """The same, on maps where cuts always matter (most random maps leave nothing to cut)."""
    check_against_exhaustive_search(case)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(small_cases(foothold=True))
def test_two_way_the_plan_is_as_good_as_exhaustive_search(case):
    """The same when the attacker also goes against the flows' direction."""
    check_against_exhaustive_search(case, two_way=True)


def check_against_exhaustive_search(case, two_way: bool = False):
    gm, states, weight = case
    cm = compile_map(gm)
    plans = isolation.plan_isolation(
        gm, states, exposure_weight=weight, time_limit=5, cm=cm, two_way=two_way
    )
    pb = isolation.problem(gm, states, cm=cm, two_way=two_way)
    best = plans[0]
    assert best.optimal
    assert best.care_cost + best.exposure_cost <= exhaustive_best(gm, pb, weight) + 0.5
    # the plan's figures are the impact engine's, whatever the model said
    again = isolation.assess(pb, best.isolate, best.block, best.internet_cut, weight)
    assert again.care_cost == best.care_cost and again.exposed_zones == best.exposed_zones


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(small_cases(max_zones=5, max_flows=10, foothold=True), st.data())
def test_the_model_prices_any_cuts_as_the_impact_engine_does(case, data):
    """With its decisions fixed to any cuts, the model's objective is the plan's exact care
    cost and exposure (plus the tie-breaking cost of each cut): the care and reach encodings
    are the engine's, not just good enough for the optimum to come out right."""
    gm, states, weight = case
    check_model_pricing(gm, states, weight or 1.0, lambda: data.draw(st.booleans()))


def test_the_model_prices_every_cut_around_a_shared_server_zone():
    """Two workstation zones (the first compromised, with a flow to the second) reach one
    server zone: whether a service of both zones still has its application depends on a cut
    they share (the server zone isolated) and on cuts of their own."""
    doc = {
        "group": {"id": "g"},
        "sites": [{"id": "S", "name": "Site", "kind": "hospital"}],
        "zones": [
            {"id": "W1", "kind": "workstations", "site": "S"},
            {"id": "W2", "kind": "workstations", "site": "S"},
            {"id": "SRV", "kind": "servers", "site": "S"},
        ],
        "flows": [{"from": a, "to": b} for a, b in (("W1", "W2"), ("W1", "SRV"), ("W2", "SRV"))],
        "hosts": [
            {"id": "w1", "zone": "W1", "role": "workstation"},
            {"id": "w2", "zone": "W2", "role": "workstation"},
            {"id": "s1", "zone": "SRV", "role": "server"},
        ],
        "applications": [{"id": "P", "name": "app", "hosts": ["s1"], "needs": []}],
        "services": [
            {
                "id": "V",
                "site": "S",
                "name": "service",
                "kind": "x",
                "criticality": "vital",
                "workstations": ["W1", "W2"],
                "needs": [{"app": "P", "without": "down"}],
            }
        ],
    }
    gm = parse_map(doc)
    states = {"w1": "compromised"}
    n = 6  # 3 zones to isolate, 3 flows to block
    for bits in itertools.product((False, True), repeat=n):
        check_model_pricing(gm, states, 500.0, iter(bits).__next__, decisions=n)


def check_model_pricing(gm, states, weight, choose, decisions: int | None = None):
    """Fix every decision of the model with `choose()`; its objective must be the exact one."""
    cm = compile_map(gm)
    pb = isolation.problem(gm, states, cm=cm)
    model = isolation._Model(pb)
    keys = [*model.iso.values(), *model.block.values()]
    if model.inet is not None:
        keys.append(model.inet)
    assert decisions is None or len(keys) == decisions
    for key in keys:
        model.m.Add(model._lit(key) == int(choose()))
    solved = model.solve(weight, 5, 2)
    assert solved.optimal
    values = solved.values
    plan = isolation.assess(pb, values["isolate"], values["block"], values["internet_cut"], weight)
    cuts = len(plan.isolate) + len(plan.block) + plan.internet_cut
    exact = plan.care_cost + plan.exposure_cost + cuts * isolation.CUT_COST / isolation._SCALE
    assert solved.objective == pytest.approx(exact, abs=0.5), plan


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


@pytest.mark.parametrize("weight", [0.0, 1.0, math.inf])
def test_any_exposure_weight_offers_a_plan_without_exposure(demo, weight):
    gm, cm = demo
    states = {"srv-pacs-01": "compromised"}
    plans = isolation.plan_isolation(gm, states, alternatives=3, exposure_weight=weight, cm=cm)
    assert plans and all(p.optimal for p in plans)
    assert any(not p.exposed_zones for p in plans)  # "no exposure at all" is among them
    if math.isinf(weight):
        assert plans[0].exposed_zones == ()
    else:  # best first, at the caller's weight
        pb = isolation.problem(gm, states, cm=cm)
        scores = [
            p.care_cost + weight * sum(pb.protected[z] for z in p.exposed_zones) for p in plans
        ]
        assert scores == sorted(scores)


def test_suspected_hosts_count_as_footholds_unless_told(demo):
    gm, cm = demo
    states = {"srv-pacs-01": "suspected"}
    [cautious] = isolation.plan_isolation(gm, states, cm=cm)
    [trusting] = isolation.plan_isolation(gm, states, suspected_are_sources=False, cm=cm)
    assert cautious.isolate or cautious.block
    assert trusting.isolate == () and trusting.block == ()


def test_two_way_a_compromised_server_zone_is_fenced_from_its_clients_too():
    """DC-SRV serves the workstations of ARL; a server sits with the workstations. Going
    with the flow, nothing reaches ARL-WS; against it, the directory reaches its clients."""
    doc = {
        "group": {"id": "g"},
        "sites": [{"id": "ARL", "name": "A", "kind": "hospital"}],
        "zones": [
            {"id": "ARL-WS", "site": "ARL", "kind": "workstations"},
            {"id": "DC-SRV", "site": "ARL", "kind": "servers"},
        ],
        "flows": [{"from": "ARL-WS", "to": "DC-SRV", "ports": "445"}],
        "hosts": [
            {"id": "ad", "zone": "DC-SRV", "role": "server"},
            {"id": "print", "zone": "ARL-WS", "role": "server"},
        ],
    }
    gm = parse_map(doc)
    states = {"ad": "compromised"}
    [one_way] = isolation.plan_isolation(gm, states)
    [two_way] = isolation.plan_isolation(gm, states, two_way=True)
    assert not (one_way.isolate or one_way.block) and not one_way.exposed_zones
    assert two_way.isolate or two_way.block
    pb = isolation.problem(gm, states, two_way=True)
    assert isolation.assess(pb, (), (), False, 1.0).exposed_zones == ("ARL-WS",)


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
