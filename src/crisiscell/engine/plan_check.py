"""An independent check of a reprogramming plan (FORMATS.md §3), written apart from the
optimiser so that a fault in one is not hidden by the same fault in the other.

`check_plan` returns every violation found (an empty list: the plan is valid):

* ``ids``: every input appointment exactly once, no unknown id;
* ``fields``: the patient, service and original start are the input's;
* ``decision``: ``kept``, ``moved`` or ``unplaced``, with the fields each implies (a kept
  appointment has its original start and delay 0; an unplaced one no start nor delay, and
  a reason; a moved or unplaced patient is notified by ``sms``, ``email``, ``phone`` or
  ``letter``);
* ``delay``: ``delay_days`` is the number of days from the original day to the new one;
* ``day``: a moved appointment is on a later day than its original one, on a day its
  service has capacity (a working day of the horizon, the service not down), and ends
  before midnight;
* ``notice``: a moved appointment is at least ``notice_days`` days after ``today``;
* ``capacity``: the minutes of a service-day that receives moved appointments (those
  kept there and the bookings outside the plan counted) are within its capacity; on a
  crisis day of a down or degraded service, what is kept is within capacity too, but for
  an urgency-1 appointment kept while some capacity remained (it may overflow the day by
  less than its own length);
* ``order``: an appointment that depends on another starts after that one ends, and is
  unplaced when that one is (checked unless both are kept, or it is past);
* ``surgeon``: a surgery is moved only to a day its surgeon operates at that service,
  within the surgeon's theatre minutes when they are known;
* ``overlap``: where moved appointments are, a service runs no more appointments at once
  than its rooms (``ceil(capacity / 600)``, or more when what was kept already overlapped
  more), and a surgeon operates once at a time.

Appointments in ``exempt`` (decided by the scheduler: pinned or forced) are not held to
the day, notice and capacity rules. `plan_cost` recomputes a plan's objective from its rows.

No Django here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .appointments import Appointment
from .capacity import Capacity
from .reprogram import LATE_FACTOR, UNPLACED_DAYS, WEIGHTS

CHANNELS = ("sms", "email", "phone", "letter")
ROOM_MINUTES = 600


@dataclass(frozen=True)
class Violation:
    kind: str
    appointment_id: str
    message: str

    def __str__(self) -> str:
        who = f"{self.appointment_id}: " if self.appointment_id else ""
        return f"{self.kind}: {who}{self.message}"


@dataclass
class _Row:
    appointment_id: str
    patient_id: str
    service: str
    decision: str
    original_start: datetime | None
    new_start: datetime | None
    delay_days: int | None
    notified_by: str
    reason: str


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).strip()
    return datetime.fromisoformat(text) if text else None


def _parse_int(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text else None


def _row(r: Any) -> _Row:
    """A plan row from a `PlanRow`, or from a mapping of strings (a CSV record)."""
    get = r.get if isinstance(r, Mapping) else lambda k: getattr(r, k)
    return _Row(
        appointment_id=str(get("appointment_id")),
        patient_id=str(get("patient_id") or ""),
        service=str(get("service") or ""),
        decision=str(get("decision") or ""),
        original_start=_parse_time(get("original_start")),
        new_start=_parse_time(get("new_start")),
        delay_days=_parse_int(get("delay_days")),
        notified_by=str(get("notified_by") or ""),
        reason=str(get("reason") or ""),
    )


def check_plan(
    appointments: Iterable[Appointment],
    rows: Iterable[Any],
    capacity: Capacity,
    *,
    today: date,
    notice_days: int = 2,
    exempt: Collection[str] = (),
) -> list[Violation]:
    """Every violation of the plan's rules (module doc); empty when the plan is valid."""
    tz = capacity.timezone
    appointments = list(appointments)
    by_id = {a.id: a for a in appointments}
    rows = [_row(r) for r in rows]
    out: list[Violation] = []

    def bad(kind: str, who: str, message: str) -> None:
        out.append(Violation(kind, who, message))

    # ids
    plan: dict[str, _Row] = {}
    for r in rows:
        if r.appointment_id not in by_id:
            bad("ids", r.appointment_id, "not an appointment of the input")
        elif r.appointment_id in plan:
            bad("ids", r.appointment_id, "appears more than once")
        else:
            plan[r.appointment_id] = r
    for a in appointments:
        if a.id not in plan:
            bad("ids", a.id, "missing from the plan")

    def day_of(moment: datetime) -> date:
        return moment.astimezone(tz).date()

    def minute_of(moment: datetime) -> int:
        local = moment.astimezone(tz)
        return local.hour * 60 + local.minute

    notice_day = today + timedelta(days=notice_days)
    final: dict[str, datetime] = {}  # the start of every appointment that takes place
    for x, r in plan.items():
        a = by_id[x]
        if r.patient_id != a.patient_id or r.service != a.service:
            bad("fields", x, "patient or service differs from the input")
        if r.original_start is None or r.original_start != a.start:
            bad("fields", x, f"original start {r.original_start} is not {a.start.isoformat()}")
        if r.decision not in ("kept", "moved", "unplaced"):
            bad("decision", x, f"unknown decision {r.decision!r}")
            continue
        if r.decision == "kept":
            if r.new_start is not None and r.new_start != a.start:
                bad("decision", x, "kept, but its start changed")
            if r.delay_days not in (0, None):
                bad("delay", x, f"kept with a delay of {r.delay_days} days")
            final[x] = a.start
            continue
        if r.notified_by not in CHANNELS:
            bad("decision", x, f"notified by {r.notified_by!r}")
        if r.decision == "unplaced":
            if r.new_start is not None or r.delay_days is not None:
                bad("decision", x, "unplaced, but has a new start or a delay")
            if not r.reason:
                bad("decision", x, "unplaced without a reason")
            continue
        if r.new_start is None:
            bad("decision", x, "moved without a new start")
            continue
        final[x] = r.new_start
        new_day, old_day = day_of(r.new_start), day_of(a.start)
        if r.delay_days != (new_day - old_day).days:
            bad("delay", x, f"delay_days {r.delay_days}, but {(new_day - old_day).days} days")
        if minute_of(r.new_start) + a.duration_min > 24 * 60:
            bad("day", x, "runs past midnight")
        if x in exempt:
            continue
        if new_day <= old_day:
            bad("day", x, f"moved to {new_day}, not after its original day {old_day}")
        if new_day < notice_day:
            bad("notice", x, f"moved to {new_day}, less than {notice_days} days' notice")
        if not capacity.gm.has("services", a.service) or capacity.minutes(a.service, new_day) <= 0:
            bad("day", x, f"moved to {new_day}, when {a.service} has no capacity")
        elif a.surgeon and not capacity.surgeon_operates(a.surgeon, a.service, new_day):
            bad("surgeon", x, f"{a.surgeon} does not operate at {a.service} on {new_day}")

    # capacity and overlaps, per service-day
    on_day: dict[tuple[str, date], list[str]] = defaultdict(list)
    for x, start in final.items():
        on_day[(by_id[x].service, day_of(start))].append(x)
    moved = {x for x, r in plan.items() if r.decision == "moved"}
    crisis = capacity.crisis
    for (service, d), ids in on_day.items():
        if not capacity.gm.has("services", service):
            continue
        incoming = [x for x in ids if x in moved and x not in exempt]
        hit = (
            crisis is not None
            and crisis.covers(d)
            and d >= today
            and (service in crisis.down or service in crisis.degraded)
        )
        if not incoming and not hit:
            continue
        cap = capacity.minutes(service, d)
        total = capacity.booked(service, d) + sum(by_id[x].duration_min for x in ids)
        if total > cap:
            if incoming:
                bad(
                    "capacity",
                    incoming[0],
                    f"{service} on {d}: {total} minutes for a capacity of {cap}",
                )
            else:
                free_of_exempt = total - sum(by_id[x].duration_min for x in ids if x in exempt)
                urgent = [by_id[x].duration_min for x in ids if by_id[x].urgency == 1]
                if free_of_exempt > cap and not (urgent and total - cap < max(urgent)):
                    bad(
                        "capacity",
                        ids[0],
                        f"{service} on {d}: {total} minutes kept for a capacity of {cap}",
                    )
        if incoming:
            kept_here = [x for x in ids if x not in moved]
            intervals = [
                (minute_of(final[x]), minute_of(final[x]) + by_id[x].duration_min, x in moved)
                for x in ids
            ]
            peak_kept = _peak([(s, e) for s, e, m in intervals if not m])
            limit = max(1, math.ceil(cap / ROOM_MINUTES), peak_kept)
            if _peak_with_moved(intervals) > limit:
                bad(
                    "overlap",
                    incoming[0],
                    f"{service} on {d}: more than {limit} appointments at once "
                    f"({len(kept_here)} kept, {len(ids) - len(kept_here)} moved in)",
                )

    # surgeons
    by_surgeon: dict[tuple[str, date], list[str]] = defaultdict(list)
    for x, start in final.items():
        if by_id[x].surgeon:
            by_surgeon[(by_id[x].surgeon, day_of(start))].append(x)
    for (surgeon, d), ids in by_surgeon.items():
        incoming = [x for x in ids if x in moved]
        if not incoming:
            continue
        minutes = capacity.surgeon_minutes(surgeon, d)
        total = capacity.surgeon_booked(surgeon, d) + sum(by_id[x].duration_min for x in ids)
        if minutes is not None and total > minutes and any(x not in exempt for x in incoming):
            bad("surgeon", incoming[0], f"{surgeon} on {d}: {total} minutes of {minutes}")
        intervals = [
            (minute_of(final[x]), minute_of(final[x]) + by_id[x].duration_min, x in moved)
            for x in ids
        ]
        if _peak_with_moved(intervals) > 1:
            bad("overlap", incoming[0], f"{surgeon} operates twice at once on {d}")

    # order
    for b, rb in plan.items():
        a_id = by_id[b].depends_on
        if not a_id or a_id not in plan or a_id == b:
            continue
        ra = plan[a_id]
        if day_of(by_id[b].start) < today or (ra.decision == "kept" and rb.decision == "kept"):
            continue
        if rb.decision == "unplaced" or rb.decision not in ("kept", "moved"):
            continue
        if ra.decision == "unplaced":
            bad("order", b, f"takes place, but {a_id}, which must come first, is unplaced")
        elif a_id in final and b in final:
            a_end = final[a_id] + timedelta(minutes=by_id[a_id].duration_min)
            if final[b] < a_end:
                bad("order", b, f"starts {final[b].isoformat()}, before {a_id} ends")
    return out


