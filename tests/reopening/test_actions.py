"""The reopening plan's actions: validation, prerequisites, order, stale pages, exact rollback."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crisiscell.crisis import actions as crisis_actions
from crisiscell.crisis.log import verify_crisis
from crisiscell.crisis.models import Crisis, LogEntry
from crisiscell.inventory import actions as network
from crisiscell.inventory.models import Flow, Group, Host, Zone
from crisiscell.reopening import actions, plan
from crisiscell.reopening.actions import StepInput
from crisiscell.reopening.models import Check, Step
from crisiscell.web import impact_cache

pytestmark = pytest.mark.django_db

A = "ARL-WS->DC-SRV"  # mapped ports 443;445
B = "DC-SRV->INTERNET"  # mapped ports 443


def flow(key: str) -> Flow:
    source, target = key.split("->")
    return Flow.objects.get(source__code=source, target__code=target)


def host_ok(cast, code: str) -> None:
    network.set_host_state(cast.it_lead, Host.objects.get(code=code).pk, "ok")


def ehr_step(cast, **kw) -> Step:
    data = {
        "title": "Postes d'Arlon vers le DPI, HTTPS seulement",
        "flows": [A],
        "ports": "443",
        "hosts": ["srv-ehr-01"],
        "checks": ["Règle pare-feu relue par un second"],
    }
    data.update(kw)
    return actions.create_step(cast.it_lead, StepInput(**data))


def tick_all(cast, step: Step) -> None:
    for check in step.checks.all():
        actions.tick_check(cast.it_lead, check.pk, True)


def service_status(service: str) -> str:
    impact_cache.clear()
    return impact_cache.impact_now(reasons=False).impact.services[service].status


def entries(text: str, kind: str | None = None) -> int:
    qs = LogEntry.objects.filter(text__contains=text)
    return qs.filter(kind=kind).count() if kind else qs.count()


def assert_chain_ok() -> None:
    for crisis in Crisis.objects.all():
        crisis.refresh_from_db()
        assert verify_crisis(crisis).ok


# --- the whole round trip ---------------------------------------------------


def test_create_approve_done_rollback_round_trip(cast, night):
    assert service_status("ARL-URG") == "down"
    step = ehr_step(cast)
    assert step.status == "planned" and step.crisis_id == night.pk and step.position == 1

    # The EHR's host is still compromised and the check not ticked: no approval.
    with pytest.raises(ValidationError) as refused:
        actions.approve_step(cast.director, step.pk, "planned")
    message = " ".join(refused.value.messages)
    assert "srv-ehr-01" in message and "Règle pare-feu relue par un second" in message
    step.refresh_from_db()
    assert step.status == "planned" and step.approved_by is None

    host_ok(cast, "srv-ehr-01")
    tick_all(cast, step)
    step = actions.approve_step(cast.director, step.pk, "planned")
    assert step.status == "approved" and step.approved_by == cast.director

    step = actions.mark_done(cast.it_lead, step.pk, "approved")
    a = flow(A)
    assert step.status == "done" and not a.blocked and a.allowed_ports == "443"
    assert step.applied == {"zones": [], "flows": [A], "internet": False, "filters": {A: ""}}
    assert service_status("ARL-URG") == "normal"

    step = actions.roll_back(cast.it_lead, step.pk, "done")
    a = flow(A)
    assert step.status == "rolled_back" and a.blocked and a.allowed_ports == ""
    assert service_status("ARL-URG") == "down"

    # A rolled-back step is approved and done again.
    actions.approve_step(cast.director, step.pk, "rolled_back")
    actions.mark_done(cast.it_lead, step.pk, "approved")
    assert not flow(A).blocked
    title = step.title
    assert entries(title, "decision") == 2  # two approvals
    assert entries(title) >= 6  # proposed, 2 approvals, 2 done, rolled back (+ ticks)
    assert_chain_ok()


def test_rollback_gives_back_exactly_what_the_step_changed(cast, crisis):
    arl = Zone.objects.get(code="ARL-WS")
    network.set_zone_isolated(cast.it_lead, arl.pk, True)
    network.set_flow_blocked(cast.it_lead, flow(A).pk, True)
    network.set_internet_cut(cast.it_lead, True)
    # B stays open: the step narrows its filter without reopening it.
    step = actions.create_step(
        cast.it_lead,
        StepInput(
            title="Arlon et internet", zones=["ARL-WS"], flows=[A, B], ports="443", internet=True
        ),
    )
    actions.approve_step(cast.director, step.pk, "planned")
    step = actions.mark_done(cast.it_lead, step.pk, "approved")
    assert step.applied == {
        "zones": ["ARL-WS"],
        "flows": [A],
        "internet": True,
        "filters": {A: "", B: ""},
    }
    assert not Zone.objects.get(code="ARL-WS").isolated
    assert not Group.objects.get().internet_cut
    assert (flow(A).blocked, flow(A).allowed_ports) == (False, "443")
    assert (flow(B).blocked, flow(B).allowed_ports) == (False, "443")

    actions.roll_back(cast.it_lead, step.pk, "done")
    assert Zone.objects.get(code="ARL-WS").isolated
    assert Group.objects.get().internet_cut
    assert (flow(A).blocked, flow(A).allowed_ports) == (True, "")
    assert (flow(B).blocked, flow(B).allowed_ports) == (False, "")  # open before: stays open
    assert_chain_ok()


def test_what_was_open_or_cut_before_stays_so_after_rollback(cast, crisis):
    b = flow(B)
    network.set_flow_blocked(cast.it_lead, b.pk, True)  # not in the step
    network.set_flow_filter(cast.it_lead, flow(A).pk, "445")
    step = actions.create_step(
        cast.it_lead, StepInput(title="Arlon, HTTPS", flows=[A], ports="443")
    )
    actions.approve_step(cast.director, step.pk, "planned")
    step = actions.mark_done(cast.it_lead, step.pk, "approved")
    assert step.applied["flows"] == []  # A was open already: not the step's to cut again
    assert step.applied["filters"] == {A: "445"}
    actions.roll_back(cast.it_lead, step.pk, "done")
    assert (flow(A).blocked, flow(A).allowed_ports) == (False, "445")
    assert flow(B).blocked


# --- stale pages, two people at once ---------------------------------------


def test_a_stale_status_is_refused_and_the_move_applied_once(cast, night):
    host_ok(cast, "srv-ehr-01")
    step = ehr_step(cast, checks=[])
    actions.approve_step(cast.director, step.pk, "planned")
    with pytest.raises(ValidationError) as refused:
        actions.approve_step(cast.director, step.pk, "planned")
    message = " ".join(refused.value.messages)
    assert re.search(r"«\s*Approuvée\s*»", message) and re.search(r"«\s*Planifiée\s*»", message)
    assert "director" in message
    assert entries(step.title, "decision") == 1

    actions.mark_done(cast.it_lead, step.pk, "approved")
    reopened = entries(A)
    with pytest.raises(ValidationError, match="modifiée entre-temps"):
        actions.mark_done(cast.director, step.pk, "approved")
    assert entries(A) == reopened

    actions.roll_back(cast.it_lead, step.pk, "done")
    with pytest.raises(ValidationError, match="modifiée entre-temps"):
        actions.roll_back(cast.it_lead, step.pk, "done")
    assert entries(step.title) == 4  # proposed, approved, done, rolled back


def test_unknown_statuses_and_ids(cast, night):
    step = ehr_step(cast)
    with pytest.raises(ValidationError) as refused:
        actions.approve_step(cast.director, step.pk, "whatever")
    assert re.search(r"État d’étape inconnu «\s*whatever\s*»", " ".join(refused.value.messages))
    with pytest.raises(Step.DoesNotExist):
        actions.approve_step(cast.director, step.pk + 99, "planned")
    with pytest.raises(Check.DoesNotExist):
        actions.tick_check(cast.it_lead, 999_999, True)


def test_a_check_ticked_twice_is_refused_naming_who(cast, night):
    step = ehr_step(cast)
    check = step.checks.get()
    actions.tick_check(cast.it_lead, check.pk, True)
    with pytest.raises(ValidationError, match="déjà été cochée par it_lead"):
        actions.tick_check(cast.director, check.pk, True)
    actions.tick_check(cast.director, check.pk, False)
    check.refresh_from_db()
    assert not check.done and check.done_by is None


# --- order -----------------------------------------------------------------


def test_steps_are_done_in_order_and_rolled_back_from_the_last(cast, night):
    host_ok(cast, "srv-ehr-01")
    network.set_flow_blocked(cast.it_lead, flow(B).pk, True)
    first = ehr_step(cast, checks=[])
    second = actions.create_step(cast.it_lead, StepInput(title="Mises à jour", flows=[B]))
    assert second.position == 2
    actions.approve_step(cast.director, second.pk, "planned")
    with pytest.raises(ValidationError, match="dans l’ordre du plan"):
        actions.mark_done(cast.it_lead, second.pk, "approved")
    assert flow(B).blocked

    actions.approve_step(cast.director, first.pk, "planned")
    actions.mark_done(cast.it_lead, first.pk, "approved")
    actions.mark_done(cast.it_lead, second.pk, "approved")
    with pytest.raises(ValidationError, match="en partant de la dernière"):
        actions.roll_back(cast.it_lead, first.pk, "done")
    assert not flow(A).blocked

    actions.roll_back(cast.it_lead, second.pk, "done")
    actions.roll_back(cast.it_lead, first.pk, "done")
    assert flow(A).blocked and flow(B).blocked


def test_progress_is_the_first_step_not_done(cast, night):
    host_ok(cast, "srv-ehr-01")
    assert plan.progress(plan.plan_steps()) is None
    first = ehr_step(cast, checks=[])
    second = actions.create_step(cast.it_lead, StepInput(title="Mises à jour", flows=[B]))
    now = plan.progress(plan.plan_steps())
    assert (now.step.pk, now.number, now.total) == (first.pk, 1, 2)
    actions.approve_step(cast.director, first.pk, "planned")
    actions.mark_done(cast.it_lead, first.pk, "approved")
    now = plan.progress(plan.plan_steps())
    assert (now.step.pk, now.number) == (second.pk, 2)
    actions.approve_step(cast.director, second.pk, "planned")
    actions.mark_done(cast.it_lead, second.pk, "approved")
    now = plan.progress(plan.plan_steps())
    assert (now.step.pk, now.number, now.step.status) == (second.pk, 2, "done")


def test_done_checks_the_prerequisites_again(cast, night):
    host_ok(cast, "srv-ehr-01")
    step = ehr_step(cast, checks=[])
    actions.approve_step(cast.director, step.pk, "planned")
    network.set_host_state(cast.it_lead, Host.objects.get(code="srv-ehr-01").pk, "suspected")
    with pytest.raises(ValidationError, match="srv-ehr-01"):
        actions.mark_done(cast.it_lead, step.pk, "approved")
    assert flow(A).blocked


# --- roles -----------------------------------------------------------------


def test_roles(cast, night):
    with pytest.raises(PermissionDenied):
        actions.create_step(cast.observer, StepInput(title="x", flows=[A]))
    step = ehr_step(cast, hosts=[], checks=[])
    with pytest.raises(PermissionDenied):
        actions.approve_step(cast.it_lead, step.pk, "planned")  # the director approves
    actions.approve_step(cast.director, step.pk, "planned")
    with pytest.raises(PermissionDenied):
        actions.mark_done(cast.observer, step.pk, "approved")
    assert Step.objects.get().status == "approved"


# --- what a step says ------------------------------------------------------


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"zones": ["ARL-XX"]}, "zones", "ARL-XX"),
        ({"flows": ["ARL-WS->INTERNET"]}, "flows", "ARL-WS->INTERNET"),
        ({"flows": ["ARL-WS"]}, "flows", "SRC->DST"),
        ({"flows": [A], "ports": "44x"}, "ports", "44x"),
        ({"flows": [A], "ports": "70000"}, "ports", "70000"),
        ({"flows": [A], "ports": "8000-7000"}, "ports", "8000-7000"),
        ({"flows": [A], "ports": "3389"}, "ports", "3389"),
        ({"flows": [A, B], "ports": "445"}, "ports", "DC-SRV->INTERNET"),
        ({"flows": [A], "ports": "440-450"}, "ports", "440-450"),
        ({"zones": ["ARL-WS"], "ports": "443"}, "ports", "indiquez-en au moins un"),
        ({"flows": [A], "hosts": ["srv-nope"]}, "hosts", "srv-nope"),
        ({"flows": [A], "title": "  "}, "title", "titre"),
        ({"flows": [A], "checks": ["x" * 301]}, "checks", "300"),
        ({}, "__all__", "une zone, un flux ou internet"),
    ],
)
def test_bad_input_names_the_field_and_the_value_and_saves_nothing(cast, night, data, field, words):
    typed = {"title": "Étape"} | data
    with pytest.raises(ValidationError) as refused:
        actions.create_step(cast.it_lead, StepInput(**typed))
    errors = refused.value.message_dict
    assert field in errors, errors
    assert words in " ".join(errors[field])
    assert not Step.objects.exists()


def test_codes_are_tidied_and_ports_written_one_way(cast, night):
    step = actions.create_step(
        cast.it_lead,
        StepInput(
            title="  Arlon\n  HTTPS ",
            flows=[" ARL-WS → DC-SRV ", A],
            ports=" 443 , 445;443 ",
            hosts=["srv-ehr-01", "srv-ehr-01"],
        ),
    )
    assert (step.title, step.flows, step.ports, step.hosts) == (
        "Arlon HTTPS",
        [A],
        "443;445",
        ["srv-ehr-01"],
    )


def test_editing_an_approved_step_sends_it_back_to_planned(cast, night):
    host_ok(cast, "srv-ehr-01")
    step = ehr_step(cast)
    check = step.checks.get()
    actions.tick_check(cast.it_lead, check.pk, True)
    actions.approve_step(cast.director, step.pk, "planned")
    step.refresh_from_db()
    seen = step.revision
    edited = StepInput(
        title=step.title,
        flows=[A],
        ports="443;445",
        hosts=["srv-ehr-01"],
        checks=["Règle pare-feu relue par un second", "Antivirus à jour"],
    )
    step = actions.update_step(cast.it_lead, step.pk, edited, seen)
    assert step.status == "planned" and step.approved_by is None and step.ports == "443;445"
    kept = step.checks.get(text="Règle pare-feu relue par un second")
    assert kept.pk == check.pk and kept.done  # same words: same check, still ticked
    assert step.checks.count() == 2
    # A form opened before that change is refused.
    with pytest.raises(ValidationError, match="modifiée entre-temps"):
        actions.update_step(cast.it_lead, step.pk, edited, seen)
    # Saving what it already says changes nothing and logs nothing.
    logged = LogEntry.objects.count()
    actions.update_step(cast.it_lead, step.pk, edited, step.revision)
    assert LogEntry.objects.count() == logged


def test_a_done_step_is_neither_edited_nor_removed(cast, night):
    host_ok(cast, "srv-ehr-01")
    step = ehr_step(cast, checks=[])
    actions.approve_step(cast.director, step.pk, "planned")
    actions.mark_done(cast.it_lead, step.pk, "approved")
    with pytest.raises(ValidationError, match="annulez-la"):
        actions.update_step(cast.it_lead, step.pk, StepInput(title="x", flows=[A]), 3)
    with pytest.raises(ValidationError, match="annulez-la"):
        actions.delete_step(cast.it_lead, step.pk, "done")
    actions.roll_back(cast.it_lead, step.pk, "done")
    actions.delete_step(cast.it_lead, step.pk, "rolled_back")
    assert not Step.objects.exists()


def test_the_plan_is_the_crisis_under_way(cast, group_map):
    drafted = actions.create_step(cast.it_lead, StepInput(title="Brouillon", flows=[A]))
    assert drafted.crisis is None and not LogEntry.objects.exists()  # no crisis: no log
    crisis = crisis_actions.open_crisis(cast.director, "Crise 1")
    ours = actions.create_step(cast.it_lead, StepInput(title="Étape", flows=[B]))
    assert [s.pk for s in plan.plan_steps()] == [drafted.pk, ours.pk]
    crisis_actions.close_crisis(cast.director, crisis.pk)
    crisis_actions.open_crisis(cast.director, "Crise 2")
    assert [s.pk for s in plan.plan_steps()] == [drafted.pk]
    with pytest.raises(Step.DoesNotExist):
        actions.approve_step(cast.director, ours.pk, "planned")


def test_care_each_step_restores_is_projected_in_order(cast, night):
    host_ok(cast, "srv-ehr-01")
    network.set_host_state(cast.it_lead, Host.objects.get(code="srv-pacs-01").pk, "compromised")
    first = ehr_step(cast, checks=[])
    second = actions.create_step(cast.it_lead, StepInput(title="Internet", internet=True))
    impact_cache.clear()
    now = impact_cache.impact_now(reasons=False)
    care = plan.care_by_step(plan.plan_steps(), now.map.gm, now.map.cm, now.situation)
    urg = next(c for c in care[first.pk] if c.service == "ARL-URG")
    assert (urg.before, urg.after, urg.site) == ("down", "normal", "ARL")
    # Radiology stays degraded (its PACS is compromised): not among what the step restores.
    assert {c.service for c in care[first.pk]} == {"ARL-URG"}
    assert care[second.pk] == []


# --- the flow filter in the inventory --------------------------------------


def test_set_flow_filter_validates_and_logs(cast, crisis):
    a = flow(A)
    with pytest.raises(ValidationError, match="3389"):
        network.set_flow_filter(cast.it_lead, a.pk, "3389")
    with pytest.raises(ValidationError, match="abc"):
        network.set_flow_filter(cast.it_lead, a.pk, "abc")
    with pytest.raises(PermissionDenied):
        network.set_flow_filter(cast.observer, a.pk, "443")
    network.set_flow_filter(cast.it_lead, a.pk, "443")
    network.set_flow_filter(cast.it_lead, a.pk, "443")  # unchanged: logged once
    assert flow(A).allowed_ports == "443"
    assert entries("443", "action") == 1
    network.set_flow_filter(cast.it_lead, a.pk, "")
    assert flow(A).allowed_ports == ""


def test_the_filter_survives_a_reimport_of_the_map(cast, group_map):
    from tests.web.conftest import DOC, import_doc

    network.set_flow_filter(cast.it_lead, flow(A).pk, "443")
    import_doc(DOC)
    assert flow(A).allowed_ports == "443"


@pytest.mark.parametrize(
    "text, ranges",
    [
        ("", ()),
        ("443", ((443, 443),)),
        ("443; 445,443", ((443, 443), (445, 445))),
        ("8000-8010", ((8000, 8010),)),
        ("8000 - 8010;", ((8000, 8010),)),
        ("1;65535", ((1, 1), (65535, 65535))),
    ],
)
def test_parse_ports(text, ranges):
    assert network.parse_ports(text) == ranges


@pytest.mark.parametrize("text", ["0", "65536", "tcp/443", "443-", "-443", "10-5", "٤٤٣"])
def test_parse_ports_refuses(text):
    with pytest.raises(network.PortsInvalid):
        network.parse_ports(text)


def test_ports_outside():
    ranges = network.parse_ports
    assert network.ports_outside(ranges("443;8000-8005"), "443;8000-8002;8003-8010") == []
    assert network.ports_outside(ranges("445;8000-8020"), "443;8000-8010") == ["445", "8000-8020"]
    assert network.ports_outside(ranges("3389"), "") == []  # the map lists none
    assert network.ports_outside(ranges("3389"), "any") == []  # nor in a form we read
