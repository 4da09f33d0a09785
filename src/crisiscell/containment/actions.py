"""The one door for containment actions: propose, approve or reject, do, revert.

Each move checks the person's right, then locks the action's row and goes on only if the
action is still in the status the person saw (`expected`): two people approving at once,
or a page left open while someone else acted, get a clear refusal naming who moved it,
and nothing is applied twice. Doing an action changes the network's state through
`crisiscell.inventory.actions` in the same transaction, and keeps what it changed so that
reverting gives back exactly that. Every move writes its entry in the crisis log.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis.actions import log_text, record_change, set_site_mode
from crisiscell.crisis.log import active_crisis
from crisiscell.crisis.roles import APPROVE_CUTS, NETWORK, RUN_CRISIS
from crisiscell.engine import cuts
from crisiscell.inventory import actions as network
from crisiscell.inventory import models as m
from crisiscell.inventory.snapshot import load_map, load_situation

from .models import KINDS, STATUS_LABELS, Action

#: status -> the moves out of it: (verb, the status it leads to, the permission it needs)
MOVES = {
    "proposed": (("approve", "approved", APPROVE_CUTS), ("reject", "rejected", APPROVE_CUTS)),
    "approved": (("done", "done", NETWORK), ("reject", "rejected", APPROVE_CUTS)),
    "done": (("revert", "reverted", NETWORK),),
    "reverted": (),
    "rejected": (),
}
_LOG = {
    "proposed": gettext_noop("Containment action #%(id)s proposed: %(what)s"),
    "approved": gettext_noop("Containment action #%(id)s approved: %(what)s"),
    "rejected": gettext_noop("Containment action #%(id)s rejected: %(what)s"),
    "done": gettext_noop("Containment action #%(id)s done: %(what)s"),
    "reverted": gettext_noop("Containment action #%(id)s reverted: %(what)s"),
}


def can_propose(user) -> bool:
    return bool(user and user.is_active and user.has_perm(NETWORK))


def can_approve(user) -> bool:
    return bool(user and user.is_active and user.has_perm(APPROVE_CUTS))


def describe(kind: str, target: str) -> str:
    """The action in words, in the log's language (French unless configured)."""
    texts = {
        "internet": gettext_noop("cut the internet"),
        "zone": gettext_noop("isolate zone %(target)s"),
        "site": gettext_noop("isolate site %(target)s from the group and the internet"),
        "flow": gettext_noop("block flow %(target)s"),
        "host": gettext_noop("shut down host %(target)s"),
    }
    return log_text(texts[kind], target=target.replace("->", " → "))


def _links(action: Action) -> list[str]:
    prefix = {"zone": "zone", "site": "site", "flow": "flow", "host": "host"}.get(action.kind)
    return [f"{prefix}:{action.target}"] if prefix else []


def _record(user, action: Action) -> None:
    what = describe(action.kind, action.target)
    record_change(user, log_text(_LOG[action.status], id=action.pk, what=what), _links(action))


def propose(user, kind: str, target: str = "", rationale: str = "", preventive: bool = False):
    """A new action, checked against the map; nothing changes on the network yet."""
    if not can_propose(user):
        raise PermissionDenied(_("Your role does not allow proposing containment actions."))
    if kind not in KINDS:
        raise ValidationError(_("Unknown kind of action %(kind)r.") % {"kind": kind})
    target = "" if kind == "internet" else target.strip()
    if kind != "internet" and not target:
        raise ValidationError(_("Say what the action cuts: a zone, a site, a flow or a host."))
    if kind == "flow":
        try:
            target = "->".join(cuts.parse_flow(target))
        except cuts.CutInvalid as exc:
            raise ValidationError(str(exc)) from None
    try:
        cuts.cut_for(load_map(), kind, target)
    except cuts.CutInvalid as exc:
        raise ValidationError(str(exc)) from None
    with transaction.atomic():
        action = Action.objects.create(
            crisis=active_crisis(),
            kind=kind,
            target=target,
            rationale=rationale.strip()[:4000],
            preventive=preventive and kind == "site",
            proposed_by=user,
            proposed_at=timezone.now(),
        )
        _record(user, action)
    return action


