"""Deprogramming and reprogramming: what a crisis keeps, and where the rest goes.

**Deprogramming** (`deprogram`). On the crisis days (from ``today`` to the crisis's last
day), the appointments of a down or degraded service are kept while they fit its capacity
that day, most urgent first (then the shortest clinical limit, then the earliest start);
an urgency-1 appointment is kept whenever any capacity remains, even if it runs past the
day's last minute (it may overflow by less than its own length). The rest is postponed.
The scheduler can force a keep, force a postponement, or pin an appointment to a day.
Appointments of services the crisis does not hit, in the past, or after the crisis stay.

**Reprogramming** (`reprogram`). Every postponed appointment goes to a working day of its
own service with free capacity (in minutes), strictly after its original day and at least
``notice_days`` calendar days after ``today``; a surgery only on a day its surgeon operates
there, within the surgeon's theatre minutes when they are known. ``depends_on`` is a strict
order of days: an appointment is placed on a later day than the one it depends on (a
pre-operative consultation the day before the surgery at the latest). An appointment that
depends on a postponed one and was to stay later (a surgery after its postponed pre-op) is
moved too when it must be; its old slot is not reused in the same run. An appointment that
depends on an unplaced one is unplaced with it.

The objective, in urgency-weighted days, is the sum over moved appointments of
``w × delay + 100 × w × (days beyond max_delay)`` with ``w`` = 8, 4, 2, 1 for urgency 1 to
4; an unplaced appointment costs as if placed the day after the horizon, plus 1,000 days
(`move_cost`, `unplaced_cost`). Kept appointments cost nothing.

**Method.** Appointments of one service with the same urgency, duration, clinical limit,
original day, surgeon and window are interchangeable: they form a *class*, and the problem
is an integer program over (class, day) counts with one capacity row per service-day (and
per surgeon-day with known theatre minutes), in minutes. Days that no optimal plan can use
are left out (an exchange argument: a class never goes past the first day by which the
earlier days' room must hold one more of it, whatever the others take), and each row's
capacity is rounded down to a multiple of its durations' gcd. Appointments linked by
``depends_on`` are modelled one by one, their order in time-indexed form. Services linked
by such pairs (or by a surgeon with known minutes at two theatres) form a component;
components are independent. Phase 1 solves each component's LP relaxation with HiGHS
(a proven lower bound) and rounds it day by day into a plan, or takes the hand method's
plan where that costs less (so the result is never worse than it). Phase 2 hands that plan to
HiGHS' branch and bound as a starting point, ``workers`` components at a time: each first
with a share of the time in proportion to its size, then what time is left to those still
above the gap, largest first; all stop once the whole gap is at most ``gap_limit``. A
component too large to be solved whole goes block by block, its linked appointments held
where they are. HiGHS runs with a fixed seed, but its time limits make runs differ. The
reported ``bound`` is a lower bound on the optimum of the whole problem (the sum of the
components' best bounds) and ``gap`` is ``(objective - bound) / objective``. The objective
is recomputed from the plan's rows.

**Times.** A moved appointment keeps its original time of day when it fits, else the
earliest free time from 08:00. A service-day is seen as ``ceil(capacity / 600)`` parallel
rooms of 08:00-18:00 (at least one; more when the appointments kept that day overlap more):
no two appointments share a room at once, a surgeon never operates twice at once, and the
day may run late in a room when its morning is full; never past midnight. Minutes booked
outside the input (`Capacity.booked`) have no times: the times proposed cannot avoid them,
and are a first proposal for the scheduler, who calls the patient.

`greedy_edf` is what a scheduler does by hand, for comparison: the same deprogramming, then
each postponed appointment in order of its deadline (original day + clinical limit) goes
to the earliest day with room.

No Django here.
"""

from __future__ import annotations

import bisect
import heapq
import math
import os
import re
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import highspy
import numpy as np
from scipy.sparse import coo_matrix

from .appointments import Appointment
from .capacity import Capacity

WEIGHTS = {1: 8, 2: 4, 3: 2, 4: 1}  # per day of delay, by urgency
LATE_FACTOR = 100  # each day beyond the clinical limit costs 100 times more
UNPLACED_DAYS = 1000  # an unplaced appointment: the day after the horizon, plus this many
DEFAULT_NOTICE_DAYS = 2
OPENING_MINUTE = 8 * 60
DAY_LENGTH_MINUTES = 600  # one room's day, 08:00-18:00
DECISIONS = ("kept", "moved", "unplaced")
PLAN_COLUMNS = (
    "appointment_id",
    "patient_id",
    "service",
    "decision",
    "original_start",
    "new_start",
    "delay_days",
    "notified_by",
    "reason",
)
#: Mobile numbers (Belgium, France, Luxembourg, the Netherlands, Germany), international
#: or national: they receive text messages.
_MOBILE = re.compile(
    r"(?:(?:\+|00)(?:324[5-9]\d{7}|33[67]\d{8}|3526\d{8}|316\d{8}|491[5-7]\d{7,9})"
    r"|04[5-9]\d{7}|0[67]\d{8})"
)


def move_cost(urgency: int, max_delay: int, delay: int) -> int:
    """The cost of moving an appointment ``delay`` days later."""
    w = WEIGHTS[urgency]
    return w * delay + LATE_FACTOR * w * max(0, delay - max_delay)


def unplaced_cost(urgency: int, max_delay: int, original_day: date, last_day: date) -> int:
    """The cost of leaving an appointment unplaced: as if moved to the day after
    ``last_day`` (the horizon's), plus `UNPLACED_DAYS` days of its weight."""
    delay = max(1, (last_day - original_day).days + 1)
    return move_cost(urgency, max_delay, delay) + WEIGHTS[urgency] * UNPLACED_DAYS


def notification_channel(a: Appointment) -> str:
    """How to tell the patient: ``sms`` (a mobile number), ``email``, ``phone`` (a fixed
    line: the printed call list) or ``letter``."""
    phone = re.sub(r"[\s./()-]", "", a.phone)
    if _MOBILE.fullmatch(phone):
        return "sms"
    if a.email:
        return "email"
    if phone:
        return "phone"
    return "letter"


# ---------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    """One appointment's line of a plan (FORMATS.md §3)."""

    appointment_id: str
    patient_id: str
    service: str
    decision: str  # kept | moved | unplaced
    original_start: datetime
    new_start: datetime | None
    delay_days: int | None
    notified_by: str
    reason: str

    def to_record(self) -> dict[str, str]:
        return {
            "appointment_id": self.appointment_id,
            "patient_id": self.patient_id,
            "service": self.service,
            "decision": self.decision,
            "original_start": self.original_start.isoformat(),
            "new_start": self.new_start.isoformat() if self.new_start else "",
            "delay_days": "" if self.delay_days is None else str(self.delay_days),
            "notified_by": self.notified_by,
            "reason": self.reason,
        }


@dataclass
class Plan:
    """A reprogramming plan: every input appointment once, with the plan's cost, a proven
    lower bound on the optimum cost, and timings in seconds."""

    rows: list[PlanRow]
    objective: int
    bound: float
    method: str  # "optimiser" or "greedy_edf"
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / self.objective)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(DECISIONS, 0)
        for r in self.rows:
            out[r.decision] += 1
        return out

    def records(self) -> list[dict[str, str]]:
        return [r.to_record() for r in self.rows]

    def write_csv(self, path) -> None:
        import csv

        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=PLAN_COLUMNS)
            writer.writeheader()
            writer.writerows(self.records())

    def to_json(self) -> dict:
        """The plan as JSON: the CSV's fields (delay a number, no start a null), and its
        figures."""
        rows = []
        for r in self.rows:
            record: dict = r.to_record()
            record["new_start"] = record["new_start"] or None
            record["delay_days"] = r.delay_days
            rows.append(record)
        return {
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "method": self.method,
            "counts": self.counts(),
            "rows": rows,
        }


