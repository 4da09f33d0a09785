"""The kit password sheet: one page per site with the password that opens its encrypted
kits, printed once and sealed in an envelope kept where the standalone PCs are. The
password stays the same from one regeneration to the next; making a new one (after an
envelope was opened or lost) takes effect at the next regeneration."""

from __future__ import annotations

from collections.abc import Collection

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisiscell.documents import render_pdf
from crisiscell.documents.protect import new_password
from crisiscell.inventory.group_time import group_timezone
from crisiscell.inventory.snapshot import load_map

from .build import check_choice, site_passwords
from .models import SitePassword


def sheet(sites: Collection[str] | None = None, *, lang: str = "fr", user=None) -> bytes:
    """The password sheet of ``sites`` (every site by default) as a PDF, one page a site."""
    gm = load_map()
    check_choice(gm, sites, None)
    names = {s.id: s.name for s in gm.sites}
    chosen = sorted(sites) if sites else sorted(names)
    passwords = site_passwords(chosen, user)
    now = timezone.now()
    SitePassword.objects.filter(site__in=chosen).update(printed_at=now)
    tz = group_timezone()
    with translation.override(lang):
        data = {
            "lang": lang,
            "generated": now.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
            "labels": {
                "title": _("Downtime kit passwords"),
                "page": _("Page"),
                "confidential": _("Secret: seal in an envelope; never with the kits"),
                "password": _("Password of the encrypted kits"),
                "how": _(
                    "Every kit naming a patient is an encrypted PDF. Open it on the "
                    "standalone PC or the USB key with this password, typed with its hyphens."
                ),
                "keep": _(
                    "Seal this page in an envelope, sign across the flap, and keep it with "
                    "the crisis binder of the site. Whoever opens it writes their name and the "
                    "time on the envelope and tells the crisis cell, which makes a new password."
                ),
                "opened": _("Opened by / date and time:"),
            },
            "sites": [{"id": s, "name": names[s], "password": passwords[s]} for s in chosen],
        }
    return render_pdf("kit_passwords", data)


def renew(site: str, user=None) -> str:
    """Give ``site`` a new kit password (its envelope was opened or lost)."""
    with transaction.atomic():
        row, _created = SitePassword.objects.select_for_update().get_or_create(
            site=site,
            defaults={"password": new_password(), "created_at": timezone.now(), "created_by": user},
        )
        if not _created:
            row.password = new_password()
            row.created_at = timezone.now()
            row.created_by = user
            row.printed_at = None
            row.save()
    return row.password
