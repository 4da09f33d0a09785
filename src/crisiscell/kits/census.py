"""Importing the census (the patients present), all or nothing: the file replaces the whole
census, since it is a snapshot of who is in which bed now."""

from __future__ import annotations

from dataclasses import fields

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.crisis.roles import KITS
from crisiscell.engine.census import read_census
from crisiscell.engine.kit_content import Inpatient as Item
from crisiscell.inventory.snapshot import load_map

from .models import CensusImport, Inpatient

#: The census fields, the same in the database and in `crisiscell.engine.kit_content`.
FIELDS = tuple(f.name for f in fields(Item))


def to_row(item: Item) -> dict:
    """An engine patient as the fields of its database row (lists for the JSON fields)."""
    row = {name: getattr(item, name) for name in FIELDS}
    return {**row, "allergies": list(item.allergies), "alerts": list(item.alerts)}


def to_item(row: Inpatient) -> Item:
    """A database row as the engine's patient."""
    values = {name: getattr(row, name) for name in FIELDS}
    allergies, alerts = tuple(row.allergies or ()), tuple(row.alerts or ())
    return Item(**{**values, "allergies": allergies, "alerts": alerts})


def import_census(user, data: bytes, name: str) -> CensusImport:
    """Read a census file (CSV, XLSX, FHIR Bundle or NDJSON) and make it the census; raises
    `CensusInvalid` naming every line or path at fault, with nothing changed. ``user`` None:
    the server's console."""
    if user is not None and not (user.is_active and user.has_perm(KITS)):
        raise PermissionDenied(_("Your role does not allow importing the census."))
    gm = load_map()
    items = read_census(data, name, [s.id for s in gm.services], tz=gm.group.timezone)
    return store(user, items, name)


def store(user, items: list[Item], name: str) -> CensusImport:
    """Replace the census by ``items`` (already checked), in one transaction."""
    with transaction.atomic():
        Inpatient.objects.all().delete()
        CensusImport.objects.all().delete()
        batch = CensusImport.objects.create(
            at=timezone.now(), by=user, source=name[:255], count=len(items)
        )
        Inpatient.objects.bulk_create(
            [Inpatient(imported=batch, **to_row(i)) for i in items],
            batch_size=2000,
        )
        record_change(
            user,
            log_text(
                gettext_noop("Census imported from %(source)s: %(count)s patients present"),
                source=name,
                count=len(items),
            ),
        )
    return batch
