"""What a plan costs, in urgency-weighted days (the objective of
`crisiscell.engine.reprogram`): moving an appointment, leaving it unplaced, a whole plan
from its rows, and what every plan pays for the decisions taken before solving."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .plan import PlanRow
    from .problem import _Problem


WEIGHTS = {1: 8, 2: 4, 3: 2, 4: 1}  # per day of delay, by urgency
LATE_FACTOR = 100  # each day beyond the clinical limit costs 100 times more
UNPLACED_DAYS = 1000  # an unplaced appointment: the day after the horizon, plus this many


def move_cost(urgency: int, max_delay: int, delay: int) -> int:
    """The cost of moving an appointment ``delay`` days later."""
    w = WEIGHTS[urgency]
    return w * delay + LATE_FACTOR * w * max(0, delay - max_delay)


def unplaced_cost(urgency: int, max_delay: int, original_day: date, last_day: date) -> int:
    """The cost of leaving an appointment unplaced: as if moved to the day after
    ``last_day`` (the horizon's), plus `UNPLACED_DAYS` days of its weight."""
    delay = max(1, (last_day - original_day).days + 1)
    return move_cost(urgency, max_delay, delay) + WEIGHTS[urgency] * UNPLACED_DAYS


def plan_objective(pb: _Problem, rows: list[PlanRow]) -> int:
    """The plan's cost (`crisiscell.engine.reprogram`), from its rows."""
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
