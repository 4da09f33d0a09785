"""The pages of patient notification: the messages of an approved plan (counts, the send
button), each care service's call list with its ticks, and the encrypted call-list PDF.

Who may do what: a role holding ``continuity.approve_plan`` (scheduler, medical director)
sends the messages; one holding ``continuity.manage_appointments`` (with care managers)
sees the call lists, prints them and records the calls. These pages show patient data,
so other roles get 403 even to read them. Changes are POSTs, through `notify`.

The PDF's password: asking for the PDF shows a page with a fresh random password and a
download link; the password waits in the user's own session (server side) for at most
`PASSWORD_TTL`, and the download uses it up. It is shown that once, and never sent with
the file.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages as notices
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.crisis.roles import APPOINTMENTS, APPROVE_PLAN
from crisiscell.inventory.group_time import group_timezone
from crisiscell.inventory.models import CareService
from crisiscell.web import offers
from crisiscell.web.views import _page_context, _problem
from crisiscell.web.views_crisis import _render

from . import call_list, messages, notify
from .models import NOTIFICATION_STATUSES, Notification, Plan, PlanRow

#: How long a shown password waits for its download.
PASSWORD_TTL = 15 * 60
_SESSION_KEY = "continuity_call_list_pdfs"
_MAX_OFFERS = 5  # at most this many passwords waiting in one session


STATUS_LABELS = {
    "queued": gettext_lazy("to send"),
    "sending": gettext_lazy("sending"),
    "sent": gettext_lazy("sent"),
    "failed": gettext_lazy("failed"),
    "reached": pgettext_lazy("call outcome", "reached"),
    "unreached": pgettext_lazy("call outcome", "not reached"),
}
_TO_CALL = gettext_lazy("to call")
CHANNEL_LABELS = {
    "sms": gettext_lazy("SMS"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone (call list)"),
    "letter": gettext_lazy("Letter"),
}


def _can_read(user) -> bool:
    return user.has_perm(APPOINTMENTS) or user.has_perm(APPROVE_PLAN)


def _guard(check, refusal):
    """Only users passing `check` reach the view; refused actions become clear answers."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not check(request.user):
                return _problem(request, 403, str(refusal))
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return _problem(request, 403, str(exc) or str(refusal))
            except ValidationError as exc:
                return _problem(request, 400, " ".join(exc.messages))

        return wrapper

    return decorate


_NO_READ = gettext_lazy("Your role does not allow seeing the patients' messages.")
_NO_SEND = gettext_lazy("Your role does not allow sending the patients' messages.")
_NO_CALLS = gettext_lazy("Your role does not allow using the call lists.")


def _plan(pk: int) -> Plan | None:
    return Plan.objects.filter(pk=pk).first()


def _no_plan(request: HttpRequest, pk: int) -> HttpResponse:
    return _problem(request, 404, _("There is no plan #%(id)s.") % {"id": pk})


def _not_approved(request: HttpRequest, plan: Plan) -> HttpResponse:
    return _problem(
        request,
        400,
        _("Plan #%(id)s is %(status)s: only an approved plan's patients are told.")
        % {"id": plan.pk, "status": plan.status_label},
    )


# ---------------------------------------------------------------------------
# The plan's messages
# ---------------------------------------------------------------------------


