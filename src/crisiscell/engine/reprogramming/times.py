"""Times of day for the moved appointments (a service-day's rooms, the surgeons' sessions;
`crisiscell.engine.reprogram`, Times), and the plan's rows that carry them."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .plan import PlanRow, notification_channel
from .problem import _Problem

OPENING_MINUTE = 8 * 60
DAY_LENGTH_MINUTES = 600  # one room's day, 08:00-18:00


def _minute(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.hour * 60 + local.minute


class _Rooms:
    """One service-day's rooms (`crisiscell.engine.reprogram`, Times)."""

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
