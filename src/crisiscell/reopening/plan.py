"""Reading the reopening plan: its steps, where the group stands, what each step needs and
what care it gives back.

The plan is the steps of the crisis under way, with the steps written while no crisis was
under way; the steps of a closed crisis stay in the database, out of the plan. Nothing here
writes: `crisiscell.reopening.actions` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.db.models import Q
from django.utils.translation import gettext as _

from crisiscell.crisis.log import active_crisis
from crisiscell.engine.cuts import CareChange, Cut, apply_cut, care_changes, undo_cut
from crisiscell.engine.groupmap import GroupMap
from crisiscell.engine.impact import CompiledMap, Situation
from crisiscell.inventory import models as m
from crisiscell.web import labels

from .models import Step


def plan_filter() -> Q:
    """The steps of the plan: the crisis under way's, and those written outside any crisis."""
    crisis = active_crisis()
    drafted = Q(crisis__isnull=True)
    return drafted | Q(crisis=crisis) if crisis is not None else drafted


def plan_steps() -> list[Step]:
    return list(Step.objects.filter(plan_filter()).order_by("position", "id"))


def flow_key(text: str) -> tuple[str, str] | None:
    """``"ARL-WS->DC-SRV"`` (also with ``→`` or blanks) as a pair; None when unreadable."""
    for arrow in ("->", "→"):
        source, sep, target = text.partition(arrow)
        if sep and source.strip() and target.strip():
            return source.strip(), target.strip()
    return None


def reopened(step: Step) -> Cut:
    """What a step reopens, as the cut it lifts."""
    return Cut(
        isolate=frozenset(step.zones),
        block=frozenset(k for k in map(flow_key, step.flows) if k is not None),
        internet=step.internet,
    )


def applied_cut(step: Step) -> Cut:
    """What marking the step done actually reopened (nothing when it is not done)."""
    doc = step.applied or {}
    return Cut(
        isolate=frozenset(doc.get("zones", ())),
        block=frozenset(k for k in map(flow_key, doc.get("flows", ())) if k is not None),
        internet=bool(doc.get("internet", False)),
    )


# ---------------------------------------------------------------------------
# Where the group stands
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """The step the group is on: the first step not done, else the last one."""

    step: Step
    number: int  # 1-based, in the plan's order
    total: int


def progress(steps: Sequence[Step]) -> Progress | None:
    if not steps:
        return None
    for k, step in enumerate(steps, 1):
        if step.status != "done":
            return Progress(step, k, len(steps))
    return Progress(steps[-1], len(steps), len(steps))


def number_of(step: Step, steps: Sequence[Step]) -> int:
    return next((k for k, s in enumerate(steps, 1) if s.pk == step.pk), 0)


# ---------------------------------------------------------------------------
# Prerequisites
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Prerequisite:
    kind: str  # "host" or "check"
    label: str  # the host's code or the check's text
    met: bool
    detail: str  # the host's state, who ticked the check


def prerequisites(step: Step, host_states: dict[str, str] | None = None) -> list[Prerequisite]:
    """Each host that must be ``ok`` and each check that must be ticked, met or not.
    `host_states` (code -> state) saves the query when the caller read them already."""
    if host_states is None:
        host_states = host_states_of([step])
    out = []
    for code in step.hosts:
        state = host_states.get(code)
        if state is None:
            out.append(Prerequisite("host", code, False, _("no longer in the map")))
        else:
            out.append(
                Prerequisite("host", code, state == "ok", labels.label(labels.HOST_STATE, state))
            )
    for check in step.checks.all():
        who = check.done_by.get_username() if check.done_by else ""
        out.append(Prerequisite("check", check.text, check.done, who))
    return out


def host_states_of(steps: Iterable[Step]) -> dict[str, str]:
    codes = {code for step in steps for code in step.hosts}
    return dict(m.Host.objects.filter(code__in=codes).values_list("code", "state"))


def missing_text(missing: Iterable[Prerequisite]) -> str:
    """``host srv-ehr-01 is compromised; check “Backups verified” is not done``."""
    parts = []
    for p in missing:
        if p.kind == "host":
            parts.append(
                _("host %(host)s is %(state)s (it must be ok)")
                % {"host": p.label, "state": p.detail}
            )
        else:
            parts.append(_("check “%(check)s” is not done") % {"check": p.label})
    return "; ".join(parts)


# ---------------------------------------------------------------------------
# The care each step gives back
# ---------------------------------------------------------------------------


def _known(cut: Cut, gm: GroupMap) -> Cut:
    """`cut` without what the map no longer has (a zone removed by a re-import)."""
    zones = {z.id for z in gm.zones}
    flows = {f.key for f in gm.flows}
    return Cut(isolate=cut.isolate & zones, block=cut.block & flows, internet=cut.internet)


def _hosts_ok(s: Situation, hosts: Iterable[str]) -> Situation:
    wanted = set(hosts)
    if not wanted & s.host_states.keys():
        return s
    states = {h: state for h, state in s.host_states.items() if h not in wanted}
    return replace(s, host_states=states)


def care_by_step(
    steps: Sequence[Step], gm: GroupMap, cm: CompiledMap, now: Situation
) -> dict[int, list[CareChange]]:
    """For each step, the services whose status gets better with it.

    A step not done is projected on the situation now with the steps before it done, in
    the plan's order, and its prerequisite hosts back in service; a done step is compared
    with the situation its rollback would leave."""
    out: dict[int, list[CareChange]] = {}
    projected = now
    for step in steps:
        if step.status == "done":
            cut = _known(applied_cut(step), gm)
            before, after = apply_cut(now, cut), now
        else:
            # The step is done only once its hosts are ok: what it restores is counted
            # from there, so that a service waiting on both shows as the step's.
            cut = _known(reopened(step), gm)
            before = _hosts_ok(projected, step.hosts)
            after = undo_cut(before, cut)
            projected = after
        changes = care_changes(gm, cm, before, after) if not cut.empty else []
        out[step.pk] = [c for c in changes if not c.worse]
    return out
