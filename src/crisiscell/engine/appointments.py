"""Appointments (FORMATS.md §2): what the care services had planned, and what a crisis moves.

The importers (`crisiscell.engine.appointment_files`) read CSV, XLSX and FHIR R4 Bundles
into `Appointment` values; the optimiser (`crisiscell.engine.reprogram`) moves them. All
times are aware datetimes; a day is a date in the group's time zone.

No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

KINDS = ("consultation", "imaging", "lab", "day_hospital", "surgery", "other")
URGENCIES = (1, 2, 3, 4)  # 1: must not slip (oncology...) to 4: routine follow-up
#: The clinically acceptable postponement when the file gives none, by urgency.
DEFAULT_MAX_DELAY_DAYS = {1: 7, 2: 14, 3: 28, 4: 56}
LANGUAGES = ("fr", "nl", "de", "en")


@dataclass(frozen=True)
class Appointment:
    id: str
    patient_id: str
    service: str  # a care service id of the group map
    kind: str  # one of KINDS
    start: datetime  # aware
    duration_min: int  # > 0
    urgency: int  # one of URGENCIES
    max_delay_days: int | None = None  # None: DEFAULT_MAX_DELAY_DAYS[urgency]
    surgeon: str = ""  # for surgeries: who must operate
    depends_on: str = ""  # the id of an appointment that must come first
    patient_name: str = ""
    phone: str = ""
    email: str = ""
    language: str = "fr"  # of the patient's messages: one of LANGUAGES

    @property
    def max_delay(self) -> int:
        if self.max_delay_days is not None:
            return self.max_delay_days
        return DEFAULT_MAX_DELAY_DAYS[self.urgency]


@dataclass(frozen=True)
class AppointmentError:
    """One problem in an input: where (``line 12``, ``entry[3].resource.priority``, ``sheet
    appointments, row 4``) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class AppointmentsInvalid(ValueError):
    """Raised with every error found (never only the first); nothing is imported."""

    def __init__(self, errors: list[AppointmentError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors
