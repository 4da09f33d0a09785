"""The one door for every change to the reopening plan.

Each action checks the user's role, validates everything before writing, writes in one
transaction on rows locked for update, and appends its entry to the crisis log. The moves
of a step carry the status the person saw (`expected_status`): a step someone else moved
meanwhile is refused with a message naming its status now and who moved it, so two people
clicking the same button apply it once.

Roles: writing steps, ticking checks, marking a step done and rolling it back need
``inventory.change_network_state`` (the network team); approving a step needs
``containment.approve_containment`` (the crisis director).

Errors, all with a translated message:
- ``PermissionDenied``: the role does not allow the change;
- ``ValidationError``: bad input (a dict field -> messages for the step form), a stale
  page, a move the plan does not allow;
- ``Step.DoesNotExist`` / ``Check.DoesNotExist``: an id the plan does not hold.
Nothing is written when an action raises.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis import log
from crisiscell.crisis.actions import log_text
from crisiscell.crisis.roles import APPROVE_CUTS, NETWORK
from crisiscell.inventory import actions as network
from crisiscell.inventory import models as m
from crisiscell.inventory.group_time import group_timezone

from . import plan
from .models import STATUS_LABELS, STATUSES, Check, Step

MAX_TITLE = 300
MAX_NOTES = 10_000
MAX_ITEMS = 500  # zones, flows, hosts or checks in one step


def can_plan(user) -> bool:
    """Write steps, tick checks, mark steps done and roll them back."""
    return bool(user and user.is_active and user.has_perm(NETWORK))


def can_approve(user) -> bool:
    return bool(user and user.is_active and user.has_perm(APPROVE_CUTS))


def _require_plan(user) -> None:
    if not can_plan(user):
        raise PermissionDenied(_("Your role does not allow changing the reopening plan."))


def _require_approve(user) -> None:
    if not can_approve(user):
        raise PermissionDenied(_("Your role does not allow approving a reopening step."))


# ---------------------------------------------------------------------------
# What a step says, validated
# ---------------------------------------------------------------------------


@dataclass
class StepInput:
    """A step as a form or an API gives it: codes as typed, checks one per item."""

    title: str = ""
    notes: str = ""
    zones: Sequence[str] = ()
    flows: Sequence[str] = ()
    internet: bool = False
    ports: str = ""
    hosts: Sequence[str] = ()
    checks: Sequence[str] = ()


@dataclass
class _Clean:
    title: str
    notes: str
    zones: list[str]
    flows: list[str]
    internet: bool
    ports: str
    hosts: list[str]
    checks: list[str]
    errors: dict[str, list[str]] = field(default_factory=dict)


def _text(value, name: str, errors: dict[str, list[str]]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append(_("Expected a text, got %(value)r.") % {"value": value})
        return ""
    if any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in value):
        errors.setdefault(name, []).append(_("The text holds control characters: type it again."))
        return ""
    return value


def _items(values: Iterable, name: str, errors: dict[str, list[str]]) -> list[str]:
    """Codes as typed, tidied: blanks around them dropped, empty ones skipped, each once."""
    out: list[str] = []
    for value in values or ():
        item = _text(value, name, errors).strip()
        if item and item not in out:
            out.append(item)
    if len(out) > MAX_ITEMS:
        errors.setdefault(name, []).append(_("At most %(n)d items.") % {"n": MAX_ITEMS})
    return out


def clean_step(data: StepInput) -> _Clean:
    """`data` checked against the map: every error, by field, or none."""
    errors: dict[str, list[str]] = {}
    title = " ".join(_text(data.title, "title", errors).split())
    if not title and "title" not in errors:
        errors["title"] = [_("A step needs a title.")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_("A title holds at most %(n)d characters.") % {"n": MAX_TITLE}]
    notes = _text(data.notes, "notes", errors).strip().replace("\r\n", "\n")
    if len(notes) > MAX_NOTES:
        errors["notes"] = [_("Notes hold at most %(n)d characters.") % {"n": MAX_NOTES}]

    zones = _items(data.zones, "zones", errors)
    known_zones = set(m.Zone.objects.filter(code__in=zones).values_list("code", flat=True))
    for code in zones:
        if code not in known_zones:
            errors.setdefault("zones", []).append(
                _("Zones: there is no zone “%(zone)s” in the map.") % {"zone": code}
            )

    flows: list[str] = []
    mapped: dict[str, str] = {}
    for typed in _items(data.flows, "flows", errors):
        key = plan.flow_key(typed)
        if key is None:
            errors.setdefault("flows", []).append(
                _("Flows: “%(flow)s” is not a flow: write FROM->TO.") % {"flow": typed[:100]}
            )
            continue
        row = m.Flow.objects.filter(source__code=key[0], target__code=key[1]).first()
        text = f"{key[0]}->{key[1]}"
        if row is None:
            errors.setdefault("flows", []).append(
                _("Flows: there is no flow %(flow)s in the map.") % {"flow": text}
            )
        elif text not in flows:
            flows.append(text)
            mapped[text] = row.ports

    ports = ""
    try:
        ranges = network.parse_ports(_text(data.ports, "ports", errors))
    except network.PortsInvalid as exc:
        errors.setdefault("ports", []).append(_("Ports: %(problem)s") % {"problem": exc})
    else:
        ports = network.ports_text(ranges)
        if len(ports) > Step._meta.get_field("ports").max_length:
            errors.setdefault("ports", []).append(_("Ports: the filter is too long."))
        if ranges and not flows and "flows" not in errors:
            errors.setdefault("ports", []).append(
                _("Ports: a filter applies to the flows the step reopens: name at least one.")
            )
        for text, flow_ports in mapped.items():
            outside = network.ports_outside(ranges, flow_ports)
            if outside:
                errors.setdefault("ports", []).append(
                    _("Ports: %(ports)s not among the ports of flow %(flow)s (%(mapped)s).")
                    % {"ports": ", ".join(outside), "flow": text, "mapped": flow_ports}
                )

    hosts = _items(data.hosts, "hosts", errors)
    known_hosts = set(m.Host.objects.filter(code__in=hosts).values_list("code", flat=True))
    for code in hosts:
        if code not in known_hosts:
            errors.setdefault("hosts", []).append(
                _("Hosts: there is no host “%(host)s” in the map.") % {"host": code}
            )

    checks = _items(data.checks, "checks", errors)
    for text in checks:
        if len(text) > MAX_TITLE:
            errors.setdefault("checks", []).append(
                _("Checks: “%(check)s…” is longer than %(n)d characters.")
                % {"check": text[:40], "n": MAX_TITLE}
            )
    internet = bool(data.internet)
    if not (zones or flows or internet) and not {"zones", "flows"} & errors.keys():
        errors[NON_FIELD_ERRORS] = [_("A step reopens something: a zone, a flow or the internet.")]
    return _Clean(title, notes, zones, flows, internet, ports, hosts, checks, errors)


def _valid(data: StepInput) -> _Clean:
    clean = clean_step(data)
    if clean.errors:
        raise ValidationError(clean.errors)
    return clean


# ---------------------------------------------------------------------------
# Writing the plan
# ---------------------------------------------------------------------------


def create_step(user, data: StepInput) -> Step:
    """A new step, last in the plan, ``planned``."""
    _require_plan(user)
    clean = _valid(data)
    with transaction.atomic():
        crisis = log.active_crisis()
        last = Step.objects.filter(plan.plan_filter()).aggregate(n=Max("position"))["n"] or 0
        now = timezone.now()
        step = Step.objects.create(
            crisis=crisis,
            position=last + 1,
            title=clean.title,
            notes=clean.notes,
            zones=clean.zones,
            flows=clean.flows,
            internet=clean.internet,
            ports=clean.ports,
            hosts=clean.hosts,
            created_by=user,
            created_at=now,
            changed_by=user,
            changed_at=now,
        )
        Check.objects.bulk_create(
            Check(step=step, position=k, text=text) for k, text in enumerate(clean.checks, 1)
        )
        _log(
            user,
            "action",
            log_text(
                gettext_noop("Reopening step %(n)s proposed: %(title)s. It reopens %(what)s."),
                n=_number(step),
                title=step.title,
                what=_what(step),
            ),
            _links(step),
        )
    return step


def update_step(user, step_id: int, data: StepInput, expected_revision: int) -> Step:
    """Change what a step says. `expected_revision` is the revision the form was opened on;
    an approved or rolled-back step whose content changes goes back to ``planned``."""
    _require_plan(user)
    clean = _valid(data)
    with transaction.atomic():
        step = _locked(step_id)
        if step.revision != expected_revision:
            raise ValidationError(
                _(
                    "Step “%(title)s” was changed meanwhile by %(who)s at %(when)s. "
                    "Nothing was saved: open it again."
                )
                % {"title": step.title, **_who_when(step)}
            )
        if step.status == "done":
            raise ValidationError(
                _("Step “%(title)s” is done: roll it back before changing it.")
                % {"title": step.title}
            )
        fields = ("title", "notes", "zones", "flows", "internet", "ports", "hosts")
        changed = [f for f in fields if getattr(step, f) != getattr(clean, f)]
        checks_changed = _set_checks(step, clean.checks)
        if not changed and not checks_changed:
            return step
        for f in changed:
            setattr(step, f, getattr(clean, f))
        withdrawn = step.status == "approved"
        step.status = "planned"
        step.approved_by, step.approved_at = None, None
        step.changed_by, step.changed_at = user, timezone.now()
        step.revision += 1
        step.save()
        sentence = (
            gettext_noop(
                "Reopening step %(n)s changed: %(title)s. It reopens %(what)s. "
                "Its approval is withdrawn."
            )
            if withdrawn
            else gettext_noop("Reopening step %(n)s changed: %(title)s. It reopens %(what)s.")
        )
        _log(
            user,
            "action",
            log_text(sentence, n=_number(step), title=step.title, what=_what(step)),
            _links(step),
        )
    return step


def _set_checks(step: Step, texts: list[str]) -> bool:
    """Make the step's checks `texts`, in that order; a check kept keeps its tick."""
    existing = list(step.checks.all())
    kept: list[Check] = []
    changed = False
    for k, text in enumerate(texts, 1):
        check = next((c for c in existing if c.text == text and c not in kept), None)
        if check is None:
            Check.objects.create(step=step, position=k, text=text)
            changed = True
            continue
        kept.append(check)
        if check.position != k:
            check.position = k
            check.save(update_fields=["position"])
            changed = True
    gone = [c.pk for c in existing if c not in kept]
    if gone:
        Check.objects.filter(pk__in=gone).delete()
        changed = True
    return changed


