"""The main courante as a printable PDF: what the hospital hands the police with its
complaint, beside the JSON export that proves it.

Every entry is printed as written (text, author, role, kind, links, the entry it
corrects) with the first characters of its hash; the first page says whether the chain
verified when the PDF was made, gives the full chain head, and tells how to check the
JSON export with no database (`crisiscell log verify-file`).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crisiscell.documents import render_pdf
from crisiscell.engine import ledger
from crisiscell.web import labels

from .log import entries, verify_crisis
from .models import KIND_LABELS, PHASE_LABELS, Crisis

HASH_SHOWN = 16


def _local(at: str, tz: ZoneInfo) -> str:
    try:
        value = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return at
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")


def log_document(crisis: Crisis, tz: ZoneInfo, language: str = "fr") -> dict:
    """The data of the PDF, translated and formatted: plain strings for the template."""
    rows = list(entries(crisis))
    result = verify_crisis(crisis)
    by_hash = {e.hash: e.seq for e in rows}
    with translation.override(language):
        if result.ok:
            verdict = _("Chain verified intact when this document was made: %(n)s entries.") % {
                "n": result.count
            }
        else:
            verdict = _("CHAIN NOT INTACT when this document was made: %(fault)s") % {
                "fault": result.first.message
            }
        return {
            "lang": language,
            "title": _("Crisis log (main courante)"),
            "subject": crisis.title,
            "generated": _("Printed %(when)s")
            % {"when": timezone.now().astimezone(tz).strftime("%d/%m/%Y %H:%M")},
            "page": _("Page"),
            "facts": [
                [_("Crisis"), f"{crisis.pk} — {crisis.title}"],
                [_("Identifier"), crisis.uid],
                [_("Opened"), crisis.opened_at.astimezone(tz).strftime("%d/%m/%Y %H:%M")],
                [
                    _("Closed"),
                    crisis.closed_at.astimezone(tz).strftime("%d/%m/%Y %H:%M")
                    if crisis.closed_at
                    else "—",
                ],
                [_("Phase"), str(PHASE_LABELS.get(crisis.phase, crisis.phase))],
                [_("Entries"), str(result.count)],
                [_("Times shown in"), str(tz)],
                [_("Chain head (SHA-256)"), result.head],
            ],
            "intact": result.ok,
            "verdict": verdict,
            "how": _(
                "Each entry's hash is the SHA-256 of the previous entry's hash and of the "
                "entry itself: changing, removing, adding or moving any entry breaks every "
                "hash after it. The JSON export of this log carries the full hashes; anyone "
                "can check it with no database: crisiscell log verify-file EXPORT.json."
            ),
            "headers": [_("No."), _("Time"), _("Author"), _("Kind"), _("Entry"), _("Hash")],
            "corrects_label": _("corrects entry no. %(seq)s"),
            "entries": [
                {
                    "seq": str(e.seq),
                    "at": _local(e.at, tz),
                    "author": e.author,
                    "role": str(labels.label(labels.ROLE, e.role)) if e.role else "",
                    "kind": str(KIND_LABELS.get(e.kind, e.kind)),
                    "text": e.text,
                    "links": ", ".join(e.links),
                    "corrects": (
                        _("corrects entry no. %(seq)s") % {"seq": by_hash.get(e.corrects, "?")}
                        if e.corrects
                        else ""
                    ),
                    "hash": e.hash[:HASH_SHOWN],
                }
                for e in rows
            ],
            "empty": _("No entry yet."),
            "format": ledger.FORMAT,
        }


def log_pdf(crisis: Crisis, tz: ZoneInfo, language: str = "fr") -> bytes:
    return render_pdf("crisis_log", log_document(crisis, tz, language))
