"""The one door for every change to the directory: add, change, delete, import a file.

Each action checks the user's right (``user=None`` is the system: a command run at the
machine), checks the contact with the same rules as the CSV file, writes in one
transaction and, when a crisis is under way, appends its entry to the crisis log.
"""

from __future__ import annotations

from dataclasses import replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.engine import contacts_csv as spec
from crisiscell.engine.contacts_csv import ContactError, error

from . import importer
from .importer import ImportCounts
from .models import Contact

PERMISSION = "directory.edit_directory"


class ContactRefused(ValidationError):
    """A contact the rules refuse; `contact_errors` says which column and why."""

    def __init__(self, errors: list[ContactError]):
        self.contact_errors = errors
        super().__init__([str(e) for e in errors])


def can_edit(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def _require(user) -> None:
    if user is not None and not can_edit(user):
        raise PermissionDenied(_("Your role does not allow changing the directory."))


def cleaned(contact: spec.Contact) -> spec.Contact:
    """What a form gives, tidied as the file reader tidies its cells."""
    text = {
        name: getattr(contact, name).strip()
        for name in spec.MAX_LENGTH
        if isinstance(getattr(contact, name), str)
    }
    for name in ("kind", "category"):
        text[name] = text[name].lower()
    for name in ("phone", "phone_alt"):
        text[name] = spec.normalize_phone(text[name])
    text["notes"] = text["notes"].replace("\r\n", "\n")
    return replace(contact, **text)


def save_contact(user, contact: spec.Contact, pk: int | None = None) -> Contact:
    """Add a contact (`pk` None) or change contact `pk`; an empty code gets one made up
    from the site and the name, an empty position puts the contact last in its group."""
    _require(user)
    contact = cleaned(contact)
    # Checked before any query: a value the rules refuse (a NUL byte) never reaches the database.
    errors = spec.check_contact(replace(contact, code=contact.code or "-"))
    with transaction.atomic():
        row = None
        if pk is not None:
            row = Contact.objects.select_for_update().filter(pk=pk).first()
            if row is None:
                raise ValidationError(_("There is no contact with id %(id)s.") % {"id": pk})
        if contact.code and not any(e.column == "code" for e in errors):
            errors += _code_taken(contact.code, pk)
        if errors:
            raise ContactRefused(errors)
        if not contact.code:
            contact = replace(contact, code=_new_code(contact))
        try:
            (resolved,) = importer.resolve([contact])
        except spec.ContactsInvalid as exc:
            raise ContactRefused(exc.errors) from None
        values = resolved.values()
        if contact.position is None:
            values["position"] = _next_position(resolved)
        if row is None:
            row = Contact(**values)
            _save_row(row, None)
            _log(user, gettext_noop("Directory: %(name)s (%(code)s) added"), row)
            return row
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        if changed:
            for k in changed:
                setattr(row, k, values[k])
            _save_row(row, changed)
            names = ", ".join(k.removesuffix("_id") for k in changed)
            _log(
                user, gettext_noop("Directory: %(name)s (%(code)s) changed: %(fields)s"), row, names
            )
    return row


def delete_contact(user, pk: int) -> Contact:
    _require(user)
    with transaction.atomic():
        row = Contact.objects.select_for_update().filter(pk=pk).first()
        if row is None:
            raise ValidationError(_("There is no contact with id %(id)s.") % {"id": pk})
        _log(user, gettext_noop("Directory: %(name)s (%(code)s) deleted"), row)
        row.delete()
    return row


def import_file(
    user, data: bytes, *, name: str = spec.DEFAULT_NAME, replace: bool = False
) -> ImportCounts:
    """Import a directory CSV file, all or nothing; raises ContactsInvalid with every error
    (each naming its line and column) and then writes nothing."""
    _require(user)
    contacts = spec.parse_contacts(data, name)
    with transaction.atomic():
        counts = importer.import_contacts(contacts, replace=replace, name=name)
        if counts.changed:
            record_change(
                user,
                log_text(
                    gettext_noop(
                        "Directory imported from %(file)s: %(created)s added, "
                        "%(updated)s changed, %(deleted)s deleted"
                    ),
                    file=name,
                    created=counts.created,
                    updated=counts.updated,
                    deleted=counts.deleted,
                ),
            )
    return counts


def _log(user, message: str, row: Contact, fields: str = "") -> None:
    links = [f"contact:{row.code}"]
    if row.site_id:
        links.append(f"site:{row.site.code}")
    record_change(user, log_text(message, name=row.name, code=row.code, fields=fields), links)


def _save_row(row: Contact, fields: list[str] | None) -> None:
    """Save, turning the race of two people giving one code at once into the usual error."""
    try:
        with transaction.atomic():
            row.save(update_fields=fields)
    except IntegrityError:
        raise ContactRefused(_code_taken(row.code, row.pk) or _code_taken(row.code, None)) from None


def _code_taken(code: str, pk: int | None) -> list[ContactError]:
    taken = Contact.objects.filter(code=code).exclude(pk=pk).first()
    if taken is None:
        return []
    return [
        error(
            "code_taken",
            "code %(value)r is already the code of %(other)s",
            "code",
            value=code,
            other=taken.name,
        )
    ]


def _new_code(contact: spec.Contact) -> str:
    """``ARL-garde-de-reanimation``, or with ``-2``, ``-3``… when it is taken."""
    stem = "-".join(p for p in (contact.site, slugify(contact.name)) if p) or "contact"
    stem = stem[: spec.MAX_LENGTH["code"] - 6]
    code, n = stem, 1
    while Contact.objects.filter(code=code).exists():
        n += 1
        code = f"{stem}-{n}"
    return code


def _next_position(resolved: importer.Resolved) -> int:
    """After the last contact of the same group (site and service, or category)."""
    c = resolved.contact
    same = Contact.objects.filter(
        kind=c.kind,
        site_id=resolved.site_id,
        service_id=resolved.service_id,
        category=c.category,
    )
    last = same.aggregate(last=Max("position"))["last"]
    return min((last or 0) + 1, spec.MAX_POSITION)