def delete_step(user, step_id: int, expected_status: str) -> Step:
    """Remove a step that is not done (a done step is rolled back first)."""
    _require_plan(user)
    _known_status(expected_status)
    with transaction.atomic():
        steps = _locked_plan()
        step = _in(steps, step_id)
        _expect(step, expected_status, steps)
        if step.status == "done":
            raise ValidationError(
                _("Step “%(title)s” is done: roll it back before removing it.")
                % {"title": step.title}
            )
        number = plan.number_of(step, steps)
        _log(
            user,
            "action",
            log_text(
                gettext_noop("Reopening step %(n)s removed from the plan: %(title)s."),
                n=number,
                title=step.title,
            ),
            [f"reopening:{step.pk}"],
        )
        step.delete()
    return step


def tick_check(user, check_id: int, done: bool) -> Check:
    """Tick a check (`done`) or untick it. Ticking a check already ticked (two people at
    once, an old page) is refused, naming who ticked it."""
    _require_plan(user)
    with transaction.atomic():
        check = Check.objects.filter(pk=check_id, step__in=Step.objects.filter(plan.plan_filter()))
        check = check.first()
        if check is None:
            raise Check.DoesNotExist(_("There is no check with id %(id)s.") % {"id": check_id})
        step = _locked(check.step_id)
        check = Check.objects.select_for_update().get(pk=check.pk)
        if step.status == "done":
            raise ValidationError(
                _("Step “%(title)s” is done: its checks can no longer change.")
                % {"title": step.title}
            )
        if check.done == done:
            who = check.done_by.get_username() if check.done_by else _("someone")
            if done:
                message = _("Check “%(check)s” was already ticked by %(who)s at %(when)s.") % {
                    "check": check.text,
                    "who": who,
                    "when": _local(check.done_at),
                }
            else:
                message = _("Check “%(check)s” is not ticked (any more).") % {"check": check.text}
            raise ValidationError(message + " " + _("Nothing was changed."))
        check.done_at = timezone.now() if done else None
        check.done_by = user if done else None
        check.save(update_fields=["done_at", "done_by"])
        sentence = (
            gettext_noop("Reopening step %(n)s: check done: %(check)s.")
            if done
            else gettext_noop("Reopening step %(n)s: check no longer done: %(check)s.")
        )
        _log(
            user,
            "action",
            log_text(sentence, n=_number(step), check=check.text.rstrip(".")),
            [f"reopening:{step.pk}"],
        )
    return check


# ---------------------------------------------------------------------------
# Moving a step: approve, done, roll back
# ---------------------------------------------------------------------------


def approve_step(user, step_id: int, expected_status: str) -> Step:
    """Approve a planned or rolled-back step whose prerequisites are all met."""
    _require_approve(user)
    _known_status(expected_status)
    with transaction.atomic():
        step = _locked(step_id)
        _expect(step, expected_status)
        if step.status not in ("planned", "rolled_back"):
            raise ValidationError(
                _(
                    "Step “%(title)s” is “%(status)s”: only a planned or rolled-back step "
                    "is approved."
                )
                % {"title": step.title, "status": step.status_label}
            )
        _refuse_unmet(step, _("cannot be approved"))
        _refuse_gone(step)
        now = timezone.now()
        step.status = "approved"
        step.approved_by, step.approved_at = user, now
        step.changed_by, step.changed_at = user, now
        step.revision += 1
        step.save()
        _log(
            user,
            "decision",
            log_text(
                gettext_noop("Reopening step %(n)s approved: %(title)s. It reopens %(what)s."),
                n=_number(step),
                title=step.title,
                what=_what(step),
            ),
            _links(step),
        )
    return step


def mark_done(user, step_id: int, expected_status: str) -> Step:
    """Apply an approved step: its zones reconnected, its flows filtered then unblocked, the
    internet back, through `crisiscell.inventory.actions`, all at once or not at all.
    Steps are done in the plan's order; the prerequisites are checked again."""
    _require_plan(user)
    _known_status(expected_status)
    with transaction.atomic():
        steps = _locked_plan()
        step = _in(steps, step_id)
        _expect(step, expected_status, steps)
        if step.status != "approved":
            raise ValidationError(
                _("Step “%(title)s” is “%(status)s”: only an approved step is marked done.")
                % {"title": step.title, "status": step.status_label}
            )
        earlier = next((s for s in steps if s.pk == step.pk or s.status != "done"), step)
        if earlier.pk != step.pk:
            raise ValidationError(
                _("Step %(n)s “%(title)s” is not done yet: the steps are done in the plan's order.")
                % {"n": plan.number_of(earlier, steps), "title": earlier.title}
            )
        _refuse_unmet(step, _("cannot be done"))
        zones, flows, group = _refuse_gone(step)
        applied: dict = {"zones": [], "flows": [], "internet": False, "filters": {}}
        for zone in zones:
            if zone.isolated:
                network.set_zone_isolated(user, zone.pk, False)
                applied["zones"].append(zone.code)
        for key, flow in flows:
            # The filter first, then the flow: it never opens wider than the step says.
            if flow.allowed_ports != step.ports:
                applied["filters"][key] = flow.allowed_ports
                network.set_flow_filter(user, flow.pk, step.ports)
            if flow.blocked:
                network.set_flow_blocked(user, flow.pk, False)
                applied["flows"].append(key)
        if step.internet and group is not None and group.internet_cut:
            network.set_internet_cut(user, False)
            applied["internet"] = True
        now = timezone.now()
        step.status = "done"
        step.applied = applied
        step.done_by, step.done_at = user, now
        step.changed_by, step.changed_at = user, now
        step.revision += 1
        step.save()
        _log(
            user,
            "action",
            log_text(
                gettext_noop("Reopening step %(n)s done: %(title)s. Changed: %(what)s."),
                n=plan.number_of(step, steps),
                title=step.title,
                what=_applied_text(applied),
            ),
            _links(step),
        )
    return step


