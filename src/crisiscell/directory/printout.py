"""The printable directory (Typst template ``documents/typst/directory.typ``).

One page per site that has contacts: its care services and their direct numbers, with
the crisis cell's numbers on top; then a last page with the crisis cell and the external
contacts. Printing one site gives that site's page alone. Words are translated in the
active language; the time is the group's.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from crisiscell.documents import render_pdf
from crisiscell.inventory.models import Group, Site
from crisiscell.web import labels

from .listing import group
from .models import CATEGORY_LABELS, Contact


def _contact(c: Contact) -> dict:
    return {
        "name": c.name,
        "function": c.function,
        "phone": c.phone,
        "phone_alt": c.phone_alt,
        "available": c.available,
        "email": c.email,
        "notes": c.notes,
    }


def build(*, tz: tzinfo, site: Site | None = None, at: datetime | None = None) -> dict:
    """The document's data: every contact (or one site's and the crisis cell's)."""
    at = at or timezone.now()
    contacts = Contact.objects.select_related("site", "service")
    if site is not None:
        contacts = contacts.filter(site=site, kind="internal") | contacts.filter(kind="crisis_cell")
    directory = group(contacts)
    sites = []
    for s in directory.sites:
        groups = []
        for g in s.services:
            title = g.service.name if g.service is not None else _("Whole site")
            groups.append(
                {
                    "title": title,
                    "whole_site": g.service is None,
                    "contacts": [_contact(c) for c in g.contacts],
                }
            )
        sites.append(
            {
                "name": s.site.name,
                "code": s.site.code,
                "kind": labels.label(labels.SITE_KIND, s.site.kind),
                "contacts": s.count,
                "groups": groups,
            }
        )
    external = [
        {
            "title": str(CATEGORY_LABELS.get(g.category, g.category)),
            "contacts": [_contact(c) for c in g.contacts],
        }
        for g in directory.external
    ]
    tz_name = getattr(tz, "key", str(tz))
    generated = timezone.localtime(at, tz).strftime("%d/%m/%Y %H:%M")
    return {
        "lang": (get_language() or "fr")[:2],
        "group": str(Group.objects.first() or ""),
        "generated": _("Printed %(when)s (%(tz)s)") % {"when": generated, "tz": tz_name},
        "labels": {
            "title": _("Crisis directory"),
            "page": _("Page"),
            "confidential": _("Direct numbers, for the staff only: not where the public sees"),
            "cell": _("Crisis cell"),
            "call_cell": _("Crisis cell: direct lines"),
            "cell_and_external": _("Crisis cell and external contacts"),
            "also": _("or"),
            "no_cell": _("No number for the crisis cell yet: add one in the directory."),
            "empty": _("The directory is empty."),
        },
        "sites": sites,
        "cell": [_contact(c) for c in directory.cell],
        "external": external,
        # One site asked for: its page alone. The whole directory: the last page too.
        "final": site is None and bool(directory.cell or external),
    }


def render(*, tz: tzinfo, site: Site | None = None, at: datetime | None = None) -> bytes:
    return render_pdf("directory", build(tz=tz, site=site, at=at))