def _peak(intervals: list[tuple[int, int]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    peak = now = 0
    for _, step in events:
        now += step
        peak = max(peak, now)
    return peak


def _peak_with_moved(intervals: list[tuple[int, int, bool]]) -> int:
    """The most appointments at once at a moment when a moved one runs."""
    events = sorted(
        [(s, 1, moved) for s, _, moved in intervals]
        + [(e, -1, moved) for _, e, moved in intervals],
        key=lambda ev: (ev[0], ev[1]),
    )
    peak = now = moved_now = 0
    for _, step, moved in events:
        now += step
        moved_now += step if moved else 0
        if moved_now > 0:
            peak = max(peak, now)
    return peak


def plan_cost(appointments: Iterable[Appointment], rows: Iterable[Any], capacity: Capacity) -> int:
    """The plan's objective recomputed from its rows: per moved appointment ``w × delay +
    LATE_FACTOR × w × days beyond its limit``, per unplaced one the cost of the day after
    the horizon plus ``UNPLACED_DAYS`` days (`reprogram`'s module doc)."""
    tz = capacity.timezone
    by_id = {a.id: a for a in appointments}
    total = 0
    for r in map(_row, rows):
        a = by_id[r.appointment_id]
        old = a.start.astimezone(tz).date()
        w = WEIGHTS[a.urgency]
        if r.decision == "moved":
            delay = (r.new_start.astimezone(tz).date() - old).days
        elif r.decision == "unplaced":
            delay = max(1, (capacity.last_day - old).days + 1)
            total += w * UNPLACED_DAYS
        else:
            continue
        total += w * delay + LATE_FACTOR * w * max(0, delay - a.max_delay)
    return total