@require_GET
@_guard(_can_read, _NO_READ)
def notify_page(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(pk)
    if plan is None:
        return _no_plan(request, pk)
    counts = {
        c: dict.fromkeys(NOTIFICATION_STATUSES, 0) for c in ("sms", "email", "phone", "letter")
    }
    notifications = Notification.objects.filter(row__plan=plan)
    for channel, status in notifications.values_list("channel", "status"):
        counts.setdefault(channel, dict.fromkeys(NOTIFICATION_STATUSES, 0))[status] += 1
    pending = sum(counts[c]["queued"] + counts[c]["failed"] for c in notify.SENT_CHANNELS)
    moved = PlanRow.objects.filter(plan=plan, decision="moved").count()
    # rows not queued yet: their SMS and e-mails are pending too (queued by the send)
    unqueued = PlanRow.objects.filter(
        plan=plan,
        decision="moved",
        notification__isnull=True,
        notified_by__in=notify.SENT_CHANNELS,
    ).count()
    return _render(
        request,
        "continuity/notify_plan.html",
        _page_context(
            request,
            "continuity",
            plan=plan,
            approved=plan.status == "approved",
            moved=moved,
            statuses=[STATUS_LABELS[s] for s in NOTIFICATION_STATUSES],
            table=[
                (CHANNEL_LABELS.get(c, c), [counts[c][s] for s in NOTIFICATION_STATUSES])
                for c in counts
            ],
            pending=pending + (unqueued if plan.status == "approved" else 0),
            review=notifications.filter(needs_review=True).count(),
            configured={c: bool(settings.NOTIFY_URLS.get(c)) for c in notify.SENT_CHANNELS},
            can_send=request.user.has_perm(APPROVE_PLAN),
            can_call=request.user.has_perm(APPOINTMENTS),
            services=call_list.services(plan),
        ),
    )


@require_POST
@_guard(lambda u: u.has_perm(APPROVE_PLAN), _NO_SEND)
def send(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(pk)
    if plan is None:
        return _no_plan(request, pk)
    if plan.status != "approved":
        return _not_approved(request, plan)
    report = notify.send_pending(request.user, plan)
    text = _("%(sent)s message(s) sent, %(failed)s failed, %(skipped)s already handled.") % {
        "sent": report.sent,
        "failed": report.failed,
        "skipped": report.skipped,
    }
    if report.review:
        text += " " + _(
            "%(n)s interrupted send(s) were put on the call lists: they are not sent again."
        ) % {"n": report.review}
    (notices.warning if report.failed or report.review else notices.success)(request, text)
    return HttpResponseRedirect(reverse("continuity-notify", args=[plan.pk]))


# ---------------------------------------------------------------------------
# Call lists
# ---------------------------------------------------------------------------


def _service_known(plan: Plan, service: str) -> bool:
    return (
        CareService.objects.filter(code=service).exists()
        or PlanRow.objects.filter(plan=plan, appointment__service=service).exists()
    )


@require_GET
@_guard(lambda u: u.has_perm(APPOINTMENTS), _NO_CALLS)
def call_list_page(request: HttpRequest, pk: int, service: str) -> HttpResponse:
    """The call list of one care service: the page with the ticks (default), the password
    page (``?pdf=1``), or the encrypted PDF itself (``?download=TOKEN``)."""
    plan = _plan(pk)
    if plan is None:
        return _no_plan(request, pk)
    if plan.status != "approved":
        return _not_approved(request, plan)
    if not _service_known(plan, service):
        return _problem(request, 404, _("There is no care service “%(s)s”.") % {"s": service[:100]})
    # a moved row gets its notification at the first look: the phone-only patients show
    notify.queue_notifications(plan)
    if "download" in request.GET:
        return _download(request, plan, service, request.GET["download"][:100])
    place = messages.places([service])[service]
    base = _page_context(request, "continuity", plan=plan, service=service, place=place)
    if request.GET.get("pdf"):
        token, password = _offer(request, plan, service)
        return _render(
            request,
            "continuity/notify_password.html",
            {
                **base,
                "password": password,
                "download": reverse("continuity-call-list", args=[plan.pk, service])
                + f"?download={token}",
                "minutes": PASSWORD_TTL // 60,
                "count": call_list.listed(plan, service, to_call_only=True).count(),
            },
        )
    tz = group_timezone()
    language = translation.get_language() or "fr"
    day_language = language if language in messages.LANGUAGES else "fr"
    rows = [
        {
            "n": n,
            "status": STATUS_LABELS[n.status] if n.status in ("reached", "unreached") else _TO_CALL,
            "why": call_list.why(n),
            "old": call_list.when(n.row.original_start, day_language, tz),
            "new": call_list.when(n.row.new_start, day_language, tz),
        }
        for n in call_list.listed(plan, service)
    ]
    return _render(
        request,
        "continuity/notify_call_list.html",
        {**base, "rows": rows, "to_call": sum(r["n"].status != "reached" for r in rows)},
    )


def _offer(request: HttpRequest, plan: Plan, service: str) -> tuple[str, str]:
    """A fresh password and the token of its one download, kept in the user's session."""
    what = {"plan": plan.pk, "service": service}
    return offers.offer(request, _SESSION_KEY, what, ttl=PASSWORD_TTL, most=_MAX_OFFERS)


def _take(request: HttpRequest, token: str, plan: Plan, service: str) -> str | None:
    """The password of `token` if it is this user's, for this list, and fresh; used up."""
    found = offers.take(request, _SESSION_KEY, token)
    if found is None or found["plan"] != plan.pk or found["service"] != service:
        return None
    return found["password"]


def _download(request: HttpRequest, plan: Plan, service: str, token: str) -> HttpResponse:
    password = _take(request, token, plan, service)
    if password is None:
        return _problem(
            request,
            410,
            _(
                "This download link was used already or has expired. Ask for the PDF again: "
                "it comes with a new password."
            ),
        )
    language = translation.get_language() or "fr"
    pdf = call_list.render(plan, service, password, tz=group_timezone(), language=language)
    count = call_list.listed(plan, service, to_call_only=True).count()
    with transaction.atomic():
        record_change(
            request.user,
            log_text(
                gettext_noop(
                    "Call list printed (encrypted PDF): care service %(service)s, reprogramming "
                    "plan #%(id)s, %(n)s patients to call"
                ),
                service=service,
                id=plan.pk,
                n=count,
            ),
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(plan, service)}"'
    response["Cache-Control"] = "no-store"
    return response


def _filename(plan: Plan, service: str) -> str:
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in service)
    return f"call-list-{safe}-plan{plan.pk}.pdf"


@require_POST
@_guard(lambda u: u.has_perm(APPOINTMENTS), _NO_CALLS)
def reached(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a call: ``outcome`` is ``reached`` or ``unreached``."""
    outcome = request.POST.get("outcome", "")
    if outcome not in ("reached", "unreached"):
        return _problem(request, 400, _("Say whether the patient was reached."))
    if not Notification.objects.filter(pk=pk).exists():
        return _problem(request, 404, _("There is no message #%(id)s.") % {"id": pk})
    n = notify.mark_reached(request.user, pk, outcome == "reached")
    row = PlanRow.objects.select_related("appointment").get(pk=n.row_id)
    back = reverse("continuity-call-list", args=[row.plan_id, row.appointment.service])
    target = request.POST.get("next") or back
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = back
    name = row.appointment.patient_name or row.appointment.patient_id
    notices.success(
        request,
        (_("%(name)s: reached.") if outcome == "reached" else _("%(name)s: not reached."))
        % {"name": name},
    )
    return HttpResponseRedirect(target + f"#n{n.pk}")
