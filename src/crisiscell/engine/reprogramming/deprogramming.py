"""Deprogramming: on the crisis days, which appointments of a down or degraded service
are kept (most urgent first, while they fit its capacity) and which are postponed; the
scheduler's forced keeps, postponements and pins (`crisiscell.engine.reprogram`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from ..appointments import Appointment
from ..capacity import Capacity


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
    """Decide, for the crisis days, what is kept and what is postponed
    (`crisiscell.engine.reprogram`)."""
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