def roll_back(user, step_id: int, expected_status: str) -> Step:
    """Take back exactly what marking the step done changed: the flows it opened blocked
    again, the filters it set back to what they were, the zones it connected isolated
    again, the internet cut again if it brought it back. From the last done step only."""
    _require_plan(user)
    _known_status(expected_status)
    with transaction.atomic():
        steps = _locked_plan()
        step = _in(steps, step_id)
        _expect(step, expected_status, steps)
        if step.status != "done":
            raise ValidationError(
                _("Step “%(title)s” is “%(status)s”: only a done step is rolled back.")
                % {"title": step.title, "status": step.status_label}
            )
        later = [s for s in steps[steps.index(step) + 1 :] if s.status == "done"]
        if later:
            last = later[-1]
            raise ValidationError(
                _(
                    "Step %(n)s “%(title)s” is done after this one: roll the steps back "
                    "from the last one."
                )
                % {"n": plan.number_of(last, steps), "title": last.title}
            )
        applied = step.applied or {}
        for key in applied.get("flows", ()):
            flow = _flow(key)
            if flow is not None:
                network.set_flow_blocked(user, flow.pk, True)
        for key, previous in (applied.get("filters") or {}).items():
            flow = _flow(key)
            if flow is not None:
                network.set_flow_filter(user, flow.pk, previous)
        for code in applied.get("zones", ()):
            zone = m.Zone.objects.filter(code=code).first()
            if zone is not None:
                network.set_zone_isolated(user, zone.pk, True)
        if applied.get("internet"):
            network.set_internet_cut(user, True)
        now = timezone.now()
        step.status = "rolled_back"
        step.rolled_back_by, step.rolled_back_at = user, now
        step.changed_by, step.changed_at = user, now
        step.revision += 1
        step.save()
        _log(
            user,
            "action",
            log_text(
                gettext_noop("Reopening step %(n)s rolled back: %(title)s. Taken back: %(what)s."),
                n=plan.number_of(step, steps),
                title=step.title,
                what=_applied_text(applied),
            ),
            _links(step),
        )
    return step


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _known_status(status: str) -> None:
    if status not in STATUSES:
        raise ValidationError(
            _("Unknown step status “%(status)s” (expected one of: %(statuses)s).")
            % {"status": str(status)[:40], "statuses": ", ".join(STATUSES)}
        )


