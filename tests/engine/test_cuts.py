"""Containment cuts as changes of situation, and the care they change, on the demo map."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisiscell.engine import cuts, demo_map
from crisiscell.engine.groupmap import parse_map
from crisiscell.engine.impact import Situation, compile_map, evaluate

GM = parse_map(demo_map.generate())
CM = compile_map(GM)


def test_isolating_a_site_cuts_exactly_the_flows_across_its_border():
    cut = cuts.cut_for(GM, "site", "ARL")
    inside = {z.id for z in GM.zones if z.site == "ARL"}
    assert cut.block and not cut.isolate and not cut.internet
    for source, target in cut.block:
        assert (source in inside) != (target in inside)
    inner = [f.key for f in GM.flows if f.source in inside and f.target in inside]
    assert not set(inner) & cut.block


def test_effective_leaves_out_what_is_in_force_and_undo_gives_it_back():
    first = sorted(cuts.cut_for(GM, "site", "ARL").block)[0]
    before = Situation(blocked_flows=frozenset({first}), host_states={"srv-pacs-01": "compromised"})
    whole = cuts.cut_for(GM, "site", "ARL")
    done = cuts.effective(whole, before)
    assert first not in done.block and done.block == whole.block - {first}
    after = cuts.apply_cut(before, done)
    assert after.blocked_flows == before.blocked_flows | whole.block
    assert cuts.undo_cut(after, done) == before


def test_shutting_a_host_and_undoing_it():
    s = Situation(host_states={"srv-pacs-01": "compromised"})
    done = cuts.effective(cuts.cut_for(GM, "host", "srv-pacs-01"), s)
    after = cuts.apply_cut(s, done)
    assert after.host_states["srv-pacs-01"] == "off"
    assert cuts.undo_cut(after, done, {"srv-pacs-01": "compromised"}) == s
    assert cuts.effective(done, after).empty  # already off: nothing more to do


def test_care_changes_are_the_impact_engines_differences():
    s = Situation()
    after = cuts.apply_cut(s, cuts.cut_for(GM, "site", "ARL"))
    changes = cuts.care_changes(GM, CM, s, after)
    old, new = evaluate(CM, s).services, evaluate(CM, after).services
    assert {c.service for c in changes} == {k for k in old if old[k].status != new[k].status}
    assert all(c.worse and c.reasons for c in changes)
    back = cuts.care_changes(GM, CM, after, s)
    assert {c.service for c in back} == {c.service for c in changes}
    assert not any(c.worse or c.reasons for c in back)
    # vital services first
    ranks = [c.criticality != "vital" for c in changes]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(
    "kind, target, message",
    [
        ("zone", "NOPE", "unknown zone"),
        ("site", "NOPE", "unknown site"),
        ("flow", "A", "expected FROM->TO"),
        ("flow", "ARL-WS->NOPE", "unknown flow"),
        ("host", "NOPE", "unknown host"),
        ("wall", "", "unknown kind"),
    ],
)
def test_unknown_targets(kind, target, message):
    with pytest.raises(cuts.CutInvalid, match=message):
        cuts.cut_for(GM, kind, target)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([("site", s.id) for s in GM.sites] + [("zone", z.id) for z in GM.zones]),
    st.sets(st.sampled_from([f.key for f in GM.flows]), max_size=6),
    st.booleans(),
)
def test_do_then_undo_is_the_identity(action, blocked, internet):
    s = Situation(blocked_flows=frozenset(blocked), internet_cut=internet)
    done = cuts.effective(cuts.cut_for(GM, *action), s)
    assert cuts.undo_cut(cuts.apply_cut(s, done), done) == s
    assert cuts.Cut.from_json(done.to_json()) == done