# ---------------------------------------------------------------------------
# Deprogramming
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Deprogramming:
    """Which appointments stay where they are (with why), which are postponed (with why),
    and which the scheduler pinned to a day."""

    kept: dict[str, str]
    postponed: dict[str, str]
    pinned: dict[str, date] = field(default_factory=dict)
    forced: frozenset[str] = frozenset()  # kept or pinned by the scheduler


def _day(a: Appointment, tz: ZoneInfo) -> date:
    return a.start.astimezone(tz).date()


def deprogram(
    appointments: Iterable[Appointment],
    capacity: Capacity,
    *,
    today: date,
    keep: Collection[str] = (),
    postpone: Collection[str] = (),
    pins: Mapping[str, date] | None = None,
) -> Deprogramming:
    """Decide, for the crisis days, what is kept and what is postponed (module doc)."""
    tz = capacity.timezone
    gm = capacity.gm
    crisis = capacity.crisis
    pins = dict(pins or {})
    keep, postpone = set(keep), set(postpone)
    kept: dict[str, str] = {}
    postponed: dict[str, str] = {}
    candidates: dict[tuple[str, date], list[Appointment]] = defaultdict(list)
    used: dict[tuple[str, date], int] = defaultdict(int)
    appointments = list(appointments)
    for a in appointments:
        if a.id in pins:
            used[(a.service, pins[a.id])] += a.duration_min
    for a in appointments:
        d = _day(a, tz)
        if a.id in pins:
            continue
        if d < today:
            kept[a.id] = "in the past"
        elif a.id in keep:
            kept[a.id] = "kept by the scheduler"
            used[(a.service, d)] += a.duration_min
        elif a.id in postpone:
            postponed[a.id] = "postponed by the scheduler"
        elif not gm.has("services", a.service):
            postponed[a.id] = f"unknown service {a.service!r}"
        elif (
            crisis is not None
            and crisis.covers(d)
            and (a.service in crisis.down or a.service in crisis.degraded)
        ):
            candidates[(a.service, d)].append(a)
        else:
            kept[a.id] = "not affected by the crisis"
    for (service, d), group in candidates.items():
        remaining = capacity.free(service, d) - used[(service, d)]
        state = capacity.state(service, d)
        group.sort(key=lambda a: (a.urgency, a.max_delay, a.start, a.id))
        for a in group:
            if a.urgency == 1 and remaining > 0:
                kept[a.id] = "urgency 1: kept while the service has capacity"
                remaining -= a.duration_min
            elif a.duration_min <= remaining:
                kept[a.id] = f"fits the {state} service's capacity that day"
                remaining -= a.duration_min
            elif state == "down":
                postponed[a.id] = "service down"
            elif state == "degraded":
                share = gm.service(service).degraded_capacity
                postponed[a.id] = f"service degraded ({share:.0%} of its capacity)"
            else:
                postponed[a.id] = "no capacity left that day"
    return Deprogramming(kept, postponed, pins, frozenset(keep) | frozenset(pins))


# ---------------------------------------------------------------------------
# The problem: what is fixed, what moves, where it may go
# ---------------------------------------------------------------------------


@dataclass
class _Item:
    """A class of interchangeable movable appointments (or one linked appointment)."""

    ids: list[str]
    service: str
    surgeon: str
    urgency: int
    max_delay: int
    duration: int
    original_day: date
    days: list[date]  # allowed days, increasing
    costs: list[int]
    unplaced_cost: int
    stay: date | None = None  # a dependent that may stay where it was (cost 0 there)
    singleton: bool = False
    rank: int = 0  # depth in the depends_on order (singletons)

    @property
    def n(self) -> int:
        return len(self.ids)


@dataclass
class _Problem:
    capacity: Capacity
    today: date
    notice_days: int
    by_id: dict[str, Appointment]
    day: dict[str, date]
    dep: Deprogramming
    fixed: dict[str, tuple[str, date, str]]  # id -> (decision, day, reason)
    unplaced: dict[str, str]  # decided before any solving: id -> reason
    movable: dict[str, str]  # id -> reason for moving
    earliest: dict[str, date]
    latest: dict[str, date]
    stay: dict[str, date]  # dependents that may stay on their day
    links: list[tuple[str, str]]  # (prerequisite, dependent), both movable
    service_room: dict[tuple[str, date], int]  # free minutes for movable appointments
    surgeon_room: dict[tuple[str, date], int]  # for surgeons with known minutes
    items: list[_Item] = field(default_factory=list)
    item_of: dict[str, int] = field(default_factory=dict)

    @property
    def last_day(self) -> date:
        return self.capacity.last_day

    def room(self, service: str, day: date) -> int:
        key = (service, day)
        if key not in self.service_room:
            self.service_room[key] = self.capacity.free(service, day)
        return self.service_room[key]

    def surgeon_cap(self, surgeon: str, day: date) -> int | None:
        if not surgeon or self.capacity.surgeon_minutes(surgeon, day) is None:
            return None
        key = (surgeon, day)
        if key not in self.surgeon_room:
            self.surgeon_room[key] = (self.capacity.surgeon_minutes(surgeon, day) or 0) - (
                self.capacity.surgeon_booked(surgeon, day)
            )
        return self.surgeon_room[key]


def _prepare(
    appointments: list[Appointment],
    capacity: Capacity,
    today: date,
    notice_days: int,
    dep: Deprogramming,
) -> _Problem:
    tz = capacity.timezone
    gm = capacity.gm
    by_id = {a.id: a for a in appointments}
    day = {a.id: _day(a, tz) for a in appointments}
    fixed: dict[str, tuple[str, date, str]] = {}
    unplaced: dict[str, str] = {}
    movable: dict[str, str] = {}
    for a in appointments:
        if a.id in dep.pinned:
            pin = dep.pinned[a.id]
            decision = "kept" if pin == day[a.id] else "moved"
            fixed[a.id] = (decision, pin, "pinned by the scheduler")
        elif a.id in dep.kept:
            fixed[a.id] = ("kept", day[a.id], dep.kept[a.id])
        elif not gm.has("services", a.service):
            unplaced[a.id] = f"unknown service {a.service!r}"
        else:
            movable[a.id] = dep.postponed.get(a.id, "postponed")

    dependents: dict[str, list[str]] = defaultdict(list)
    for a in appointments:
        if a.depends_on and a.depends_on in by_id and a.depends_on != a.id:
            dependents[a.depends_on].append(a.id)

    # A kept appointment after a moving prerequisite may have to move too.
    stay: dict[str, date] = {}
    queue = list(movable) + list(unplaced)
    while queue:
        prerequisite = queue.pop()
        for b in dependents.get(prerequisite, ()):
            if (
                b in fixed
                and b not in dep.forced
                and fixed[b][0] == "kept"
                and day[b] >= today
                and b not in stay
            ):
                stay[b] = day[b]
                movable[b] = f"after {prerequisite}, which moves"
                queue.append(b)

    # Cycles among moving appointments cannot be ordered: unplaced.
    for cycle_id in _cycle_members([b for b in movable if by_id[b].depends_on in movable], by_id):
        unplaced[cycle_id] = "depends_on cycle"
        movable.pop(cycle_id, None)
        stay.pop(cycle_id, None)

    earliest: dict[str, date] = {}
    latest: dict[str, date] = {}
    links: list[tuple[str, str]] = []
    notice_day = today + timedelta(days=notice_days)
    for b in movable:
        earliest[b] = max(day[b] + timedelta(days=1), notice_day)
        latest[b] = capacity.last_day
    for b in list(_topological(movable, by_id)):
        a = by_id[b].depends_on
        if not a or a not in by_id or a == b:
            continue
        if a in unplaced:
            unplaced[b] = f"depends on {a}, unplaced"
        elif a in movable:
            links.append((a, b))
        elif a in fixed:
            a_day = fixed[a][1]
            if a_day >= today:
                earliest[b] = max(earliest[b], a_day + timedelta(days=1))
    for b in [b for b in movable if b in unplaced]:
        movable.pop(b)
        stay.pop(b, None)
    links = [(a, b) for a, b in links if a in movable and b in movable]
    # A fixed dependent on a later day bounds its moving prerequisite.
    for a in movable:
        for b in dependents.get(a, ()):
            if b in fixed and fixed[b][1] >= today and b not in movable:
                latest[a] = min(latest[a], fixed[b][1] - timedelta(days=1))

    service_room: dict[tuple[str, date], int] = {}
    surgeon_room: dict[tuple[str, date], int] = {}
    pb = _Problem(
        capacity,
        today,
        notice_days,
        by_id,
        day,
        dep,
        fixed,
        unplaced,
        movable,
        earliest,
        latest,
        stay,
        links,
        service_room,
        surgeon_room,
    )
    for a_id, (_, d, _) in fixed.items():
        a = by_id[a_id]
        if not capacity.first_day <= d <= capacity.last_day or not gm.has("services", a.service):
            continue
        pb.service_room[(a.service, d)] = pb.room(a.service, d) - a.duration_min
        cap = pb.surgeon_cap(a.surgeon, d)
        if cap is not None:
            pb.surgeon_room[(a.surgeon, d)] = cap - a.duration_min
    # What a stay keeps is already counted above (the dependent's old slot stays taken).
    _build_items(pb)
    return pb