def _stale(action: Action, expected: str) -> ValidationError:
    who, when = _last_move(action)
    params = {
        "id": action.pk,
        "status": STATUS_LABELS[action.status],
        "expected": STATUS_LABELS.get(expected, expected),
        "who": who or "?",
        "when": date_format(timezone.localtime(when), "DATETIME_FORMAT") if when else "?",
    }
    return ValidationError(
        _(
            "Action #%(id)s is no longer %(expected)s: it is %(status)s (by %(who)s, "
            "%(when)s). Nothing was changed; look at it again before acting."
        )
        % params
    )


def _last_move(action: Action):
    person = {
        "proposed": (action.proposed_by, action.proposed_at),
        "approved": (action.approved_by, action.approved_at),
        "done": (action.done_by, action.done_at),
        "reverted": (action.reverted_by, action.reverted_at),
        "rejected": (action.rejected_by, action.rejected_at),
    }[action.status]
    user, when = person
    return (user.get_username() if user else ""), when


def move(user, action_id: int, verb: str, expected: str) -> Action:
    """Approve, reject, do or revert the action, if it is still in status `expected`."""
    with transaction.atomic():
        action = Action.objects.select_for_update().filter(pk=action_id).first()
        if action is None:
            raise ValidationError(_("There is no action #%(id)s.") % {"id": action_id})
        if action.status != expected:
            raise _stale(action, expected)
        step = next((s for s in MOVES[action.status] if s[0] == verb), None)
        if step is None:
            raise ValidationError(
                _("Action #%(id)s is %(status)s: it cannot be moved that way.")
                % {"id": action.pk, "status": STATUS_LABELS[action.status]}
            )
        _verb, status, perm = step
        if not (user and user.is_active and user.has_perm(perm)):
            raise PermissionDenied(_("Your role does not allow this move."))
        now = timezone.now()
        if status == "done":
            action.applied = _do(user, action)
        elif status == "reverted":
            _undo(user, action)
        action.status = status
        setattr(action, f"{status}_by", user)
        setattr(action, f"{status}_at", now)
        action.save()
        _record(user, action)
        if status == "approved" and action.preventive:
            _preventive_mode(user, action)
    return action


def _preventive_mode(user, action: Action) -> None:
    """Approving a site's preventive isolation is also the decision to run it in
    preventive degraded mode (seed 004): said in the crisis, in the same transaction."""
    crisis = active_crisis()
    if crisis is not None and user.has_perm(RUN_CRISIS):
        set_site_mode(user, crisis.pk, action.target, "preventive")


def _do(user, action: Action) -> dict:
    """Apply the part of the cut not already in force; what was changed, to undo it."""
    situation = load_situation()
    cut = cuts.effective(cuts.cut_for(load_map(), action.kind, action.target), situation)
    before = {h: situation.host_states.get(h, "ok") for h in cut.shut}
    if cut.internet:
        network.set_internet_cut(user, True)
    for code in sorted(cut.isolate):
        network.set_zone_isolated(user, m.Zone.objects.get(code=code).pk, True)
    for source, target in sorted(cut.block):
        flow = m.Flow.objects.get(source__code=source, target__code=target)
        network.set_flow_blocked(user, flow.pk, True)
    if cut.shut:
        network.set_host_states(
            user, dict.fromkeys(cut.shut, "off"), describe(action.kind, action.target)
        )
    return {**cut.to_json(), "host_states": before}


def _undo(user, action: Action) -> None:
    """Give back what doing the action changed (a zone, flow or host the map no longer
    has is skipped: there is nothing left to give back)."""
    done = cuts.Cut.from_json(action.applied or {})
    if done.internet:
        network.set_internet_cut(user, False)
    for zone in m.Zone.objects.filter(code__in=sorted(done.isolate)):
        network.set_zone_isolated(user, zone.pk, False)
    for source, target in sorted(done.block):
        flow = m.Flow.objects.filter(source__code=source, target__code=target).first()
        if flow is not None:
            network.set_flow_blocked(user, flow.pk, False)
    back = (action.applied or {}).get("host_states", {})
    states = {h: back.get(h, "ok") for h in done.shut}
    known = set(m.Host.objects.filter(code__in=list(states)).values_list("code", flat=True))
    states = {h: s for h, s in states.items() if h in known}
    if states:
        network.set_host_states(user, states, describe(action.kind, action.target))
