"""Computing a reprogramming plan from the database, with its progress shown.

`start_plan` checks the request and records a plan in status ``computing``; the work runs
in a background thread (the page polls its progress) or, for tests and the command line,
in the caller's. It reads the appointments from the crisis's first day to the end of the
horizon, builds each service's capacity (`crisiscell.engine.capacity`), computes the
optimised plan and, in the same run, the hand method (`greedy_edf`), checks the plan with
the independent checker, and stores its rows in one transaction: status ``ready`` (to be
reviewed and approved by a scheduler) or ``failed`` with the reason.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.crisis.log import active_crisis
from crisiscell.crisis.roles import APPOINTMENTS, APPROVE_PLAN
from crisiscell.engine import backlog, plan_check, reprogram
from crisiscell.engine.capacity import (
    Crisis,
    ExtraCapacity,
    build_capacity,
    surgeons_from_appointments,
)
from crisiscell.inventory.snapshot import load_map

from . import decisions, importer, notify
from .models import Appointment, Plan, PlanRow

log = logging.getLogger(__name__)
TIME_LIMIT = 50.0  # seconds for the optimiser's improvement phase
GAP_LIMIT = 0.005  # stop improving once the plan is proven within 0.5 % of the optimum


@dataclass(frozen=True)
class Request:
    today: date
    crisis_until: date
    down: tuple[str, ...] = ()
    degraded: tuple[str, ...] = ()
    horizon_weeks: int = 8
    notice_days: int = 2
    extra_share: float = 0.0
    extra_weeks: int = 0


def check_request(req: Request, service_ids: Iterable[str]) -> list[str]:
    """Every problem with the request, in words (empty: it can be computed)."""
    known = set(service_ids)
    errors = []
    if req.crisis_until < req.today:
        errors.append(_("The crisis cannot end before it starts."))
    if not 1 <= req.horizon_weeks <= 26:
        errors.append(_("The horizon is 1 to 26 weeks."))
    if not 0 <= req.notice_days <= 30:
        errors.append(_("The notice is 0 to 30 days."))
    if not 0 <= req.extra_share <= 1 or not 0 <= req.extra_weeks <= 26:
        # xgettext:no-python-format
        errors.append(_("Extra capacity: a share of 0 to 100 % for 0 to 26 weeks."))
    unknown = sorted((set(req.down) | set(req.degraded)) - known)
    if unknown:
        errors.append(_("Unknown care service(s): %(ids)s.") % {"ids": ", ".join(unknown)})
    both = sorted(set(req.down) & set(req.degraded))
    if both:
        errors.append(
            _("A service cannot be both down and degraded: %(ids)s.") % {"ids": ", ".join(both)}
        )
    return errors


def start_plan(user, req: Request, *, background: bool = True) -> Plan:
    if not (user and user.is_active and user.has_perm(APPOINTMENTS)):
        raise PermissionDenied(_("Your role does not allow computing a reprogramming plan."))
    gm = load_map()
    errors = check_request(req, (s.id for s in gm.services))
    if errors:
        raise ValidationError(errors)
    plan = Plan.objects.create(
        crisis=active_crisis(),
        today=req.today,
        crisis_until=req.crisis_until,
        down=sorted(req.down),
        degraded=sorted(req.degraded),
        horizon_weeks=req.horizon_weeks,
        notice_days=req.notice_days,
        extra_share=req.extra_share,
        extra_weeks=req.extra_weeks,
        created_by=user,
        created_at=timezone.now(),
        message=_("Waiting to start"),
    )
    if background:
        threading.Thread(target=_run_in_thread, args=(plan.pk,), daemon=True).start()
    else:
        compute(plan.pk)
    return plan


def _run_in_thread(plan_id: int) -> None:
    close_old_connections()
    try:
        compute(plan_id)
    finally:
        close_old_connections()


def _progress(plan_id: int, percent: int, message: str) -> None:
    Plan.objects.filter(pk=plan_id).update(progress=percent, message=message[:500])


def compute(plan_id: int) -> None:
    """Compute the plan; any failure leaves it ``failed`` with the reason, never half-stored."""
    try:
        _compute(plan_id)
    except Exception as exc:  # the plan must say it failed, whatever went wrong
        log.exception("reprogramming plan %s failed", plan_id)
        Plan.objects.filter(pk=plan_id).update(
            status="failed", progress=100, message=f"{type(exc).__name__}: {exc}"[:500]
        )


def _compute(plan_id: int) -> None:
    plan = Plan.objects.get(pk=plan_id)
    gm = load_map()
    tz = ZoneInfo(gm.group.timezone)
    last_day = plan.today + timedelta(weeks=plan.horizon_weeks)
    _progress(plan_id, 5, _("Reading the appointments"))
    start = datetime.combine(plan.today, time.min, tz)
    rows = list(Appointment.objects.filter(start__gte=start).order_by("start", "code"))
    by_code = {a.code: a for a in rows}
    items = [i for i in importer.to_engine(rows) if not i.depends_on or i.depends_on in by_code]
    _progress(plan_id, 15, _("Working out each service's capacity"))
    extra = [ExtraCapacity(plan.extra_share, plan.extra_weeks)] if plan.extra_share else []
    capacity = build_capacity(
        gm,
        plan.today,
        last_day,
        crisis=Crisis(
            plan.today, plan.crisis_until, frozenset(plan.down), frozenset(plan.degraded)
        ),
        extra=extra,
        surgeons=surgeons_from_appointments(items, gm.group.timezone),
    )
    keep, postpone, pins = _scheduler_decisions({i.id for i in items})
    # the same deprogramming for the optimiser and for the hand method beside it
    dep = reprogram.deprogram(
        items, capacity, today=plan.today, keep=keep, postpone=postpone, pins=pins
    )
    _progress(plan_id, 25, _("Optimising (a few seconds to a minute)"))
    best = reprogram.reprogram(
        items,
        capacity,
        today=plan.today,
        notice_days=plan.notice_days,
        deprogramming=dep,
        time_limit=TIME_LIMIT,
        gap_limit=GAP_LIMIT,
    )
    _progress(plan_id, 80, _("Computing the hand method, for comparison"))
    greedy = reprogram.greedy_edf(
        items, capacity, today=plan.today, notice_days=plan.notice_days, deprogramming=dep
    )
    _progress(plan_id, 88, _("Checking the plan"))
    violations = plan_check.check_plan(
        items,
        best.rows,
        capacity,
        today=plan.today,
        notice_days=plan.notice_days,
        exempt=dep.forced,
    )
    if violations:
        raise RuntimeError(f"the plan breaks a rule: {violations[0]}")
    _progress(plan_id, 92, _("Saving the plan"))
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan_id)
        PlanRow.objects.bulk_create(
            [
                PlanRow(
                    plan=plan,
                    appointment=by_code[r.appointment_id],
                    decision=r.decision,
                    original_start=r.original_start,
                    new_start=r.new_start,
                    delay_days=r.delay_days,
                    notified_by=r.notified_by,
                    reason=r.reason[:300],
                )
                for r in best.rows
            ],
            batch_size=2000,
        )
        plan.objective = best.objective
        plan.bound = best.bound
        plan.greedy_objective = greedy.objective
        plan.stats = {
            "counts": best.counts(),
            "greedy_counts": greedy.counts(),
            "stats": best.stats,
            "greedy_stats": greedy.stats,
            "seconds": round(best.timings.get("total", 0.0), 2),
            "greedy_seconds": round(greedy.timings.get("total", 0.0), 2),
            "burndown": _burndown(best, plan, tz),
            "greedy_burndown": _burndown(greedy, plan, tz),
            "decisions": {"keep": len(keep), "postpone": len(postpone), "pin": len(pins)},
        }
        plan.status = "ready"
        plan.progress = 100
        plan.message = ""
        plan.save()


def _scheduler_decisions(codes: set[str]) -> tuple[set[str], set[str], dict[str, date]]:
    """The scheduler's decisions on the appointments the plan covers."""
    keep, postpone, pins = decisions.for_engine()
    return keep & codes, postpone & codes, {c: d for c, d in pins.items() if c in codes}


