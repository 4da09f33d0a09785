"""What a downtime kit holds: one care unit's paper copy of what the network used to show.

A kit is made for one care service of the group map (its "unit") and holds the patients
present (the census), the schedule of today and the next three days, the direct phone
numbers, the unit's reflex card for degraded mode, the blank paper forms, and the crisis
cell's contacts. The shell gathers these from the database into `KitContent`; the document
layer lays it out as a PDF. Plain values, no Django here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

#: The blank paper forms every kit can carry, in the order they are printed.
FORMS = ("admission", "medication", "lab_request", "imaging_request", "transfer")


@dataclass(frozen=True)
class Inpatient:
    """A patient present in a care unit: one row of the census."""

    patient_id: str
    name: str
    service: str  # a care service id of the group map: the unit the patient is in
    birth_date: date | None = None
    sex: str = ""  # "F", "M" or "" (unknown / other)
    room: str = ""
    bed: str = ""
    admitted: datetime | None = None  # aware
    allergies: tuple[str, ...] = ()
    alerts: tuple[str, ...] = ()  # e.g. "Anticoagulé", "Isolement contact (BMR)"


@dataclass(frozen=True)
class ScheduleItem:
    """One appointment of the unit's schedule, as printed."""

    start: datetime  # aware, in the group's time zone
    duration_min: int
    patient_id: str
    patient_name: str
    kind: str  # appointments.KINDS
    urgency: int
    surgeon: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Phone:
    """A direct number of the phone directory (the switchboard may be down)."""

    name: str  # a service, a person or a place
    number: str
    role: str = ""  # e.g. "garde", "cadre", "bip 4412"
    site: str = ""


@dataclass(frozen=True)
class KitContent:
    site_id: str
    site_name: str
    unit_id: str  # the care service id
    unit_name: str
    unit_kind: str  # the service's kind in the map: icu, emergency, dialysis…
    generated_at: datetime  # aware
    patients: tuple[Inpatient, ...] = ()
    schedule: tuple[ScheduleItem, ...] = ()
    days: tuple[date, ...] = ()  # the schedule's days: today and the next three
    directory: tuple[Phone, ...] = ()
    crisis_contacts: tuple[Phone, ...] = ()
    reflex_card: str = ""  # Markdown
    forms: tuple[str, ...] = FORMS
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def holds_patient_data(self) -> bool:
        """A kit naming any patient is encrypted; one with none is not."""
        return bool(self.patients or self.schedule)