def _cycle_members(ids: list[str], by_id: dict[str, Appointment]) -> set[str]:
    """Appointments on a depends_on cycle, among ``ids`` (each depends on one other)."""
    ids_set = set(ids)
    members: set[str] = set()
    state: dict[str, int] = {}
    for start in ids:
        path: list[str] = []
        node = start
        while node in ids_set and node not in state:
            state[node] = 1
            path.append(node)
            node = by_id[node].depends_on
        if node in ids_set and state.get(node) == 1:
            members.update(path[path.index(node) :])
        for p in path:
            state[p] = 2
    return members


def _depths(ids: Iterable[str], by_id: dict[str, Appointment]) -> dict[str, int]:
    """Depth of each of ``ids`` in the depends_on order restricted to ``ids`` (0: its
    prerequisite is not among them). Cycles must have been removed."""
    ids_set = set(ids)
    depth: dict[str, int] = {}
    for x in ids_set:
        chain: list[str] = []
        seen: set[str] = set()
        y = x
        while y in ids_set and y not in depth and y not in seen:
            chain.append(y)
            seen.add(y)
            y = by_id[y].depends_on
        base = depth[y] + 1 if y in depth else 0
        for z in reversed(chain):
            depth[z] = base
            base += 1
    return depth


def _topological(ids: Iterable[str], by_id: dict[str, Appointment]) -> list[str]:
    """``ids`` with every prerequisite before its dependents."""
    depth = _depths(ids, by_id)
    return sorted(depth, key=lambda x: (depth[x], x))


def _build_items(pb: _Problem) -> None:
    """Group the movable appointments into classes, prune days no optimum uses."""
    cap = pb.capacity
    linked = {x for pair in pb.links for x in pair}
    order = _topological(pb.movable, pb.by_id)
    rank = _depths(linked, pb.by_id)
    demand: dict[str, int] = defaultdict(int)
    for x in pb.movable:
        demand[pb.by_id[x].service] += pb.by_id[x].duration_min
    groups: dict[tuple, list[str]] = defaultdict(list)
    singles: list[str] = []
    for x in order:
        if x in linked or x in pb.stay:
            singles.append(x)
            continue
        a = pb.by_id[x]
        key = (
            a.service,
            a.surgeon,
            a.urgency,
            a.max_delay,
            a.duration_min,
            pb.day[x],
            pb.earliest[x],
            pb.latest[x],
        )
        groups[key].append(x)

    # Per service, its days with some room, in order: each item takes a slice of them.
    open_days: dict[str, tuple[list[date], list[int]]] = {}
    horizon = pb.capacity.days()
    for service in demand:
        days = [d for d in horizon if pb.room(service, d) > 0]
        open_days[service] = (days, [pb.room(service, d) for d in days])

    def allowed(a: Appointment, first: date, last: date) -> list[date]:
        days, rooms = open_days[a.service]
        lo, hi = bisect.bisect_left(days, first), bisect.bisect_right(days, last)
        duration = a.duration_min
        out = [days[i] for i in range(lo, hi) if rooms[i] >= duration]
        if a.surgeon:
            out = [
                d
                for d in out
                if cap.surgeon_operates(a.surgeon, a.service, d)
                and (
                    pb.surgeon_cap(a.surgeon, d) is None or pb.surgeon_cap(a.surgeon, d) >= duration
                )
            ]
        return out

    def make(ids: list[str], singleton: bool) -> _Item:
        a = pb.by_id[ids[0]]
        x = ids[0]
        days = allowed(a, pb.earliest[x], pb.latest[x])
        if not singleton and not a.surgeon:
            days = _prune(
                days, [pb.room(a.service, d) for d in days], a.duration_min, demand[a.service]
            )
        stay = pb.stay.get(x)
        parent = prerequisite_of.get(x)
        if parent is not None:
            # Not before the first day its prerequisite could have: propagated along the
            # chain (prerequisites are built first), it tightens the relaxation a lot.
            parent_days = first_day[parent]
            if parent_days is None:
                days, stay = [], None
            else:
                days = [d for d in days if d > parent_days]
                if stay is not None and stay <= parent_days:
                    stay = None
        if stay is not None:
            days = [stay] + [d for d in days if d > stay]
        first_day[x] = days[0] if days else None
        w, limit, origin = WEIGHTS[a.urgency], a.max_delay, pb.day[x].toordinal()
        costs = [
            0
            if d == stay
            else w * (d.toordinal() - origin)
            + LATE_FACTOR * w * max(0, d.toordinal() - origin - limit)
            for d in days
        ]
        return _Item(
            ids=sorted(ids, key=lambda i: (pb.by_id[i].start, i)),
            service=a.service,
            surgeon=a.surgeon,
            urgency=a.urgency,
            max_delay=a.max_delay,
            duration=a.duration_min,
            original_day=pb.day[x],
            days=days,
            costs=costs,
            unplaced_cost=unplaced_cost(a.urgency, a.max_delay, pb.day[x], pb.last_day),
            stay=stay,
            singleton=singleton,
            rank=rank.get(x, 0),
        )

    prerequisite_of = {b: a for a, b in pb.links}
    first_day: dict[str, date | None] = {}
    for ids in groups.values():
        pb.items.append(make(ids, False))
    for x in singles:
        pb.items.append(make([x], True))
    for k, item in enumerate(pb.items):
        for x in item.ids:
            pb.item_of[x] = k


