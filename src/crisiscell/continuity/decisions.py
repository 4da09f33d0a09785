"""The scheduler's own decisions, over the optimiser: keep an appointment on its day whatever
the capacity, postpone it, or pin it to a day. One decision per appointment (a new one
replaces the old); every plan computed afterwards applies them all, and says so.

Each change is checked first, written in one transaction and recorded in the crisis log.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.crisis.roles import APPOINTMENTS
from crisiscell.inventory.group_time import group_timezone

from .models import DECISION_KINDS, Appointment, SchedulerDecision

_LOG = {
    "keep": gettext_noop("Appointment %(code)s (%(service)s) kept on %(day)s by the scheduler"),
    "postpone": gettext_noop("Appointment %(code)s (%(service)s) postponed by the scheduler"),
    "pin": gettext_noop("Appointment %(code)s (%(service)s) pinned to %(day)s by the scheduler"),
}


def _today() -> date:
    return timezone.localdate(timezone=group_timezone())


def _check_user(user) -> None:
    if not (user and user.is_active and user.has_perm(APPOINTMENTS)):
        raise PermissionDenied(_("Your role does not allow managing appointments."))


def decide(
    user, code: str, kind: str, day: date | None = None, note: str = ""
) -> SchedulerDecision:
    """Record the scheduler's decision for the appointment ``code`` (replacing any earlier
    one). Raises ValidationError with every problem; nothing is written then."""
    _check_user(user)
    code = (code or "").strip()
    errors = []
    appointment = Appointment.objects.filter(code=code).first() if code else None
    if not code:
        errors.append(_("Give the appointment's id."))
    elif appointment is None:
        errors.append(_("There is no appointment %(code)s.") % {"code": code})
    if kind not in DECISION_KINDS:
        errors.append(_("Choose a decision: keep, postpone or pin to a day."))
    today = _today()
    if kind == "pin":
        if day is None:
            errors.append(_("Give the day the appointment is pinned to."))
        elif day < today:
            errors.append(_("The day %(day)s is already past.") % {"day": day.isoformat()})
    if appointment is not None and kind == "keep":
        start_day = timezone.localdate(appointment.start, timezone=group_timezone())
        if start_day < today:
            errors.append(
                _("Appointment %(code)s was on %(day)s: it is already past.")
                % {"code": code, "day": start_day.isoformat()}
            )
    if len(note) > 300:
        errors.append(_("The note is longer than 300 characters."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        decision, _created = SchedulerDecision.objects.update_or_create(
            appointment=appointment,
            defaults={
                "kind": kind,
                "day": day if kind == "pin" else None,
                "note": note.strip(),
                "by": user,
                "at": timezone.now(),
            },
        )
        shown = day if kind == "pin" else timezone.localdate(appointment.start, group_timezone())
        record_change(
            user,
            log_text(_LOG[kind], code=code, service=appointment.service, day=shown.isoformat()),
        )
    return decision


def withdraw(user, pk: int) -> None:
    """Remove a decision: the optimiser decides for that appointment again."""
    _check_user(user)
    with transaction.atomic():
        decision = (
            SchedulerDecision.objects.select_for_update()
            .select_related("appointment")
            .filter(pk=pk)
            .first()
        )
        if decision is None:
            raise ValidationError(_("This decision was already removed."))
        code = decision.appointment.code
        decision.delete()
        record_change(
            user,
            log_text(
                gettext_noop("Scheduler decision on appointment %(code)s withdrawn"), code=code
            ),
        )


def for_engine() -> tuple[set[str], set[str], dict[str, date]]:
    """Every decision, as `crisiscell.engine.reprogram.deprogram` takes them: the codes to
    keep, the codes to postpone, and the pins (code → day)."""
    keep: set[str] = set()
    postpone: set[str] = set()
    pins: dict[str, date] = {}
    rows = SchedulerDecision.objects.values_list("appointment__code", "kind", "day")
    for code, kind, day in rows:
        if kind == "keep":
            keep.add(code)
        elif kind == "postpone":
            postpone.add(code)
        else:
            pins[code] = day
    return keep, postpone, pins
