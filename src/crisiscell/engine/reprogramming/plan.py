"""The reprogramming plan, what the optimiser and the hand method return: one `PlanRow`
per appointment (FORMATS.md §3, `PLAN_COLUMNS`), the `Plan` with its cost, bound, timings
and figures per urgency, as CSV or JSON; and how each patient is told
(`notification_channel`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..appointments import Appointment

if TYPE_CHECKING:
    from .problem import _Problem


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