def _prune(days: list[date], rooms: list[int], duration: int, demand: int) -> list[date]:
    """Keep the allowed days up to the first one by which the room of the allowed days so
    far surely holds one more appointment of this duration whatever the others take: past
    it, moving that appointment earlier is always possible and cheaper, so no optimum (of
    the integer program or of its relaxation) uses a later day."""
    total = 0
    for k, room in enumerate(rooms):
        total += room
        if total - (k + 1) * (duration - 1) >= demand - duration + 1:
            return days[: k + 1]
    return days


# ---------------------------------------------------------------------------
# Solving, one component at a time
# ---------------------------------------------------------------------------


@dataclass
class _Component:
    """Services linked by depends_on pairs or by a surgeon with known minutes at several
    theatres: no row spans two components. Its blocks are its services linked by such
    surgeons only (no depends_on): the improvement phase works block by block."""

    items: list[int]
    rows: dict[tuple[str, str, date], list[tuple[int, int]]]  # row -> [(item, day index)]
    rhs: dict[tuple[str, str, date], int]
    links: list[tuple[int, int]]  # (item of prerequisite, item of dependent)
    blocks: list[list[int]] = field(default_factory=list)
    counts: dict[int, list[int]] = field(default_factory=dict)
    unplaced: dict[int, int] = field(default_factory=dict)
    lp_cost: dict[int, float] = field(default_factory=dict)  # per item, in the LP
    bound: float = 0.0


def _components(pb: _Problem) -> list[_Component]:
    """The independent parts of the problem, largest first (`_Component`)."""
    comp_of = _UnionFind()
    block_of = _UnionFind()
    surgeon_services: dict[str, str] = {}
    for item in pb.items:
        comp_of.find(item.service)
        block_of.find(item.service)
        if item.surgeon and any(pb.surgeon_cap(item.surgeon, d) is not None for d in item.days):
            other = surgeon_services.setdefault(item.surgeon, item.service)
            comp_of.union(other, item.service)
            block_of.union(other, item.service)
    for a, b in pb.links:
        comp_of.union(pb.by_id[a].service, pb.by_id[b].service)
    comps: dict[str, _Component] = {}
    blocks: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(pb.items):
        comp = comps.setdefault(
            comp_of.find(item.service), _Component([], defaultdict(list), {}, [])
        )
        comp.items.append(k)
        blocks[block_of.find(item.service)].append(k)
        for j, d in enumerate(item.days):
            if d == item.stay:
                continue  # the old slot is already counted
            key = ("s", item.service, d)
            comp.rows[key].append((k, j))
            comp.rhs[key] = pb.room(item.service, d)
            if item.surgeon and pb.surgeon_cap(item.surgeon, d) is not None:
                key = ("g", item.surgeon, d)
                comp.rows[key].append((k, j))
                comp.rhs[key] = pb.surgeon_cap(item.surgeon, d)
    for a, b in pb.links:
        comps[comp_of.find(pb.by_id[a].service)].links.append((pb.item_of[a], pb.item_of[b]))
    for root, items in blocks.items():
        comps[comp_of.find(root)].blocks.append(items)
    for comp in comps.values():
        # Whole appointments fill a day only in multiples of their durations' gcd.
        for key, entries in comp.rows.items():
            g = math.gcd(*{pb.items[k].duration for k, _ in entries})
            comp.rhs[key] = max(0, comp.rhs[key]) // g * g
    return sorted(comps.values(), key=lambda c: -sum(len(pb.items[k].days) for k in c.items))


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        while self.parent.setdefault(x, x) != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def _day_index(pb: _Problem, d: date) -> int:
    return (d - pb.capacity.first_day).days


def _unplaced_index(pb: _Problem, item: _Item) -> int:
    return _day_index(pb, pb.last_day) + 1 + item.rank


def _objective(pb: _Problem, comp: _Component, counts, unplaced) -> int:
    return sum(
        sum(c * n for c, n in zip(pb.items[k].costs, counts[k], strict=True))
        + pb.items[k].unplaced_cost * unplaced[k]
        for k in comp.items
    )


_first_highs = threading.Lock()
_highs_started = False


def _new_highs() -> highspy.Highs:
    """A silent HiGHS. Whatever its options, HiGHS prints its banner on the process's
    standard output when the first instance is made: that once, the output goes to the
    null device (the command line's standard output is the plan's summary)."""
    global _highs_started
    with _first_highs:
        if _highs_started:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "wb") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _highs_started = True
    h.setOptionValue("output_flag", False)
    return h


class _Model:
    """The integer program of a component, as HiGHS arrays: per item, one integer column
    per allowed day and one for unplaced (their sum is the item's count); a row per
    service-day (and surgeon-day) in minutes; and per depends_on link, for each day t of
    the dependent's, "the dependent placed by t only if its prerequisite is placed before
    t", with a continuous slack column (the time-indexed form of day(b) > day(a), much
    tighter in the relaxation than comparing their mean days; with t past every day, a
    dependent of an unplaced appointment is unplaced too)."""

    def __init__(self, pb: _Problem, comp: _Component):
        self.pb, self.comp = pb, comp
        self.column: dict[int, int] = {}  # item -> its first column
        cost: list[float] = []
        upper: list[float] = []
        for k in comp.items:
            item = pb.items[k]
            self.column[k] = len(cost)
            cost += [*item.costs, item.unplaced_cost]
            upper += [item.n] * (len(item.days) + 1)
        self.n_int = len(cost)
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lower_row: list[float] = []
        upper_row: list[float] = []

        def row(entries: Iterable[tuple[int, float]], lo: float, hi: float) -> None:
            r = len(lower_row)
            for c, v in entries:
                rows.append(r)
                cols.append(c)
                vals.append(v)
            lower_row.append(lo)
            upper_row.append(hi)

        for k in comp.items:
            first, n = self.column[k], pb.items[k].n
            row(((first + j, 1.0) for j in range(len(pb.items[k].days) + 1)), n, n)
        for key, entries in comp.rows.items():
            row(
                ((self.column[k] + j, pb.items[k].duration) for k, j in entries),
                -highspy.kHighsInf,
                max(0, comp.rhs[key]),
            )
        self.slacks: list[tuple[int, int, int]] = []  # (link, dependent's day index, column)
        for link, (ka, kb) in enumerate(comp.links):
            a, b = pb.items[ka], pb.items[kb]
            previous, j = None, 0
            for i, t in enumerate(b.days):
                slack = len(cost)
                cost.append(0.0)
                upper.append(highspy.kHighsInf)
                entries = [(slack, 1.0), (self.column[kb] + i, 1.0)]
                if previous is not None:
                    entries.append((previous, -1.0))
                while j < len(a.days) and a.days[j] < t:
                    entries.append((self.column[ka] + j, -1.0))
                    j += 1
                row(entries, 0.0, 0.0)
                self.slacks.append((link, i, slack))
                previous = slack
        matrix = coo_matrix((vals, (rows, cols)), shape=(len(lower_row), len(cost))).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_ = len(cost)
        lp.num_row_ = len(lower_row)
        lp.col_cost_ = np.array(cost, dtype=float)
        lp.col_lower_ = np.zeros(len(cost))
        lp.col_upper_ = np.array(upper, dtype=float)
        lp.row_lower_ = np.array(lower_row, dtype=float)
        lp.row_upper_ = np.array(upper_row, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data.astype(float)
        self.lp = lp

    def _highs(self, time_limit: float | None = None) -> highspy.Highs:
        h = _new_highs()
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 1)
        if time_limit is not None:
            h.setOptionValue("time_limit", max(0.1, time_limit))
        return h

    def _split(self, values) -> tuple[dict[int, list], dict[int, float]]:
        counts, unplaced = {}, {}
        for k in self.comp.items:
            first, days = self.column[k], len(self.pb.items[k].days)
            counts[k] = list(values[first : first + days])
            unplaced[k] = values[first + days]
        return counts, unplaced

    def relaxation(self):
        """The LP relaxation's optimal vertex, split per item, and its value; or None."""
        h = self._highs()
        h.passModel(self.lp)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        counts, unplaced = self._split(h.getSolution().col_value)
        return counts, unplaced, h.getInfo().objective_function_value

    def solve(
        self,
        counts,
        unplaced,
        time_limit: float,
        gap_limit: float,
        stop: threading.Event | None = None,
    ):
        """The integer program from the plan (counts, unplaced): (counts, unplaced, lower
        bound, proven within gap_limit), or None when nothing was found in the time.
        ``stop``, once set, interrupts the search (its best plan so far is returned)."""
        self.lp.integrality_ = [highspy.HighsVarType.kInteger] * self.n_int + [
            highspy.HighsVarType.kContinuous
        ] * (self.lp.num_col_ - self.n_int)
        h = self._highs(time_limit)
        h.setOptionValue("mip_rel_gap", gap_limit)
        h.passModel(self.lp)
        start = [0.0] * self.lp.num_col_
        for k in self.comp.items:
            first = self.column[k]
            start[first : first + len(counts[k])] = counts[k]
            start[first + len(counts[k])] = unplaced[k]
        running: dict[int, float] = defaultdict(float)
        done: dict[int, int] = defaultdict(int)  # prerequisite days counted, per link
        for link, i, col in self.slacks:
            ka, kb = self.comp.links[link]
            a, t = self.pb.items[ka], self.pb.items[kb].days[i]
            while done[link] < len(a.days) and a.days[done[link]] < t:
                running[link] += counts[ka][done[link]]
                done[link] += 1
            running[link] -= counts[kb][i]
            start[col] = max(0.0, running[link])
        solution = highspy.HighsSolution()
        solution.col_value = start
        solution.value_valid = True
        h.setSolution(solution)
        if stop is not None:
            h.cbMipInterrupt.subscribe(lambda event: event.interrupt() if stop.is_set() else None)
        h.run()
        info = h.getInfo()
        if info.primal_solution_status != 2:  # no feasible solution
            return None
        counts, unplaced = self._split(h.getSolution().col_value)
        counts = {k: [int(round(v)) for v in c] for k, c in counts.items()}
        unplaced = {k: int(round(v)) for k, v in unplaced.items()}
        proven = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return counts, unplaced, info.mip_dual_bound, proven


