"""A care service's new schedule under a plan, day by day, for printing: what the service
sees from the plan's first day — the appointments kept on their day and the ones moved in,
each with its time, patient, length, urgency and, for a moved one, where it came from.

The page is shown to a logged-in user only and never cached (`web.middleware`); it is
printed from the browser, so no file with patient names is made on the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import Q

from .models import Plan, PlanRow

MAX_DAYS = 31


@dataclass
class Day:
    day: date
    rows: list[dict] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return sum(r["duration"] for r in self.rows)


def days(plan: Plan, service: str, first: date, last: date, tz: tzinfo) -> list[Day]:
    """The service's schedule from ``first`` to ``last`` (inclusive, local days): every day
    holding an appointment, in time order."""
    start = datetime.combine(first, time.min, tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tz)
    in_range = Q(decision="moved", new_start__gte=start, new_start__lt=end) | Q(
        decision="kept", original_start__gte=start, original_start__lt=end
    )
    rows = (
        PlanRow.objects.filter(in_range, plan=plan, appointment__service=service)
        .select_related("appointment")
        .order_by("id")
    )
    by_day: dict[date, Day] = {}
    for r in rows.iterator(chunk_size=2000):
        a = r.appointment
        when = (r.new_start if r.decision == "moved" else r.original_start).astimezone(tz)
        by_day.setdefault(when.date(), Day(when.date())).rows.append(
            {
                "time": when,
                "duration": a.duration_min,
                "code": a.code,
                "patient_id": a.patient_id,
                "patient_name": a.patient_name,
                "kind": a.kind,
                "urgency": a.urgency,
                "surgeon": a.surgeon,
                "phone": a.phone,
                "moved_from": r.original_start.astimezone(tz) if r.decision == "moved" else None,
            }
        )
    out = [by_day[d] for d in sorted(by_day)]
    for d in out:
        d.rows.sort(key=lambda r: (r["time"], r["code"]))
    return out


def services(plan: Plan) -> list[str]:
    """The care services with an appointment in the plan."""
    return sorted(
        set(
            PlanRow.objects.filter(plan=plan)
            .exclude(decision="unplaced")
            .values_list("appointment__service", flat=True)
            .distinct()
        )
    )
