"""Capacity in minutes per care service and day, during and after a crisis.

A service's planned activity is its ``capacity_minutes_per_day`` in the group map
(`DEFAULT_CAPACITY_MINUTES` when the map gives none), on working days only: Saturdays,
Sundays and the public holidays of the group's country (`work_calendar`) carry none.
During the crisis window (`Crisis`, both days included) a *down* service has none and a
*degraded* one keeps its ``degraded_capacity`` share; after it, full capacity, plus any
`ExtraCapacity` (overtime, extra sessions: ``ExtraCapacity(0.2, 6)`` is +20 % for the six
weeks after the crisis). Minutes are whole: shares are rounded down.

Surgery has a second limit: a surgeon operates on their own days. `SurgeonAvailability`
holds, per surgeon, the weekdays they operate at each theatre (surgery service), optional
theatre minutes per operating day and days away. It is built from a plain mapping
(`parse_surgeons`) so that it can come from a file, the demo generator or a database::

    {"DR-MARTIN": {"service": "ARL-BLOC", "weekdays": ["mon", "thu"], "minutes_per_day": 480},
     # ("theatre_minutes" is read as "minutes_per_day")
     "DR-PEETERS": {"weekdays": {"ARL-BLOC": [1], "MAR-BLOC": [3]}, "absent": ["2022-06-01"]}}

A surgeon the mapping does not name operates on every working day of the service (only
the theatre's minutes limit them). `surgeons_from_appointments` infers the weekdays from
the surgeries already planned, when nothing better is known.

``booked`` minutes are minutes of a service-day already committed by appointments that are
not part of the problem (the bookings of the weeks after the crisis, kept elsewhere):
`Capacity.free` is what is left for the problem's own appointments; ``surgeon_booked`` is
the same for a surgeon's theatre minutes on a day.

No Django here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .groupmap import GroupMap
from .work_calendar import WorkCalendar

DEFAULT_CAPACITY_MINUTES = 480  # a day of one room, when the map gives no capacity

WEEKDAY_NAMES = {
    **{name: k for k, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: k for k, name in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
}


@dataclass(frozen=True)
class Crisis:
    """The crisis window, both days included, and the services hit during it."""

    first_day: date
    last_day: date
    down: frozenset[str] = frozenset()
    degraded: frozenset[str] = frozenset()

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class ExtraCapacity:
    """``share`` more capacity (0.2: +20 %) for ``weeks`` weeks, from ``start`` (by default
    the day after the crisis), for ``services`` (None: every service)."""

    share: float
    weeks: int
    services: frozenset[str] | None = None
    start: date | None = None


@dataclass(frozen=True)
class SurgeonAvailability:
    """When one surgeon operates: weekdays (0 = Monday) per surgery service, theatre
    minutes per operating day (None: only the theatre's capacity limits them), days away."""

    weekdays: Mapping[str, frozenset[int]]
    minutes_per_day: int | None = None
    absent: frozenset[date] = frozenset()

    def operates(self, service: str, day: date) -> bool:
        return day not in self.absent and day.weekday() in self.weekdays.get(service, ())


class SurgeonsInvalid(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _weekday(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 6 else None
    text = str(value).strip().lower()
    if text.isdigit():
        return _weekday(int(text))
    return WEEKDAY_NAMES.get(text[:3])


def parse_surgeons(doc: Mapping[str, Any]) -> dict[str, SurgeonAvailability]:
    """Surgeon availability from a plain mapping (see the module doc); raises
    `SurgeonsInvalid` with every error, each naming the surgeon and the key."""
    errors: list[str] = []
    out: dict[str, SurgeonAvailability] = {}
    for surgeon, spec in doc.items():
        where = f"surgeons.{surgeon}"
        if not isinstance(spec, Mapping):
            errors.append(f"{where}: expected a mapping")
            continue
        raw = spec.get("weekdays", ())
        if isinstance(raw, Mapping):
            by_service = dict(raw)
        else:
            service = spec.get("service")
            if not service:
                errors.append(f"{where}.service: required when weekdays is a list")
                continue
            by_service = {service: raw}
        weekdays: dict[str, frozenset[int]] = {}
        for service, days in by_service.items():
            if isinstance(days, str):
                days = [d for d in days.replace(",", ";").split(";") if d.strip()]
            parsed = [_weekday(d) for d in days]
            bad = [d for d, k in zip(days, parsed, strict=True) if k is None]
            if bad:
                errors.append(f"{where}.weekdays.{service}: not a weekday: {bad[0]!r}")
            weekdays[service] = frozenset(k for k in parsed if k is not None)
        minutes = spec.get("minutes_per_day", spec.get("theatre_minutes"))
        if minutes in ("", None):
            minutes = None
        else:
            try:
                minutes = int(minutes)
                if minutes < 0:
                    raise ValueError
            except (TypeError, ValueError):
                errors.append(f"{where}.minutes_per_day: expected a whole number of minutes")
                minutes = None
        absent: set[date] = set()
        raw_absent = spec.get("absent", ())
        if isinstance(raw_absent, str):
            raw_absent = [d for d in raw_absent.split(";") if d.strip()]
        for item in raw_absent:
            try:
                absent.add(item if isinstance(item, date) else date.fromisoformat(item.strip()))
            except (AttributeError, ValueError):
                errors.append(f"{where}.absent: not a date: {item!r}")
        out[str(surgeon)] = SurgeonAvailability(weekdays, minutes, frozenset(absent))
    if errors:
        raise SurgeonsInvalid(errors)
    return out


SURGEON_COLUMNS = ("surgeon", "service", "weekdays", "minutes_per_day", "absent")


def read_surgeons_csv(path: Path | str) -> dict[str, SurgeonAvailability]:
    """Surgeon availability from a CSV file (``,`` or ``;`` separated) with the columns
    ``surgeon,service,weekdays,minutes_per_day,absent``: one row per surgeon and theatre,
    lists (weekdays, absent dates) separated by ``;`` or spaces. Raises `SurgeonsInvalid`
    naming the line."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SurgeonsInvalid([f"{path}: cannot read the file ({exc})"]) from exc
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in ("surgeon", "service", "weekdays") if c not in (reader.fieldnames or ())]
    if missing:
        raise SurgeonsInvalid([f"{path}: line 1: missing column(s) {', '.join(missing)}"])
    doc: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for row in reader:
        line = reader.line_num
        surgeon, service = (row.get("surgeon") or "").strip(), (row.get("service") or "").strip()
        if not surgeon or not service:
            errors.append(f"{path}: line {line}: surgeon and service are required")
            continue
        spec = doc.setdefault(surgeon, {"weekdays": {}, "absent": []})
        spec["weekdays"][service] = (row.get("weekdays") or "").replace(" ", ";")
        if (row.get("minutes_per_day") or "").strip():
            spec["minutes_per_day"] = row["minutes_per_day"].strip()
        spec["absent"] += [d for d in (row.get("absent") or "").replace(" ", ";").split(";") if d]
        try:
            parse_surgeons({surgeon: spec})
        except SurgeonsInvalid as exc:
            errors += [f"{path}: line {line}: {e}" for e in exc.errors]
    if errors:
        raise SurgeonsInvalid(errors)
    return parse_surgeons(doc)


def surgeons_from_appointments(appointments: Iterable[Any], timezone: str) -> dict[str, Any]:
    """A `parse_surgeons` mapping inferred from the surgeries planned: each surgeon operates
    at each theatre on the weekdays they had surgery there."""
    tz = ZoneInfo(timezone)
    weekdays: dict[str, dict[str, set[int]]] = {}
    for a in appointments:
        if a.surgeon:
            day = a.start.astimezone(tz).date()
            weekdays.setdefault(a.surgeon, {}).setdefault(a.service, set()).add(day.weekday())
    return {
        s: {"weekdays": {svc: sorted(days) for svc, days in by.items()}}
        for s, by in weekdays.items()
    }


@dataclass
class Capacity:
    """Minutes per (service, day) from `first_day` to `last_day`; none outside."""

    gm: GroupMap
    first_day: date
    last_day: date
    calendar: WorkCalendar
    crisis: Crisis | None = None
    extra: tuple[ExtraCapacity, ...] = ()
    surgeons: Mapping[str, SurgeonAvailability] = field(default_factory=dict)
    booked_minutes: Mapping[tuple[str, date], int] = field(default_factory=dict)
    surgeon_booked_minutes: Mapping[tuple[str, date], int] = field(default_factory=dict)
    _cache: dict[tuple[str, date], int] = field(default_factory=dict, repr=False)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.gm.group.timezone)

    def day_of(self, moment: datetime) -> date:
        """The day of an aware datetime in the group's time zone."""
        return moment.astimezone(self.timezone).date()

    def days(self) -> list[date]:
        """Every calendar day of the horizon."""
        return [
            self.first_day + timedelta(days=k)
            for k in range((self.last_day - self.first_day).days + 1)
        ]

    def base(self, service: str) -> int:
        minutes = self.gm.service(service).capacity_minutes_per_day
        return DEFAULT_CAPACITY_MINUTES if minutes is None else minutes

    def state(self, service: str, day: date) -> str:
        """``outside`` (the horizon), ``closed`` (not a working day), ``down``,
        ``degraded``, ``extra`` or ``normal``."""
        if not self.first_day <= day <= self.last_day:
            return "outside"
        if not self.calendar.is_working_day(day):
            return "closed"
        if self.crisis is not None and self.crisis.covers(day):
            if service in self.crisis.down:
                return "down"
            if service in self.crisis.degraded:
                return "degraded"
        if self._extra_share(service, day):
            return "extra"
        return "normal"

    def _extra_share(self, service: str, day: date) -> float:
        share = 0.0
        for x in self.extra:
            start = x.start
            if start is None:
                start = (self.crisis.last_day if self.crisis else self.first_day) + timedelta(1)
            if start <= day < start + timedelta(weeks=x.weeks) and (
                x.services is None or service in x.services
            ):
                share += x.share
        return share

    def minutes(self, service: str, day: date) -> int:
        """The service's capacity that day, in minutes (bookings not deducted)."""
        key = (service, day)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        state = self.state(service, day)
        base = self.base(service)
        if state in ("outside", "closed", "down"):
            value = 0
        elif state == "degraded":
            value = int(base * self.gm.service(service).degraded_capacity)
        elif state == "extra":
            value = int(base * (1 + self._extra_share(service, day)))
        else:
            value = base
        self._cache[key] = value
        return value

    def booked(self, service: str, day: date) -> int:
        return self.booked_minutes.get((service, day), 0)

    def free(self, service: str, day: date) -> int:
        """Capacity less the minutes booked outside the problem (never below 0)."""
        return max(0, self.minutes(service, day) - self.booked(service, day))

    def surgeon_operates(self, surgeon: str, service: str, day: date) -> bool:
        """Whether the surgeon may operate at the service that day (always, for a surgeon
        the availability does not name)."""
        availability = self.surgeons.get(surgeon)
        return availability is None or availability.operates(service, day)

    def surgeon_minutes(self, surgeon: str, day: date) -> int | None:
        """The surgeon's theatre minutes that day (None: not limited but by the theatre).
        Extra capacity at the theatre they operate at that day lengthens their session."""
        availability = self.surgeons.get(surgeon)
        if availability is None or availability.minutes_per_day is None:
            return None
        share = max(
            (
                self._extra_share(service, day)
                for service, weekdays in availability.weekdays.items()
                if day.weekday() in weekdays
            ),
            default=0.0,
        )
        return int(availability.minutes_per_day * (1 + share))

    def surgeon_booked(self, surgeon: str, day: date) -> int:
        return self.surgeon_booked_minutes.get((surgeon, day), 0)


def build_capacity(
    gm: GroupMap,
    first_day: date,
    last_day: date,
    *,
    crisis: Crisis | None = None,
    extra: Iterable[ExtraCapacity] = (),
    surgeons: Mapping[str, Any] | None = None,
    booked: Mapping[tuple[str, date], int] | None = None,
    surgeon_booked: Mapping[tuple[str, date], int] | None = None,
    calendar: WorkCalendar | None = None,
) -> Capacity:
    """The capacity table of a horizon. ``surgeons`` may be a `parse_surgeons` mapping or
    its result."""
    parsed: dict[str, SurgeonAvailability] = {}
    if surgeons:
        if all(isinstance(v, SurgeonAvailability) for v in surgeons.values()):
            parsed = dict(surgeons)
        else:
            parsed = parse_surgeons(surgeons)
    return Capacity(
        gm=gm,
        first_day=first_day,
        last_day=last_day,
        calendar=calendar or WorkCalendar(gm.group.country),
        crisis=crisis,
        extra=tuple(extra),
        surgeons=parsed,
        booked_minutes=dict(booked or {}),
        surgeon_booked_minutes=dict(surgeon_booked or {}),
    )