def _round(pb: _Problem, comp: _Component, values, unplaced) -> tuple[dict, dict]:
    """An integer plan from the LP's, filled day by day. Each appointment of a class gets
    the day where the class's cumulative LP mass reaches it (its target); on each day,
    each service takes its available appointments with the earliest targets first (most
    urgent first among equal targets) while they fit, so no day's room is left to later
    days when some appointment could use it. Linked appointments become available the day
    after their prerequisite's; a dependent stays on its old day when its prerequisite
    came before it. What no day takes is unplaced."""
    room = dict(comp.rhs)
    counts = {k: [0] * len(pb.items[k].days) for k in comp.items}
    unplaced_out = dict.fromkeys(comp.items, 0)
    never = 10**9
    targets: dict[int, list[int]] = {}
    for k in comp.items:
        item = pb.items[k]
        if values is None:
            targets[k] = [0] * item.n
            continue
        t: list[int] = []
        cumulative = 0.0
        for j, v in enumerate([*values[k], unplaced[k]]):
            cumulative += v
            day = _day_index(pb, item.days[j]) if j < len(item.days) else never
            while len(t) < item.n and cumulative >= len(t) + 0.5:
                t.append(day)
        targets[k] = t + [never] * (item.n - len(t))
    next_target = dict.fromkeys(comp.items, 0)  # how many of each class are placed
    prerequisite = {kb: ka for ka, kb in comp.links}
    dependents: dict[int, list[tuple[list[int], list[int]]]] = defaultdict(list)
    for ka, kb in comp.links:
        b = pb.items[kb]
        dependents[ka].append(([_day_index(pb, d) for d in b.days], [*b.costs, b.unplaced_cost]))

    def chain(k: int, day: int) -> int:
        """What a day of delay of a prerequisite placed on `day` costs its dependents,
        each on its first day after it."""
        total = 0
        for days, costs in dependents.get(k, ()):
            total += (
                costs[bisect.bisect_right(days, day + 1)] - costs[bisect.bisect_right(days, day)]
            )
        return total

    placed_day: dict[int, date] = {}
    stays: dict[date, list[int]] = defaultdict(list)
    for k in comp.items:
        if pb.items[k].stay is not None:
            stays[pb.items[k].stay].append(k)
    by_day: dict[date, list[tuple[str, str, date]]] = defaultdict(list)
    for key in comp.rows:
        if key[0] == "s":
            by_day[key[2]].append(key)
    for d in sorted(set(by_day) | set(stays)):
        for k in stays.get(d, ()):
            ka = prerequisite.get(k)
            if ka is None or (ka in placed_day and placed_day[ka] < d):
                counts[k][0] = 1
                next_target[k] = 1
                placed_day[k] = d
        today_index = _day_index(pb, d)
        for key in sorted(by_day.get(d, ())):
            heap = []
            for k, j in comp.rows[key]:
                item = pb.items[k]
                if next_target[k] >= item.n:
                    continue
                ka = prerequisite.get(k)
                if ka is not None and not (ka in placed_day and placed_day[ka] < d):
                    continue
                heap.append(
                    _priority(
                        item, targets[k][next_target[k]], today_index, k, j, chain(k, today_index)
                    )
                )
            heapq.heapify(heap)
            while heap:
                *_, k, j = heapq.heappop(heap)
                item = pb.items[k]
                if not _fits(pb, room, item, j):
                    continue
                counts[k][j] += 1
                _take(pb, room, item, j, 1)
                next_target[k] += 1
                placed_day[k] = d
                if next_target[k] < item.n:
                    heapq.heappush(
                        heap,
                        _priority(
                            item,
                            targets[k][next_target[k]],
                            today_index,
                            k,
                            j,
                            chain(k, today_index),
                        ),
                    )
    for k in comp.items:
        unplaced_out[k] = pb.items[k].n - next_target[k]
    return counts, unplaced_out


def _priority(item: _Item, target: int, day: int, k: int, j: int, chain: float) -> tuple:
    """Who a day takes first: those due (their target is today or past, or others wait on
    them), the dearest per minute to postpone to their next day first (Smith's rule), what
    waits on them counted; then the others, earliest target first."""
    if target <= day or chain:
        following = item.costs[j + 1] if j + 1 < len(item.costs) else item.unplaced_cost
        return (0, -(following - item.costs[j] + chain) / item.duration, k, j)
    return (1, target, -WEIGHTS[item.urgency], k, j)


def _keys(pb: _Problem, item: _Item, j: int):
    d = item.days[j]
    if d == item.stay:
        return []
    keys = [("s", item.service, d)]
    if item.surgeon and pb.surgeon_cap(item.surgeon, d) is not None:
        keys.append(("g", item.surgeon, d))
    return keys


def _fits(pb: _Problem, room, item: _Item, j: int) -> bool:
    return all(room[key] >= item.duration for key in _keys(pb, item, j))


def _take(pb: _Problem, room, item: _Item, j: int, n: int) -> None:
    for key in _keys(pb, item, j):
        room[key] -= n * item.duration


def _item_cost(item: _Item, counts: list, unplaced: float) -> float:
    return (
        sum(c * n for c, n in zip(item.costs, counts, strict=True)) + item.unplaced_cost * unplaced
    )


