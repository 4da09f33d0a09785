"""The impact engine against FORMATS.md §1: hand-written cases, then thousands of random maps
and situations checked against the plain reference implementation."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisiscell.engine.demo_map import generate
from crisiscell.engine.groupmap import HOST_STATES, NOT_SERVING, GroupMap, parse_map
from crisiscell.engine.impact import (
    Reason,
    Situation,
    SituationInvalid,
    check_situation,
    compile_map,
    evaluate,
    impact,
)

from .reference_impact import Reference

# ---------------------------------------------------------------------------
# A small hand-made map
# ---------------------------------------------------------------------------


def small_doc(flows=(), extra_apps=(), services=None) -> dict:
    """Zones A, B, C (workstations/servers), an internet zone NET; one host per app."""
    zones = [
        {"id": "A", "site": "S", "kind": "workstations"},
        {"id": "A2", "site": "S", "kind": "workstations"},
        {"id": "B", "site": "S", "kind": "servers"},
        {"id": "C", "site": "S", "kind": "servers"},
        {"id": "NET", "kind": "internet"},
    ]
    hosts = [
        {"id": "h-b", "zone": "B", "role": "server"},
        {"id": "h-b2", "zone": "B", "role": "server"},
        {"id": "h-c", "zone": "C", "role": "server"},
        {"id": "h-net", "zone": "NET", "role": "server"},
        {"id": "h-a", "zone": "A", "role": "server"},
    ]
    apps = [
        {"id": "ONB", "name": "on B", "hosts": ["h-b"]},
        {"id": "ONC", "name": "on C", "hosts": ["h-c"]},
        {"id": "CLOUD", "name": "cloud", "hosts": ["h-net"]},
        *extra_apps,
    ]
    return {
        "group": {"id": "g"},
        "sites": [{"id": "S", "name": "Site", "kind": "hospital"}],
        "zones": zones,
        "flows": [{"from": a, "to": b} for a, b in flows],
        "hosts": hosts,
        "applications": apps,
        "services": services or [],
    }


def svc(id, needs, ws=("A",)) -> dict:
    return {
        "id": id,
        "site": "S",
        "name": id,
        "kind": "x",
        "criticality": "vital",
        "workstations": list(ws),
        "needs": [{"app": a, "without": w} for a, w in needs],
    }


def run(doc: dict, **situation):
    return impact(parse_map(doc), Situation(**situation))


def status(doc: dict, service: str = "S1", **situation) -> str:
    return run(doc, **situation).services[service].status


def test_a_zone_reaches_itself_and_hops_only_once():
    doc = small_doc(
        flows=[("A", "B"), ("B", "C")],
        services=[svc("S1", [("ONC", "down")]), svc("S2", [("ONB", "down")])],
    )
    result = run(doc)
    assert result.available_from["ONB"] == {"A", "B"}
    assert result.available_from["ONC"] == {"B", "C"}  # not A: A -> B -> C is two hops
    assert result.services["S1"].status == "down"
    assert [r.cause for r in result.services["S1"].reasons] == ["no_flow"]
    assert result.services["S1"].reasons[0].subject == "A->C"
    assert result.services["S2"].status == "normal"
    assert result.services["S2"].reasons == ()


def test_an_isolated_zone_still_reaches_itself():
    doc = small_doc(flows=[("A", "B")], services=[svc("S1", [("ONB", "down")], ws=["B"])])
    result = run(doc, isolated_zones=frozenset({"B"}))
    assert result.available_from["ONB"] == {"B"}
    assert result.services["S1"].status == "normal"


def test_isolating_either_end_cuts_the_flow():
    doc = small_doc(flows=[("A", "B")], services=[svc("S1", [("ONB", "down")])])
    for zone in ("A", "B"):
        result = run(doc, isolated_zones=frozenset({zone}))
        assert result.services["S1"].status == "down"
        (reason,) = result.services["S1"].reasons
        assert (reason.cause, reason.subject, reason.detail) == ("isolated_zone", zone, "A->B")
        assert reason.text() == f"ONB unavailable from A: flow A → B is cut (zone {zone} isolated)"


def test_a_blocked_flow_is_cut_and_named():
    doc = small_doc(flows=[("A", "B")], services=[svc("S1", [("ONB", "degraded")])])
    result = run(doc, blocked_flows=frozenset({("A", "B")}))
    assert result.services["S1"].status == "degraded"
    (reason,) = result.services["S1"].reasons
    assert reason.text() == "ONB unavailable from A: flow A → B is blocked"


def test_internet_cut_cuts_flows_to_and_from_internet_zones_only():
    doc = small_doc(
        flows=[("A", "NET"), ("A", "B")],
        services=[svc("S1", [("CLOUD", "degraded")]), svc("S2", [("ONB", "down")])],
    )
    assert status(doc) == "normal"
    result = run(doc, internet_cut=True)
    assert result.services["S1"].status == "degraded"
    assert result.services["S2"].status == "normal"
    (reason,) = result.services["S1"].reasons
    assert (reason.cause, reason.subject, reason.detail) == ("internet_cut", "A->NET", "NET")
    assert reason.text() == "CLOUD unavailable from A: flow A → NET is cut (internet cut)"
    assert result.available_from["CLOUD"] == {"NET"}


def test_a_host_that_does_not_serve_is_named_with_its_state():
    doc = small_doc(flows=[("A", "B")], services=[svc("S1", [("ONB", "down")])])
    for state in HOST_STATES:
        result = run(doc, host_states={"h-b": state})
        expected = "down" if state in NOT_SERVING else "normal"
        assert result.services["S1"].status == expected
        if state in NOT_SERVING:
            assert [r.text() for r in result.services["S1"].reasons] == [
                f"ONB unavailable from A: host h-b is {state}"
            ]


def test_one_serving_host_is_enough():
    app = {"id": "TWO", "name": "two hosts", "hosts": ["h-b", "h-c"]}
    doc = small_doc(
        flows=[("A", "B"), ("A", "C")], extra_apps=[app], services=[svc("S1", [("TWO", "down")])]
    )
    assert status(doc, host_states={"h-b": "compromised"}) == "normal"
    result = run(doc, host_states={"h-b": "compromised", "h-c": "off"})
    assert [r.text() for r in result.services["S1"].reasons] == [
        "TWO unavailable from A: host h-b is compromised",
        "TWO unavailable from A: host h-c is off",
    ]


def test_needs_are_evaluated_from_the_hosts_zone_not_the_workstations():
    # EHR on B needs ONC (on C). A has a flow to C, B does not: EHR is unavailable from A.
    ehr = {"id": "EHR", "name": "ehr", "hosts": ["h-b2"], "needs": ["ONC"]}
    doc = small_doc(
        flows=[("A", "B"), ("A", "C")], extra_apps=[ehr], services=[svc("S1", [("EHR", "down")])]
    )
    result = run(doc)
    assert "A" in result.available_from["ONC"]
    assert result.available_from["EHR"] == set()  # nowhere: B itself lacks ONC
    assert result.services["S1"].status == "down"
    (reason,) = result.services["S1"].reasons
    assert reason.chain == (("EHR", "A"), ("ONC", "B"))
    assert reason.text() == "EHR unavailable from A ← ONC unavailable from B: no flow B → C"
    # Give B its flow to C: now it works from A, though A's own flow to C is blocked.
    doc["flows"].append({"from": "B", "to": "C"})
    assert status(doc, blocked_flows=frozenset({("A", "C")})) == "normal"
    # And a compromised dependency shows down to the host, through the chain.
    result = run(doc, host_states={"h-c": "compromised"})
    assert [r.text() for r in result.services["S1"].reasons] == [
        "EHR unavailable from A ← ONC unavailable from B: host h-c is compromised"
    ]


def test_down_beats_degraded_and_both_are_explained():
    doc = small_doc(
        flows=[("A", "B"), ("A", "C")],
        services=[svc("S1", [("ONB", "degraded"), ("ONC", "down")])],
    )
    assert status(doc, host_states={"h-b": "off"}) == "degraded"
    assert status(doc, host_states={"h-c": "off"}) == "down"
    result = run(doc, host_states={"h-b": "off", "h-c": "off"})
    assert result.services["S1"].status == "down"
    # The down need's reasons come first, then the degraded ones.
    assert [r.app for r in result.services["S1"].reasons] == ["ONC", "ONB"]


def test_any_one_workstation_zone_is_enough():
    doc = small_doc(flows=[("A2", "B")], services=[svc("S1", [("ONB", "down")], ws=["A", "A2"])])
    assert status(doc) == "normal"
    result = run(doc, isolated_zones=frozenset({"A2"}))
    assert result.services["S1"].status == "down"
    # One reason per workstation zone the need is unavailable from.
    assert sorted(r.text() for r in result.services["S1"].reasons) == [
        "ONB unavailable from A2: flow A2 → B is cut (zone A2 isolated)",
        "ONB unavailable from A: no flow A → B",
    ]


def test_a_service_without_needs_is_normal():
    doc = small_doc(services=[svc("S1", [])])
    assert status(doc, isolated_zones=frozenset({"A"}), internet_cut=True) == "normal"


def test_no_host_reason_for_a_map_built_without_validation():
    gm = parse_map(small_doc(flows=[("A", "B")], services=[svc("S1", [("ONB", "down")])]))
    apps = tuple(a if a.id != "ONB" else type(a)(a.id, a.name, ()) for a in gm.applications)
    bare = GroupMap(gm.group, gm.sites, gm.zones, gm.flows, gm.hosts, apps, gm.services)
    result = impact(bare, Situation())
    assert result.services["S1"].status == "down"
    assert [r.text() for r in result.services["S1"].reasons] == [
        "ONB unavailable from A: application ONB has no host"
    ]


def test_check_situation_names_every_unknown_reference():
    gm = parse_map(small_doc(flows=[("A", "B")]))
    assert check_situation(gm, Situation()) == []
    bad = Situation(
        host_states={"srv-pac-01": "compromised", "h-b": "pwned"},
        isolated_zones=frozenset({"NOWHERE"}),
        blocked_flows=frozenset({("B", "A"), ("A", "ZZ")}),
    )
    messages = [str(e) for e in check_situation(gm, bad)]
    assert messages == [
        "host_states['srv-pac-01']: unknown host 'srv-pac-01'",
        "host_states['h-b']: unknown state 'pwned' "
        "(expected one of: ok, suspected, compromised, isolated, off)",
        "isolated_zones['NOWHERE']: unknown zone 'NOWHERE'",
        "blocked_flows[('A', 'ZZ')]: unknown zone 'ZZ'",
        "blocked_flows[('B', 'A')]: unknown flow 'B' -> 'A'",
    ]
    with pytest.raises(SituationInvalid) as raised:
        evaluate(compile_map(gm), bad)
    assert len(raised.value.errors) == 5


def test_to_json_and_counts():
    doc = small_doc(
        flows=[("A", "B")],
        services=[svc("S1", [("ONB", "down")]), svc("S2", [("ONC", "degraded")]), svc("S3", [])],
    )
    result = run(doc, host_states={"h-b": "compromised"})
    assert result.to_json() == {
        "services": {
            "S1": {
                "status": "down",
                "reasons": ["ONB unavailable from A: host h-b is compromised"],
            },
            "S2": {"status": "degraded", "reasons": ["ONC unavailable from A: no flow A → C"]},
            "S3": {"status": "normal", "reasons": []},
        },
        "applications": {
            "ONB": {"available_from": []},
            "ONC": {"available_from": ["C"]},
            "CLOUD": {"available_from": ["NET"]},
        },
    }
    assert result.counts() == {"normal": 1, "degraded": 1, "down": 1}


def test_reasons_can_be_skipped_and_situations_do_not_leak():
    doc = small_doc(flows=[("A", "B")], services=[svc("S1", [("ONB", "down")])])
    cm = compile_map(parse_map(doc))
    quiet = evaluate(cm, Situation(host_states={"h-b": "off"}), reasons=False)
    assert quiet.services["S1"].status == "down"
    assert quiet.services["S1"].reasons == ()
    assert evaluate(cm, Situation()).services["S1"].status == "normal"


def test_the_demo_group_agrees_with_the_reference():
    gm = parse_map(generate(1))
    cm = compile_map(gm)
    servers = [z.id for z in gm.zones if z.kind == "servers"]
    hosts = [h.id for h in gm.hosts if h.role == "server"]
    situations = [
        Situation(),
        Situation(isolated_zones=frozenset(servers[:1])),
        Situation(internet_cut=True),
        Situation(host_states={h: "compromised" for h in hosts[::3]}),
        Situation(
            host_states={h: "isolated" for h in hosts[1::4]},
            blocked_flows=frozenset(f.key for f in gm.flows[::5]),
            internet_cut=True,
        ),
    ]
    seen = set()
    for s in situations:
        ref = Reference(gm, s)
        result = evaluate(cm, s)
        assert {k: v.status for k, v in result.services.items()} == ref.statuses()
        assert dict(result.available_from) == ref.available_from()
        seen |= {si.status for si in result.services.values()}
    assert seen == {"normal", "degraded", "down"}


def test_available_from_is_a_read_only_mapping_of_every_application():
    doc = small_doc(flows=[("A", "B")])
    result = run(doc)
    assert len(result.available_from) == 3
    assert sorted(result.available_from) == ["CLOUD", "ONB", "ONC"]
    assert result.available_from == {
        "ONB": {"A", "B"},
        "ONC": {"C"},
        "CLOUD": {"NET"},
    }
    assert "Availability(" in repr(result.available_from)
    with pytest.raises(KeyError):
        result.available_from["NOPE"]


# ---------------------------------------------------------------------------
# Random maps against the reference
# ---------------------------------------------------------------------------

ZONE_KINDS = ("workstations", "servers", "medical", "internet")
# Strategies built once and drawn many times: building strategies inside the composite
# (sampled_from over a fresh list each time) costs more than the whole check.
BOOL = st.booleans()
INDEX = [st.integers(0, k) for k in range(16)]
STATES = st.sampled_from(HOST_STATES)
WITHOUTS = st.sampled_from(("down", "degraded"))


def pick(draw, seq):
    return seq[draw(INDEX[len(seq) - 1])]


def some(draw, seq, at_least_one=False):
    chosen = [x for x in seq if draw(BOOL)]
    return chosen or ([pick(draw, seq)] if at_least_one and seq else [])


@st.composite
def maps_and_situations(draw):
    n_zones = 1 + draw(INDEX[5])
    kinds = ["workstations"] + [pick(draw, ZONE_KINDS) for _ in range(n_zones - 1)]
    zones = [f"Z{i}" for i in range(n_zones)]
    flows = some(draw, [(a, b) for a in zones for b in zones if a != b])
    hosts = [(f"h{i}", pick(draw, zones)) for i in range(draw(INDEX[10]))]
    host_ids = [h for h, _ in hosts]
    apps = []
    for i in range(1 + draw(INDEX[5]) if hosts else 0):
        # Apps only need apps defined before them: no cycles. Listing order is then mixed.
        app_hosts = [pick(draw, host_ids) for _ in range(1 + draw(INDEX[2]))]
        needs = some(draw, [f"P{j}" for j in range(i)])
        apps.append({"id": f"P{i}", "name": f"app {i}", "hosts": sorted(set(app_hosts))})
        apps[-1]["needs"] = needs
    if apps and draw(BOOL):
        apps.reverse()
    work_zones = [z for z, k in zip(zones, kinds, strict=True) if k != "internet"]
    services = []
    for i in range(draw(INDEX[5])):
        ws = some(draw, work_zones, at_least_one=True)
        needs = [(a["id"], draw(WITHOUTS)) for a in some(draw, apps)]
        services.append(svc(f"V{i}", needs, ws))
    doc = {
        "group": {"id": "g"},
        "sites": [{"id": "S", "name": "Site", "kind": "hospital"}],
        "zones": [
            {"id": z, "kind": k, **({} if k == "internet" else {"site": "S"})}
            for z, k in zip(zones, kinds, strict=True)
        ],
        "flows": [{"from": a, "to": b} for a, b in flows],
        "hosts": [{"id": h, "zone": z, "role": "server"} for h, z in hosts],
        "applications": apps,
        "services": services,
    }
    gm = parse_map(doc)
    situation = Situation(
        host_states={h: draw(STATES) for h in some(draw, host_ids)},
        isolated_zones=frozenset(z for z in zones if draw(INDEX[3]) == 0),
        blocked_flows=frozenset(some(draw, flows)),
        internet_cut=draw(BOOL),
    )
    return gm, situation


def assert_reason_holds(gm: GroupMap, s: Situation, ref: Reference, service, reason: Reason):
    """The reason's chain is a chain of real unavailabilities, and its subject is at fault."""
    assert reason.chain[0][0] == reason.app
    assert reason.app in {n.app for n in service.needs}
    assert reason.chain[0][1] in service.workstations
    for app, zone in reason.chain:
        assert not ref.available(app, zone), (app, zone)
    for (app, _), (needed, _) in zip(reason.chain, reason.chain[1:], strict=False):
        assert needed in gm.application(app).needs
    last_app, from_zone = reason.chain[-1]
    flows = {f.key for f in gm.flows}
    if reason.cause == "host":
        assert reason.subject in gm.application(last_app).hosts
        assert reason.detail == s.host_states.get(reason.subject) and reason.detail in NOT_SERVING
        return
    if reason.cause == "no_host":
        assert reason.subject == last_app and not gm.application(last_app).hosts
        return
    flow = reason.detail if reason.cause == "isolated_zone" else reason.subject
    a, b = flow.split("->")
    assert a == from_zone and a != b
    assert b in {gm.host(h).zone for h in gm.application(last_app).hosts}
    assert not ref.reaches(a, b)
    if reason.cause == "no_flow":
        assert (a, b) not in flows
    elif reason.cause == "blocked_flow":
        assert (a, b) in s.blocked_flows
    elif reason.cause == "isolated_zone":
        assert (a, b) in flows and reason.subject in s.isolated_zones
        assert reason.subject in (a, b)
    elif reason.cause == "internet_cut":
        assert (a, b) in flows and s.internet_cut
        assert reason.detail in (a, b) and gm.zone(reason.detail).kind == "internet"
    else:
        raise AssertionError(f"unknown cause {reason.cause!r}")


