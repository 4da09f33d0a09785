"""The directory's contacts in and out of the database: all or nothing, and back again.

`import_contacts(contacts, replace=…)` takes the checked contacts of a file
(`engine.contacts_csv.parse_contacts`), resolves their site and care-service codes against
the map, then writes them in one transaction: an upsert by `code`; with `replace`, the
contacts the file does not name are deleted. Any problem (an unknown site on line 7)
raises `ContactsInvalid`, naming the line and the column, and nothing is written.

`export_contacts()` writes the file back: import, export, import again changes nothing.
Callers go through `crisiscell.directory.actions`, which checks the role and logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from django.db import transaction

from crisiscell.engine import contacts_csv as spec
from crisiscell.engine.contacts_csv import ContactError, ContactsInvalid, error
from crisiscell.inventory.models import CareService, Site

from .listing import in_directory_order
from .models import Contact

#: The model's own columns, set from a file row (site and service are resolved apart).
VALUE_FIELDS = tuple(
    f.name for f in fields(spec.Contact) if f.name not in ("site", "service", "line")
)


@dataclass(frozen=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass(frozen=True)
class Resolved:
    """A contact whose site and care service were found in the map."""

    contact: spec.Contact
    site_id: int | None
    service_id: int | None

    def values(self) -> dict:
        """The model's columns for this contact."""
        values = {name: getattr(self.contact, name) for name in VALUE_FIELDS}
        values["position"] = values["position"] or 0
        return {**values, "site_id": self.site_id, "service_id": self.service_id}


def resolve(contacts: Sequence[spec.Contact], name: str = spec.DEFAULT_NAME) -> list[Resolved]:
    """Each contact with the rows of its site and service; raises ContactsInvalid naming
    every line whose site or service the map does not have."""
    sites = dict(Site.objects.values_list("code", "id"))
    services = {
        code: (pk, site_id, site_code)
        for code, pk, site_id, site_code in CareService.objects.values_list(
            "code", "id", "site_id", "site__code"
        )
    }
    resolved: list[Resolved] = []
    errors: list[ContactError] = []
    for c in contacts:
        problems = []
        site_id = sites.get(c.site) if c.site else None
        if c.site and site_id is None:
            problems.append(error("unknown_site", "unknown site %(value)r", "site", value=c.site))
        service_id = None
        if c.service:
            found = services.get(c.service)
            if found is None:
                problems.append(
                    error(
                        "unknown_service",
                        "unknown care service %(value)r",
                        "service",
                        value=c.service,
                    )
                )
            elif site_id is not None and found[1] != site_id:
                problems.append(
                    error(
                        "service_elsewhere",
                        "care service %(value)s belongs to site %(other)s, not %(site)s",
                        "service",
                        value=c.service,
                        other=found[2],
                        site=c.site,
                    )
                )
            else:
                service_id = found[0]
        errors += [replace(p, file=name, line=c.line or None) for p in problems]
        resolved.append(Resolved(c, site_id, service_id))
    if errors:
        raise ContactsInvalid(errors)
    return resolved


def import_contacts(
    contacts: Sequence[spec.Contact], *, replace: bool = False, name: str = spec.DEFAULT_NAME
) -> ImportCounts:
    """Write `contacts` (checked by `parse_contacts`) all or nothing; see the module doc."""
    if replace and not contacts:
        raise ContactsInvalid(
            [
                ContactError(
                    "replace_with_nothing",
                    "the file holds no contact: replacing the directory with it would empty it",
                    file=name,
                )
            ]
        )
    resolved = resolve(contacts, name)
    with transaction.atomic():
        return _write(resolved, replace)


def _write(resolved: list[Resolved], replace: bool) -> ImportCounts:
    existing = {c.code: c for c in Contact.objects.select_for_update()}
    created, updated, unchanged = [], [], 0
    names: set[str] = set()
    for r in resolved:
        values = r.values()
        row = existing.get(r.contact.code)
        if row is None:
            created.append(Contact(**values))
            continue
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        if changed:
            for k in changed:
                setattr(row, k, values[k])
            updated.append(row)
            names.update(changed)
        else:
            unchanged += 1
    deleted = 0
    if replace:
        wanted = {r.contact.code for r in resolved}
        stale = [row.pk for code, row in existing.items() if code not in wanted]
        if stale:
            deleted, _ = Contact.objects.filter(pk__in=stale).delete()
    if updated:
        Contact.objects.bulk_update(updated, sorted(names), batch_size=500)
    Contact.objects.bulk_create(created, batch_size=500)
    return ImportCounts(len(created), len(updated), unchanged, deleted)


def export_contacts() -> bytes:
    """Every contact as a CSV file (`engine.contacts_csv.write_contacts`), in directory order."""
    contacts = Contact.objects.select_related("site", "service")
    return spec.write_contacts(c.as_record() for c in in_directory_order(contacts))