def _locked(step_id) -> Step:
    """A step of the plan, locked for the rest of the transaction."""
    try:
        pk = int(step_id)
    except (TypeError, ValueError):
        pk = None
    step = Step.objects.select_for_update().filter(plan.plan_filter(), pk=pk).first()
    if step is None:
        raise Step.DoesNotExist(_("There is no step with id %(id)s.") % {"id": step_id})
    return step


def _locked_plan() -> list[Step]:
    """Every step of the plan, locked in one order (moves that depend on the others' status
    — done in order, rolled back from the last — must see them still)."""
    return list(
        Step.objects.select_for_update().filter(plan.plan_filter()).order_by("position", "id")
    )


def _in(steps: list[Step], step_id) -> Step:
    step = next((s for s in steps if str(s.pk) == str(step_id)), None)
    if step is None:
        raise Step.DoesNotExist(_("There is no step with id %(id)s.") % {"id": step_id})
    return step


def _expect(step: Step, expected: str, steps: list[Step] | None = None) -> None:
    """Refuse a move decided on a page that showed another status."""
    if step.status == expected:
        return
    number = plan.number_of(step, steps) if steps is not None else _number(step)
    raise ValidationError(
        _(
            "Step %(n)s “%(title)s” was changed meanwhile: it is now “%(now)s” (by %(who)s "
            "at %(when)s), not “%(seen)s”. Nothing was changed; look again and decide."
        )
        % {
            "n": number,
            "title": step.title,
            "now": STATUS_LABELS[step.status],
            "seen": STATUS_LABELS[expected],
            **_who_when(step),
        }
    )