def _first_plan(pb: _Problem, comp: _Component, timings: dict[str, float]) -> None:
    """Phase 1: the component's LP relaxation (its bound) and the plan rounded from it."""
    start = time.perf_counter()
    relaxation = _Model(pb, comp).relaxation()
    values, unplaced, bound = relaxation or (None, None, 0.0)
    timings["lp"] = timings.get("lp", 0.0) + time.perf_counter() - start
    start = time.perf_counter()
    comp.counts, comp.unplaced = _round(pb, comp, values, unplaced)
    timings["rounding"] = timings.get("rounding", 0.0) + time.perf_counter() - start
    if values is None:
        comp.bound = 0.0
        comp.lp_cost = dict.fromkeys(comp.items, 0.0)
    else:
        comp.bound = _ceil(bound)
        comp.lp_cost = {k: _item_cost(pb.items[k], values[k], unplaced[k]) for k in comp.items}


def _take_if_cheaper(pb: _Problem, comp: _Component, assigned: dict[str, date]) -> None:
    """The hand method's plan, as counts of the component's model, replaces the rounded
    one when it costs less: the optimiser's plan is never worse than the hand method's."""
    counts = {k: [0] * len(pb.items[k].days) for k in comp.items}
    unplaced = {}
    for k in comp.items:
        item = pb.items[k]
        index = {d: j for j, d in enumerate(item.days)}
        for x in item.ids:
            d = assigned.get(x)
            if d is None:
                continue
            if d not in index:
                return  # a day the model left out: cannot be compared, keep the rounding
            counts[k][index[d]] += 1
        unplaced[k] = item.n - sum(counts[k])
    if _objective(pb, comp, counts, unplaced) < _objective(pb, comp, comp.counts, comp.unplaced):
        if _feasible(pb, comp, counts, unplaced):
            comp.counts, comp.unplaced = counts, unplaced


def _ceil(bound: float) -> float:
    """Costs are whole: a bound rounds up, less a hair for the solver's tolerance."""
    return float(math.ceil(bound - 1e-6 * max(1.0, abs(bound))))


WHOLE_LIMIT = 100_000  # (class, day) variables: a component this large goes block by block


def _improve(
    pb: _Problem,
    comp: _Component,
    items: list[int],
    time_limit: float,
    gap_limit: float,
    stop: threading.Event | None = None,
):
    """Phase 2: the integer program of a part of a component (`_Model.solve`), from the
    current plan. The whole component is solved exactly (given the time); a block has its
    linked appointments held where they are and is solved on its classes alone. Returns
    the new (counts, unplaced) of the items solved, and a bound on the component's cost
    when the whole of it was solved."""
    whole = len(items) == len(comp.items)
    free = items if whole else [k for k in items if not pb.items[k].singleton]
    free_set = set(free)
    rows: dict = defaultdict(list)
    rhs: dict = {}
    for key, entries in comp.rows.items():
        mine = [(k, j) for k, j in entries if k in free_set]
        if not mine:
            continue
        rows[key] = mine
        held = sum(
            pb.items[k].duration * comp.counts[k][j] for k, j in entries if k not in free_set
        )
        rhs[key] = comp.rhs[key] - held
    sub = _Component(free, rows, rhs, comp.links if whole else [])
    counts = {k: comp.counts[k] for k in free}
    unplaced = {k: comp.unplaced[k] for k in free}
    result = _Model(pb, sub).solve(counts, unplaced, time_limit, gap_limit, stop)
    if result is None or not _feasible(pb, sub, *result[:2]):
        return None
    counts, unplaced, mip_bound, proven = result
    bound = None
    if whole and proven and gap_limit == 0:
        bound = float(_objective(pb, sub, counts, unplaced))
    elif whole and math.isfinite(mip_bound):
        bound = _ceil(mip_bound)
    return free, counts, unplaced, bound


def _feasible(pb: _Problem, comp: _Component, counts, unplaced) -> bool:
    """The solver's plan, checked in whole numbers (its tolerances are not ours)."""
    if any(
        min(counts[k], default=0) < 0 or sum(counts[k]) + unplaced[k] != pb.items[k].n
        for k in comp.items
    ):
        return False
    for key, entries in comp.rows.items():
        if sum(pb.items[k].duration * counts[k][j] for k, j in entries) > max(0, comp.rhs[key]):
            return False
    for ka, kb in comp.links:
        a, b = pb.items[ka], pb.items[kb]
        if unplaced[kb]:
            continue
        if unplaced[ka] or _placed_day(a, counts[ka]) >= _placed_day(b, counts[kb]):
            return False
    return True


def _placed_day(item: _Item, counts: list[int]) -> date:
    return next(d for d, n in zip(item.days, counts, strict=True) if n)


def _solve(
    pb: _Problem,
    comps: list[_Component],
    time_limit: float,
    gap_limit: float,
    workers: int,
    timings: dict[str, float],
) -> None:
    """Phase 1 for every component; then phase 2 (`_improve`) on the parts furthest
    above their bound (small components whole, large ones block by block), ``workers``
    at a time, until the gap is at most ``gap_limit`` or the time is up."""
    start_all = time.perf_counter()
    start = time.perf_counter()
    by_hand, _ = _greedy(pb)
    timings["by hand"] = time.perf_counter() - start
    for comp in comps:
        _first_plan(pb, comp, timings)
        _take_if_cheaper(pb, comp, by_hand)
    deadline = start_all + time_limit
    cost = {id(c): _objective(pb, c, c.counts, c.unplaced) for c in comps}
    fixed = _fixed_cost(pb)

    def gap() -> float:
        objective = sum(cost.values()) + fixed
        bound = sum(c.bound for c in comps) + fixed
        return 0.0 if objective <= 0 else (objective - bound) / objective

    parts = []
    for comp in comps:
        if cost[id(comp)] <= comp.bound:
            continue  # proven optimal already
        size = sum(len(pb.items[k].days) + 1 for k in comp.items)
        if size <= WHOLE_LIMIT or (not comp.links and len(comp.blocks) == 1):
            parts.append((cost[id(comp)] - comp.bound, size, comp, comp.items))
            continue
        for block in comp.blocks:
            if all(pb.items[k].singleton for k in block):
                continue
            excess = sum(
                _item_cost(pb.items[k], comp.counts[k], comp.unplaced[k]) - comp.lp_cost[k]
                for k in block
            )
            size = sum(len(pb.items[k].days) + 1 for k in block)
            parts.append((excess, size, comp, block))
    parts.sort(key=lambda part: -part[0])
    start = time.perf_counter()
    # Two passes: first every part with its share of the time, in proportion to its size
    # (a small one is often proven at once, and leaves its time to the others); then what
    # is left goes to the components still above the gap, the largest gap first.
    total_size = sum(part[1] for part in parts) or 1
    budget = max(0.0, deadline - start) * workers
    queue = [(part, max(1.0, budget * part[1] / total_size), 1) for part in parts]
    second: list = []
    stop = threading.Event()  # set once the whole gap is small enough
    if queue and gap() > gap_limit and start < deadline:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: dict = {}

            def submit() -> None:
                part, share, round_ = queue.pop(0)
                limit = min(share, deadline - time.perf_counter())
                if limit > 0.05:
                    _, _, comp, items = part
                    future = pool.submit(_improve, pb, comp, items, limit, gap_limit, stop)
                    pending[future] = (part, round_)

            while queue and len(pending) < workers:
                submit()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    part, round_ = pending.pop(future)
                    comp = part[2]
                    result = future.result()
                    if result is not None:
                        free, counts, unplaced, bound = result
                        before = sum(
                            _item_cost(pb.items[k], comp.counts[k], comp.unplaced[k]) for k in free
                        )
                        after = sum(_item_cost(pb.items[k], counts[k], unplaced[k]) for k in free)
                        if after <= before:
                            for k in free:
                                comp.counts[k], comp.unplaced[k] = counts[k], unplaced[k]
                            cost[id(comp)] += after - before
                        if bound is not None:
                            comp.bound = max(comp.bound, bound)
                    if round_ == 1 and cost[id(comp)] - comp.bound > gap_limit * cost[id(comp)]:
                        second.append(part)
                if not queue and second:
                    second.sort(key=lambda part: -(cost[id(part[2])] - part[2].bound))
                    queue = [(part, math.inf, 2) for part in second]
                    second = []
                if gap() <= gap_limit:
                    stop.set()
                elif time.perf_counter() < deadline - 0.05:
                    while queue and len(pending) < workers:
                        submit()
    timings["mip"] = time.perf_counter() - start


# ---------------------------------------------------------------------------
# Times of day, and the plan's rows
# ---------------------------------------------------------------------------


def _minute(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.hour * 60 + local.minute


class _Rooms:
    """One service-day's rooms (module doc: Times)."""

    def __init__(self, n_rooms: int, kept: list[tuple[int, int]]):
        self.rooms: list[list[tuple[int, int]]] = [[] for _ in range(n_rooms)]
        for s, e in sorted(kept):
            for room in self.rooms:
                if not room or room[-1][1] <= s:
                    room.append((s, e))
                    break
            else:
                self.rooms.append([(s, e)])
        for room in self.rooms:
            room.sort()

    @staticmethod
    def _free(room: list[tuple[int, int]], s: int, e: int) -> bool:
        return all(e2 <= s or e <= s2 for s2, e2 in room)

    @staticmethod
    def _earliest(room: list[tuple[int, int]], duration: int, busy: list[tuple[int, int]]) -> int:
        t = OPENING_MINUTE
        for s2, e2 in sorted(room + busy):
            if e2 <= t:
                continue
            if s2 >= t + duration:
                break
            t = max(t, e2)
        return t

    def place(self, preferred: int, duration: int, busy: list[tuple[int, int]]) -> int:
        """A start for an appointment: ``preferred`` when a room and ``busy`` (the
        surgeon's) are free then, else the earliest free time from opening."""
        if preferred + duration <= 24 * 60 and self._free(busy, preferred, preferred + duration):
            for room in self.rooms:
                if self._free(room, preferred, preferred + duration):
                    room.append((preferred, preferred + duration))
                    return preferred
        best, best_room = None, None
        for room in self.rooms:
            t = self._earliest(room, duration, busy)
            if best is None or t < best:
                best, best_room = t, room
        start = min(best, 24 * 60 - duration)
        best_room.append((start, start + duration))
        return start


def _rows(pb: _Problem, assigned: dict[str, date], unplaced: dict[str, str]) -> list[PlanRow]:
    """The plan's rows, with times of day for the moved appointments."""
    cap = pb.capacity
    tz = cap.timezone
    final_day: dict[str, date] = {x: v[1] for x, v in pb.fixed.items()}
    for x, d in assigned.items():
        final_day[x] = d
    stays = {x for x, d in assigned.items() if pb.stay.get(x) == d}
    moving = {x for x in assigned if x not in stays} | {
        x for x, (decision, _, _) in pb.fixed.items() if decision == "moved"
    }
    incoming: dict[tuple[str, date], list[str]] = defaultdict(list)
    for x in sorted(moving):
        incoming[(pb.by_id[x].service, final_day[x])].append(x)
    staying: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    surgeon_busy: dict[tuple[str, date], list[tuple[int, int]]] = defaultdict(list)
    for x, d in final_day.items():
        if x in moving or x in unplaced:  # a dragged dependent may end up unplaced
            continue
        a = pb.by_id[x]
        s = _minute(a.start, tz)
        staying[(a.service, d)].append((s, s + a.duration_min))
        if a.surgeon:
            surgeon_busy[(a.surgeon, d)].append((s, s + a.duration_min))
    start_of: dict[str, datetime] = {}
    for (service, d), ids in incoming.items():
        n_rooms = max(1, math.ceil(cap.minutes(service, d) / DAY_LENGTH_MINUTES))
        rooms = _Rooms(n_rooms, staying[(service, d)])
        ids.sort(key=lambda x: (pb.by_id[x].urgency, _minute(pb.by_id[x].start, tz), x))
        for x in ids:
            a = pb.by_id[x]
            busy = surgeon_busy[(a.surgeon, d)] if a.surgeon else []
            m = rooms.place(_minute(a.start, tz), a.duration_min, busy)
            if a.surgeon:
                busy.append((m, m + a.duration_min))
            start_of[x] = datetime(d.year, d.month, d.day, m // 60, m % 60, tzinfo=tz)
    rows = []
    for x, a in pb.by_id.items():
        original = a.start.astimezone(tz)
        if x in unplaced:
            rows.append(
                PlanRow(
                    x,
                    a.patient_id,
                    a.service,
                    "unplaced",
                    original,
                    None,
                    None,
                    notification_channel(a),
                    unplaced[x],
                )
            )
        elif x in moving:
            d = final_day[x]
            delay = (d - pb.day[x]).days
            reason = pb.movable[x] if x in pb.movable else pb.fixed[x][2]
            if delay > a.max_delay:
                reason += f"; {delay - a.max_delay} day(s) beyond its clinical limit"
            rows.append(
                PlanRow(
                    x,
                    a.patient_id,
                    a.service,
                    "moved",
                    original,
                    start_of[x],
                    delay,
                    notification_channel(a),
                    reason,
                )
            )
        else:
            reason = "its prerequisite still comes first" if x in pb.stay else pb.fixed[x][2]
            rows.append(
                PlanRow(x, a.patient_id, a.service, "kept", original, original, 0, "", reason)
            )
    return rows


def _unplaced_reason(pb: _Problem, x: str) -> str:
    a = pb.by_id[x]
    first = pb.earliest.get(x, pb.today)
    if a.surgeon and not any(
        pb.capacity.surgeon_operates(a.surgeon, a.service, d)
        for d in pb.capacity.days()
        if d >= first
    ):
        return f"surgeon {a.surgeon} does not operate at {a.service} within the horizon"
    return f"no capacity at {a.service} from {first.isoformat()} to {pb.latest.get(x, pb.last_day)}"


def _stats(pb: _Problem, rows: list[PlanRow]) -> dict[str, float]:
    out: dict[str, float] = {}
    for u in (1, 2, 3, 4):
        delays = [
            r.delay_days
            for r in rows
            if r.decision == "moved" and pb.by_id[r.appointment_id].urgency == u
        ]
        late = sum(
            1
            for r in rows
            if r.decision == "moved"
            and pb.by_id[r.appointment_id].urgency == u
            and r.delay_days > pb.by_id[r.appointment_id].max_delay
        )
        out[f"moved_u{u}"] = len(delays)
        out[f"mean_delay_u{u}"] = sum(delays) / len(delays) if delays else 0.0
        out[f"max_delay_u{u}"] = max(delays, default=0)
        out[f"late_u{u}"] = late
        out[f"unplaced_u{u}"] = sum(
            1 for r in rows if r.decision == "unplaced" and pb.by_id[r.appointment_id].urgency == u
        )
    return out


def plan_objective(pb: _Problem, rows: list[PlanRow]) -> int:
    """The plan's cost (module doc), from its rows."""
    total = 0
    for r in rows:
        a = pb.by_id[r.appointment_id]
        if r.decision == "moved":
            total += move_cost(a.urgency, a.max_delay, r.delay_days)
        elif r.decision == "unplaced":
            total += unplaced_cost(a.urgency, a.max_delay, pb.day[r.appointment_id], pb.last_day)
    return total


def _fixed_cost(pb: _Problem) -> int:
    """What every plan pays for decisions taken before solving: pinned moves, and what
    must be unplaced (unknown service, depends_on cycle, prerequisite unplaced)."""
    total = 0
    for x, (decision, d, _) in pb.fixed.items():
        if decision == "moved":
            a = pb.by_id[x]
            total += move_cost(a.urgency, a.max_delay, (d - pb.day[x]).days)
    for x in pb.unplaced:
        a = pb.by_id[x]
        total += unplaced_cost(a.urgency, a.max_delay, pb.day[x], pb.last_day)
    return total


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def _problem(
    appointments, capacity, today, notice_days, keep, postpone, pins, deprogramming, timings
):
    start = time.perf_counter()
    appointments = list(appointments)
    if len({a.id for a in appointments}) != len(appointments):
        raise ValueError("appointment ids must be unique")
    dep = deprogramming or deprogram(
        appointments, capacity, today=today, keep=keep, postpone=postpone, pins=pins
    )
    timings["deprogram"] = time.perf_counter() - start
    start = time.perf_counter()
    pb = _prepare(appointments, capacity, today, notice_days, dep)
    timings["model"] = time.perf_counter() - start
    return pb


def reprogram(
    appointments: Iterable[Appointment],
    capacity: Capacity,
    *,
    today: date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    keep: Collection[str] = (),
    postpone: Collection[str] = (),
    pins: Mapping[str, date] | None = None,
    deprogramming: Deprogramming | None = None,
    time_limit: float = 60.0,
    gap_limit: float = 0.001,
    workers: int = 2,
) -> Plan:
    """The optimised plan (module doc). ``time_limit`` bounds the solving, in seconds
    (relaxations, rounding and branch and bound; not the preparation nor the times of day);
    it stops earlier once the proven gap is at most ``gap_limit`` (0: prove the optimum).
    ``workers``: components solved at once. ``keep``, ``postpone`` and ``pins`` are the
    scheduler's decisions (`deprogram`), or ``deprogramming`` one already made."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    pb = _problem(
        appointments, capacity, today, notice_days, keep, postpone, pins, deprogramming, timings
    )
    comps = _components(pb)
    _solve(pb, comps, time_limit, gap_limit, workers, timings)
    assigned: dict[str, date] = {}
    unplaced = dict(pb.unplaced)
    bound = 0.0
    for comp in comps:
        bound += comp.bound
        for k in comp.items:
            item = pb.items[k]
            ids = iter(item.ids)
            for j, n in enumerate(comp.counts[k]):
                for _ in range(n):
                    assigned[next(ids)] = item.days[j]
            for x in ids:
                unplaced[x] = _unplaced_reason(pb, x)
    # dependents of unplaced singletons: say why
    for a, b in pb.links:
        if a in unplaced and b in unplaced:
            unplaced[b] = f"depends on {a}, unplaced"
    bound += _fixed_cost(pb)
    start = time.perf_counter()
    rows = _rows(pb, assigned, unplaced)
    timings["times"] = time.perf_counter() - start
    objective = plan_objective(pb, rows)
    timings["total"] = time.perf_counter() - t0
    plan = Plan(rows, objective, min(bound, objective), "optimiser", timings, _stats(pb, rows))
    plan.stats.update(
        classes=sum(1 for i in pb.items if not i.singleton),
        singletons=sum(1 for i in pb.items if i.singleton),
        components=len(comps),
        variables=sum(len(i.days) + 1 for i in pb.items),
    )
    return plan


def _next_open(jumps: dict[date, date], d: date) -> date:
    """The first day from ``d`` not known to be too full (path-compressed)."""
    path = []
    while d in jumps:
        path.append(d)
        d = jumps[d]
    for p in path:
        jumps[p] = d
    return d


def _greedy(pb: _Problem) -> tuple[dict[str, date], dict[str, str]]:
    """The hand method on a prepared problem: (day of each placed appointment, reason of
    each unplaced one)."""
    deadline = {x: pb.day[x] + timedelta(days=pb.by_id[x].max_delay) for x in pb.movable}
    links = set(pb.links)
    for b in reversed(_topological(pb.movable, pb.by_id)):
        a = pb.by_id[b].depends_on
        if a in deadline and (a, b) in links:
            deadline[a] = min(deadline[a], deadline[b] - timedelta(days=1))
    rank = {x: k for k, x in enumerate(_topological(pb.movable, pb.by_id))}
    order = sorted(
        pb.movable, key=lambda x: (deadline[x], pb.by_id[x].urgency, rank[x], pb.by_id[x].start, x)
    )
    prerequisite = {b: a for a, b in pb.links}
    room: dict[tuple[str, str, date], int] = {}
    full: dict[tuple[str, int], dict[date, date]] = {}
    assigned: dict[str, date] = {}
    unplaced = dict(pb.unplaced)
    cap = pb.capacity
    for x in order:
        a = pb.by_id[x]
        first = pb.earliest[x]
        if x in prerequisite:
            p = prerequisite[x]
            if p not in assigned:
                unplaced[x] = f"depends on {p}, unplaced"
                continue
            if x in pb.stay and pb.stay[x] > assigned[p]:
                assigned[x] = pb.stay[x]
                continue
            first = max(first, assigned[p] + timedelta(days=1))
        # Days known to have too little room for this duration are skipped (rooms only
        # shrink): `full[(service, duration)]` links each such day to the next one.
        jumps = full.setdefault((a.service, a.duration_min), {})
        d = _next_open(jumps, first)
        while d <= pb.latest[x]:
            key = ("s", a.service, d)
            if room.setdefault(key, pb.room(a.service, d)) < a.duration_min:
                jumps[d] = d + timedelta(days=1)
                d = _next_open(jumps, d)
                continue
            keys = [key]
            ok = True
            if a.surgeon:
                ok = cap.surgeon_operates(a.surgeon, a.service, d)
                surgeon = pb.surgeon_cap(a.surgeon, d)
                if ok and surgeon is not None:
                    keys.append(("g", a.surgeon, d))
                    ok = room.setdefault(keys[1], surgeon) >= a.duration_min
            if ok:
                for key in keys:
                    room[key] -= a.duration_min
                assigned[x] = d
                break
            d += timedelta(days=1)
        else:
            unplaced[x] = _unplaced_reason(pb, x)
    return assigned, unplaced


def greedy_edf(
    appointments: Iterable[Appointment],
    capacity: Capacity,
    *,
    today: date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    keep: Collection[str] = (),
    postpone: Collection[str] = (),
    pins: Mapping[str, date] | None = None,
    deprogramming: Deprogramming | None = None,
) -> Plan:
    """The hand method: earliest deadline first (original day + clinical limit; a
    prerequisite's deadline is before its dependent's), each on the earliest day with room.
    Its ``bound`` is 0: it proves nothing."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    pb = _problem(
        appointments, capacity, today, notice_days, keep, postpone, pins, deprogramming, timings
    )
    start = time.perf_counter()
    assigned, unplaced = _greedy(pb)
    timings["greedy"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = _rows(pb, assigned, unplaced)
    timings["times"] = time.perf_counter() - start
    timings["total"] = time.perf_counter() - t0
    return Plan(rows, plan_objective(pb, rows), 0.0, "greedy_edf", timings, _stats(pb, rows))
