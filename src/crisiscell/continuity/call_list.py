"""The printed call list: per care service, the patients a person has to phone about their
moved appointment — those with no mobile number nor e-mail address, and those whose SMS
or e-mail failed or was interrupted (`notify.TO_CALL`) — with their number, the old and
the new date, and boxes to tick: reached, not reached, message left.

The PDF holds names and phone numbers, so it never leaves the server in clear: it is
encrypted with AES-256 (PDF 2.0 security handler, revision 6) under a password made for
that one download (`new_password`). The page that offers the download shows the password
once; whoever prints the list types it in the PDF reader. A copy left in a downloads
folder, forwarded by e-mail or carried on a USB stick is unreadable without it.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from crisiscell.documents import render_pdf
from crisiscell.documents.protect import encrypt

from . import messages
from .models import Notification, Plan
from .notify import ON_CALL_LIST, TO_CALL


def listed(plan: Plan, service: str | None = None, *, to_call_only: bool = False) -> QuerySet:
    """The plan's notifications on the call list (of one care service), in call order:
    the soonest new appointment first."""
    qs = Notification.objects.filter(TO_CALL if to_call_only else ON_CALL_LIST, row__plan=plan)
    if service is not None:
        qs = qs.filter(row__appointment__service=service)
    return qs.select_related("row__appointment", "reached_by").order_by(
        "row__new_start", "row__appointment__patient_name", "pk"
    )


def services(plan: Plan) -> list[dict]:
    """The care services that have patients on the plan's call list, with the counts."""
    counts: dict[str, dict[str, int]] = {}
    for service, status in listed(plan).values_list("row__appointment__service", "status"):
        c = counts.setdefault(service, {"listed": 0, "to_call": 0})
        c["listed"] += 1
        c["to_call"] += status != "reached"
    where = messages.places(counts)
    return [
        {"code": code, "name": where[code].service, "site": where[code].site, **counts[code]}
        for code in sorted(counts, key=lambda c: (where[c].site, where[c].service, c))
    ]


def why(n: Notification) -> str:
    """Why a patient is on the list, in the reader's language."""
    if n.status == "sending" and n.needs_review:
        return _("Sending interrupted: may have received it")
    if n.status == "unreached":
        return _("Not reached yet")
    if n.channel == "sms":
        return _("SMS failed")
    if n.channel == "email":
        return _("E-mail failed")
    return _("No mobile, no e-mail")


def when(at: datetime | None, language: str, tz: tzinfo) -> str:
    """``mardi 21/10/2025 10:00``: the weekday matters on the phone."""
    if at is None:
        return "—"
    t = at.astimezone(tz)
    return f"{messages._DAYS[language][t.weekday()]} {t:%d/%m/%Y %H:%M}"


def _day(at: datetime | None, language: str, tz: tzinfo) -> str:
    return when(at, language, tz).rsplit(" ", 1)[0] if at else "—"


def _time(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%H:%M") if at else ""


def document(
    plan: Plan, service: str, *, tz: tzinfo, language: str = "fr", now: datetime | None = None
) -> dict:
    """The data of the PDF for one care service: every word translated, every time in the
    group's time zone."""
    place = messages.places([service])[service]
    rows = list(listed(plan, service, to_call_only=True))
    day_language = language if language in messages.LANGUAGES else messages.DEFAULT_LANGUAGE
    now = now or timezone.now()
    with translation.override(language):
        return {
            "lang": language,
            "labels": {
                "title": _("Call list"),
                "page": _("Page"),
                "confidential": _("Confidential: patient data. Shred after use."),
                "to_give": _("Number to give the patients"),
                "none": _("none in the directory"),
                "plan": _("Reprogramming plan #%(id)s") % {"id": plan.pk},
                "count": _("Patients to call:"),
                "how": _(
                    "Tell each patient the new date, time and place, and the number above. "
                    "Tick one box per patient, then record the results on the call list page."
                ),
                "empty": _("No patient to call for this service."),
                "headers": [
                    _("Patient"),
                    _("Phone"),
                    _("Was"),
                    _("New appointment"),
                    _("Why on the list"),
                    pgettext("call outcome", "Reached"),
                    pgettext("call outcome", "Not reached"),
                    _("Message left"),
                    _("Notes, initials"),
                ],
            },
            "service": place.service,
            "site": place.site,
            "code": service,
            "phone": place.phone,
            "plan": f"#{plan.pk}",
            "generated": _("Printed %(when)s")
            % {"when": now.astimezone(tz).strftime("%d/%m/%Y %H:%M")},
            "rows": [
                {
                    "name": n.row.appointment.patient_name or "—",
                    "patient": n.row.appointment.patient_id,
                    "language": messages.language_of(n.row.appointment.language).upper(),
                    "phone": n.row.appointment.phone or "—",
                    "email": n.row.appointment.email,
                    "old": _day(n.row.original_start, day_language, tz),
                    "old_time": _time(n.row.original_start, tz),
                    "new": _day(n.row.new_start, day_language, tz),
                    "new_time": _time(n.row.new_start, tz),
                    "minutes": str(n.row.appointment.duration_min),
                    "why": why(n),
                }
                for n in rows
            ],
        }


def render(plan: Plan, service: str, password: str, *, tz: tzinfo, language: str = "fr") -> bytes:
    """The call list of one care service as an encrypted PDF."""
    return encrypt(
        render_pdf("call_list", document(plan, service, tz=tz, language=language)), password
    )