def _who_when(step: Step) -> dict[str, str]:
    who = step.changed_by.get_username() if step.changed_by else _("someone")
    return {"who": who, "when": _local(step.changed_at)}


def _local(at) -> str:
    if at is None:
        return "?"
    return timezone.localtime(at, group_timezone()).strftime("%d/%m/%Y %H:%M")


def _refuse_unmet(step: Step, verb: str) -> None:
    missing = [p for p in plan.prerequisites(step) if not p.met]
    if missing:
        raise ValidationError(
            _("Step “%(title)s” %(verb)s: %(missing)s.")
            % {"title": step.title, "verb": verb, "missing": plan.missing_text(missing)}
        )


def _refuse_gone(step: Step):
    """The rows the step names, or a refusal naming what the map no longer has."""
    zones = list(m.Zone.objects.filter(code__in=step.zones))
    flows = []
    gone = [
        _("zone %(zone)s") % {"zone": c} for c in step.zones if c not in {z.code for z in zones}
    ]
    for key in step.flows:
        flow = _flow(key)
        if flow is None:
            gone.append(_("flow %(flow)s") % {"flow": key})
        else:
            flows.append((key, flow))
    group = m.Group.objects.first()
    if gone:
        raise ValidationError(
            _("Step “%(title)s” names what the map no longer has: %(gone)s. Change the step.")
            % {"title": step.title, "gone": ", ".join(gone)}
        )
    return zones, flows, group


def _flow(key: str) -> m.Flow | None:
    pair = plan.flow_key(key)
    if pair is None:
        return None
    return m.Flow.objects.filter(source__code=pair[0], target__code=pair[1]).first()


def _number(step: Step) -> int:
    return plan.number_of(step, plan.plan_steps())


def _what(step: Step) -> str:
    """What the step reopens, in the log's language."""
    parts = [log_text(gettext_noop("zone %(zone)s"), zone=code) for code in step.zones]
    for key in step.flows:
        if step.ports:
            parts.append(
                log_text(gettext_noop("flow %(flow)s on %(ports)s"), flow=key, ports=step.ports)
            )
        else:
            parts.append(log_text(gettext_noop("flow %(flow)s"), flow=key))
    if step.internet:
        parts.append(log_text(gettext_noop("the internet")))
    return ", ".join(parts)


def _applied_text(applied: dict) -> str:
    """What marking a step done changed, in the log's language."""
    parts = [log_text(gettext_noop("zone %(zone)s"), zone=c) for c in applied.get("zones", ())]
    parts += [log_text(gettext_noop("flow %(flow)s"), flow=k) for k in applied.get("flows", ())]
    for key, previous in (applied.get("filters") or {}).items():
        parts.append(
            log_text(
                gettext_noop("filter of %(flow)s (before: %(ports)s)"),
                flow=key,
                ports=previous or log_text(gettext_noop("all mapped ports")),
            )
        )
    if applied.get("internet"):
        parts.append(log_text(gettext_noop("the internet")))
    return ", ".join(parts) or log_text(gettext_noop("nothing (all of it was already open)"))


def _links(step: Step) -> list[str]:
    links = [f"reopening:{step.pk}"]
    links += [f"zone:{code}" for code in step.zones]
    links += [f"flow:{key}" for key in step.flows]
    return links


def _log(user, kind: str, text: str, links: list[str]) -> None:
    """The entry in the log of the crisis under way (none under way: nothing to log)."""
    crisis = log.active_crisis()
    if crisis is not None:
        log.append_entry(crisis.pk, user=user, kind=kind, text=text, links=links)