def _burndown(result: reprogram.Plan, plan: Plan, tz) -> list[list]:
    """[[week end (ISO), appointments still waiting], ...] over the horizon."""
    postponed = [(r.decision, r.new_start) for r in result.rows if r.decision != "kept"]
    weeks = backlog.burndown(postponed, plan.today, plan.horizon_weeks, tz)
    return [[w.end.isoformat(), w.waiting] for w in weeks]


def approve(user, plan_id: int, expected_status: str) -> Plan:
    """The scheduler's approval: this plan becomes the one the services follow (an earlier
    approved plan is superseded) and its patients can be told."""
    if not (user and user.is_active and user.has_perm(APPROVE_PLAN)):
        raise PermissionDenied(_("Your role does not allow approving a reprogramming plan."))
    with transaction.atomic():
        plan = Plan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise ValidationError(_("There is no plan #%(id)s.") % {"id": plan_id})
        if plan.status != expected_status or plan.status != "ready":
            raise ValidationError(
                _(
                    "Plan #%(id)s is %(status)s: only a plan to review is approved; nothing was "
                    "changed."
                )
                % {"id": plan.pk, "status": plan.status_label}
            )
        Plan.objects.filter(status="approved").update(status="superseded")
        plan.status = "approved"
        plan.approved_by = user
        plan.approved_at = timezone.now()
        plan.save(update_fields=["status", "approved_by", "approved_at"])
        notify.queue_notifications(plan)  # one message per moved appointment, not yet sent
        counts = plan.stats.get("counts", {})
        record_change(
            user,
            log_text(
                gettext_noop(
                    "Reprogramming plan #%(id)s approved: %(moved)s appointments moved, "
                    "%(kept)s kept, %(unplaced)s unplaced"
                ),
                id=plan.pk,
                moved=counts.get("moved", 0),
                kept=counts.get("kept", 0),
                unplaced=counts.get("unplaced", 0),
            ),
        )
    return plan
