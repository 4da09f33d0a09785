"""Appointments into the database: every line checked first, then written in one
transaction, or nothing.

The file is read by `crisiscell.engine.appointment_files` against the group map in the
database; appointments are matched by their id: a known id is updated, a new one added,
and one the file does not name is left as it is (a day's file can follow another).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.crisis.roles import APPOINTMENTS
from crisiscell.engine import appointment_files
from crisiscell.engine.appointments import Appointment as Item
from crisiscell.inventory.snapshot import load_map

from .models import Appointment, AppointmentImport

FIELDS = (
    "patient_id",
    "patient_name",
    "phone",
    "email",
    "language",
    "service",
    "kind",
    "start",
    "duration_min",
    "urgency",
    "max_delay_days",
    "surgeon",
    "depends_on",
)


def _values(item: Item) -> dict:
    return {name: getattr(item, name) for name in FIELDS}


def import_appointments(user, data: bytes, name: str, **options) -> AppointmentImport:
    """Read `data` (a CSV, XLSX, FHIR Bundle or NDJSON file called `name`) and store its
    appointments; raises `AppointmentsInvalid` naming every line at fault, nothing written."""
    if not (user and user.is_active and user.has_perm(APPOINTMENTS)):
        raise PermissionDenied(_("Your role does not allow importing appointments."))
    items = appointment_files.parse_bytes(data, name, load_map(), **options)
    return store(user, items, name)


def store(user, items: list[Item], name: str) -> AppointmentImport:
    """Store checked appointments in one transaction: new ids are added, known ids updated
    (the caller checked the user's right: `import_appointments`, or the demo loader)."""
    with transaction.atomic():
        batch = AppointmentImport.objects.create(
            at=timezone.now(), by=user, source=name[:255], count=len(items)
        )
        known = {
            a.code: a
            for a in Appointment.objects.select_for_update().filter(code__in=[i.id for i in items])
        }
        fresh, changed = [], []
        for item in items:
            row = known.get(item.id)
            if row is None:
                fresh.append(Appointment(code=item.id, imported=batch, **_values(item)))
            else:
                for field, value in _values(item).items():
                    setattr(row, field, value)
                row.imported = batch
                changed.append(row)
        Appointment.objects.bulk_create(fresh, batch_size=2000)
        Appointment.objects.bulk_update(changed, [*FIELDS, "imported"], batch_size=2000)
        record_change(
            user,
            log_text(
                gettext_noop("Appointments imported from %(source)s: %(new)s new, %(old)s updated"),
                source=name,
                new=len(fresh),
                old=len(changed),
            ),
        )
    return batch


def to_engine(rows) -> list[Item]:
    """The stored appointments as the engine's values."""
    return [
        Item(
            id=a.code,
            **{name: getattr(a, name) for name in FIELDS},
        )
        for a in rows
    ]
