"""The problem the optimiser and the hand method solve, prepared from a deprogramming: what
is fixed, what moves and between which days (notice, ``depends_on``, the horizon), the
room left per service-day and surgeon-day, and the movable appointments grouped into
classes of interchangeable ones (`_Item`), without the days no optimum uses."""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..appointments import Appointment
from ..capacity import Capacity
from .costs import LATE_FACTOR, WEIGHTS, unplaced_cost
from .depends_on import _cycle_members, _depths, _topological
from .deprogramming import Deprogramming, _day, deprogram

DEFAULT_NOTICE_DAYS = 2


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