def check_against_reference(gm: GroupMap, s: Situation) -> None:
    ref = Reference(gm, s)
    cm = compile_map(gm)
    # The same compiled map serves any number of situations: nothing carries over.
    everything_cut = Situation(
        host_states={h.id: "off" for h in gm.hosts},
        isolated_zones=frozenset(z.id for z in gm.zones),
        internet_cut=True,
    )
    evaluate(cm, everything_cut)
    quiet = evaluate(cm, s, reasons=False)
    result = evaluate(cm, s)
    statuses = ref.statuses()
    assert {k: v.status for k, v in result.services.items()} == statuses
    assert {k: v.status for k, v in quiet.services.items()} == statuses
    assert dict(result.available_from) == ref.available_from()
    for sid, si in result.services.items():
        if si.status == "normal":
            assert si.reasons == ()
            continue
        assert si.reasons, sid
        assert len(set(si.reasons)) == len(si.reasons)
        service = gm.service(sid)
        for reason in si.reasons:
            assert_reason_holds(gm, s, ref, service, reason)
        # Every unmet need is explained, and only unmet needs are.
        unmet = {
            n.app
            for n in service.needs
            if not any(ref.available(n.app, w) for w in service.workstations)
        }
        assert {r.app for r in si.reasons} == unmet


SETTINGS = settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(maps_and_situations())
def test_random_maps_agree_with_the_reference(case):
    check_against_reference(*case)


@SETTINGS
@given(maps_and_situations())
def test_random_maps_agree_with_the_reference_again(case):
    # A second batch, drawn independently: 3,000 random maps and situations in all, in two
    # tests that each report (and shrink a failure) on their own.
    check_against_reference(*case)


def test_the_benchmark_runs_and_agrees_with_its_baseline(capsys):
    from bench.impact_bench import main

    assert main(["--sites", "3", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "statuses identical" in out
    assert "speedup" in out


def test_overlapping_evaluations_leave_the_collector_as_it_was():
    """A server evaluates on several threads: the last one out restores the collector."""
    import gc

    from crisiscell.engine import impact as engine

    assert gc.isenabled()
    with engine._collector_paused():
        with engine._collector_paused():  # a second thread's evaluation starts…
            assert not gc.isenabled()
        assert not gc.isenabled()  # …and ends while the first one still runs
    assert gc.isenabled()
