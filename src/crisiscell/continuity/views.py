"""Care continuity pages: the backlog and its burn-down, appointment import, computing a
reprogramming plan with its progress, reviewing it (bound, gap, the hand method beside it)
and approving it.

Views stay thin: appointments go in through `importer`, plans through `compute`.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET

from crisiscell.crisis.roles import APPOINTMENTS, APPROVE_PLAN
from crisiscell.engine import backlog
from crisiscell.engine.appointments import AppointmentsInvalid
from crisiscell.engine.reprogram import PLAN_COLUMNS
from crisiscell.inventory.group_time import group_timezone
from crisiscell.web import uploads
from crisiscell.web.control import CONTROL, refuse_control
from crisiscell.web.views import _impact_now, _page_context
from crisiscell.web.views_crisis import _render, change_route

from . import compute, decisions, importer, reasons, schedule
from .models import Appointment, AppointmentImport, Plan, PlanRow, SchedulerDecision

_NO_MANAGE = gettext_lazy("Your role does not allow managing appointments.")
_NO_APPROVE = gettext_lazy("Your role does not allow approving a reprogramming plan.")
URGENCIES = (1, 2, 3, 4)


def _latest_plan() -> Plan | None:
    return (
        Plan.objects.filter(status="approved").first()
        or Plan.objects.filter(status="ready").first()
    )


def _by_service_and_urgency(plan: Plan) -> list[dict]:
    """Postponed appointments by service and urgency, with the service's name."""
    now = _impact_now(reasons=False)
    names = {s.id: s for s in now.map.gm.services}
    table: dict[str, dict[int, int]] = {}
    rows = PlanRow.objects.filter(plan=plan).exclude(decision="kept")
    for service, urgency in rows.values_list("appointment__service", "appointment__urgency"):
        table.setdefault(service, dict.fromkeys(URGENCIES, 0))[urgency] += 1
    out = []
    for service, counts in sorted(table.items()):
        svc = names.get(service)
        out.append(
            {
                "service": service,
                "name": svc.name if svc else service,
                "site": svc.site if svc else "",
                "counts": [counts[u] for u in URGENCIES],
                "total": sum(counts.values()),
            }
        )
    out.sort(key=lambda r: -r["total"])
    return out


def _chart(plan: Plan) -> str:
    stats = plan.stats or {}
    if not stats.get("burndown"):
        return ""

    def weeks(values):
        return [backlog.Week(date.fromisoformat(d), n) for d, n in values]

    series = {"plan": weeks(stats["burndown"]), "greedy": weeks(stats["greedy_burndown"])}
    labels = {
        "plan": _("this plan"),
        "greedy": pgettext("reprogramming method", "by hand (earliest deadline first)"),
        "week": _("end of week"),
    }
    svg = backlog.burndown_svg(series, labels, _("Appointments still waiting, week by week"))
    return mark_safe(svg)  # noqa: S308 (drawn by our code, every text escaped)


def _backlog_context(request: HttpRequest, **extra) -> dict:
    plan = _latest_plan()
    return _page_context(
        request,
        "continuity",
        appointments=Appointment.objects.count(),
        last_import=AppointmentImport.objects.first(),
        plan=plan,
        table=_by_service_and_urgency(plan) if plan else [],
        urgencies=URGENCIES,
        chart=_chart(plan) if plan else "",
        plans=Plan.objects.select_related("created_by", "approved_by")[:20],
        can_manage=request.user.has_perm(APPOINTMENTS),
        **extra,
    )


@require_GET
def backlog_page(request: HttpRequest) -> HttpResponse:
    return _render(request, "continuity/backlog.html", _backlog_context(request))


def _error_page(request: HttpRequest, status: int) -> HttpResponse:
    ctx = _backlog_context(request, import_errors=getattr(request, "import_errors", None))
    return _render(request, "continuity/backlog.html", ctx, status=status)


@change_route(APPOINTMENTS, _NO_MANAGE, _error_page)
def import_view(request: HttpRequest) -> HttpResponse:
    data, name = uploads.uploaded(request)
    try:
        batch = importer.import_appointments(request.user, data, name)
    except AppointmentsInvalid as exc:
        request.import_errors = uploads.error_lines(exc.errors)
        messages.error(request, _("Nothing was imported: the file has errors."))
        return _error_page(request, 400)
    messages.success(
        request,
        _("%(count)s appointments imported from %(source)s.")
        % {"count": batch.count, "source": batch.source},
    )
    return HttpResponseRedirect(reverse("continuity"))


# ---------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------


def _services_now() -> tuple[list, list, list]:
    """Every care service with its status now, and the ones down and degraded: the form's
    defaults come from the impact engine."""
    now = _impact_now(reasons=False)
    services = [
        (s, now.impact.services[s.id].status)
        for s in sorted(now.map.gm.services, key=lambda s: (s.site, s.name))
    ]
    down = [s.id for s, st in services if st == "down"]
    degraded = [s.id for s, st in services if st == "degraded"]
    return services, down, degraded


def _form_context(request: HttpRequest, decision_form: dict | None = None, **values) -> dict:
    services, down, degraded = _services_now()
    today = timezone.localdate(timezone=group_timezone())
    defaults = {
        "today": today,
        "crisis_until": today + timedelta(days=13),
        "down": down,
        "degraded": degraded,
        "horizon_weeks": 8,
        "notice_days": 2,
        "extra_percent": 0,
        "extra_weeks": 0,
    }
    return _page_context(
        request,
        "continuity",
        services=services,
        form={**defaults, **values},
        decisions=SchedulerDecision.objects.select_related("appointment", "by")[:500],
        decision_count=SchedulerDecision.objects.count(),
        decision_form=decision_form or {},
        can_manage=request.user.has_perm(APPOINTMENTS),
    )


@require_GET
def plan_new(request: HttpRequest) -> HttpResponse:
    return _render(request, "continuity/plan_form.html", _form_context(request))


def _form_again(request: HttpRequest, status: int) -> HttpResponse:
    ctx = _form_context(request, **_posted(request, strict=False))
    return _render(request, "continuity/plan_form.html", ctx, status=status)


def _posted(request: HttpRequest, strict: bool = True) -> dict:
    post = request.POST
    if strict:
        refuse_control(v for _k, vs in post.lists() for v in vs)
    out: dict = {"down": post.getlist("down"), "degraded": post.getlist("degraded")}
    for name in ("today", "crisis_until"):
        try:
            out[name] = date.fromisoformat(post.get(name, ""))
        except ValueError:
            if strict:
                raise ValidationError(_("%(field)s: expected a date.") % {"field": name}) from None
    for name in ("horizon_weeks", "notice_days", "extra_percent", "extra_weeks"):
        try:
            out[name] = int(post.get(name, "0") or 0)
        except ValueError:
            if strict:
                raise ValidationError(
                    _("%(field)s: expected a number.") % {"field": name}
                ) from None
    return out


@change_route(APPOINTMENTS, _NO_MANAGE, _form_again)
def plan_start(request: HttpRequest) -> HttpResponse:
    values = _posted(request)
    req = compute.Request(
        today=values["today"],
        crisis_until=values["crisis_until"],
        down=tuple(values["down"]),
        degraded=tuple(values["degraded"]),
        horizon_weeks=values["horizon_weeks"],
        notice_days=values["notice_days"],
        extra_share=values["extra_percent"] / 100,
        extra_weeks=values["extra_weeks"],
    )
    plan = compute.start_plan(request.user, req, background=not _synchronous())
    return HttpResponseRedirect(reverse("continuity-plan", args=[plan.pk]))


def _decision_again(request: HttpRequest, status: int) -> HttpResponse:
    typed = {k: CONTROL.sub("", request.POST.get(k, "")) for k in ("code", "kind", "day", "note")}
    ctx = _form_context(request, decision_form=typed)
    return _render(request, "continuity/plan_form.html", ctx, status=status)


@change_route(APPOINTMENTS, _NO_MANAGE, _decision_again)
def decision_add(request: HttpRequest) -> HttpResponse:
    post = request.POST
    refuse_control(post.get(k, "") for k in ("code", "kind", "day", "note"))
    day = None
    if post.get("kind") == "pin" and post.get("day"):
        try:
            day = date.fromisoformat(post["day"])
        except ValueError:
            raise ValidationError(_("The day must be a date.")) from None
    decision = decisions.decide(
        request.user, post.get("code", ""), post.get("kind", ""), day, post.get("note", "")
    )
    messages.success(
        request,
        _("Decision recorded for appointment %(code)s; it applies to the next plan computed.")
        % {"code": decision.appointment.code},
    )
    return HttpResponseRedirect(reverse("continuity-plan-new") + "#decisions")


@change_route(APPOINTMENTS, _NO_MANAGE, _decision_again)
def decision_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    decisions.withdraw(request.user, pk)
    messages.success(request, _("Decision withdrawn."))
    return HttpResponseRedirect(reverse("continuity-plan-new") + "#decisions")


def _synchronous() -> bool:
    from django.conf import settings

    return getattr(settings, "CONTINUITY_SYNCHRONOUS", False)


def _plan_or_404(pk: int) -> Plan:
    plan = Plan.objects.select_related("created_by", "approved_by").filter(pk=pk).first()
    if plan is None:
        raise Http404(_("There is no such plan."))
    return plan


def _with_reasons(rows) -> list[PlanRow]:
    """The rows, each with its reason in the reader's language (``reason_label``)."""
    rows = list(rows)
    for r in rows:
        r.reason_label = reasons.label(r.reason)
    return rows


def _plan_context(request: HttpRequest, plan: Plan) -> dict:
    stats = plan.stats or {}
    return _page_context(
        request,
        "continuity",
        plan=plan,
        counts=stats.get("counts", {}),
        greedy_counts=stats.get("greedy_counts", {}),
        stats=stats.get("stats", {}),
        greedy_stats=stats.get("greedy_stats", {}),
        seconds=stats.get("seconds"),
        gap_percent=None if plan.gap is None else plan.gap * 100,
        table=_by_service_and_urgency(plan) if plan.status in ("ready", "approved") else [],
        urgencies=URGENCIES,
        chart=_chart(plan),
        unplaced=_with_reasons(
            PlanRow.objects.filter(plan=plan, decision="unplaced").select_related("appointment")[
                :200
            ]
        ),
        can_approve=request.user.has_perm(APPROVE_PLAN),
    )


@require_GET
def plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, "continuity/plan.html", _plan_context(request, _plan_or_404(pk)))


@require_GET
def plan_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled while the plan computes; once done, the page reloads."""
    plan = _plan_or_404(pk)
    response = _render(request, "continuity/_progress.html", {"plan": plan})
    if plan.status != "computing":
        response["HX-Refresh"] = "true"
    return response


def _plan_again(request: HttpRequest, status: int) -> HttpResponse:
    plan = _plan_or_404(request.resolver_match.kwargs["pk"])
    return _render(request, "continuity/plan.html", _plan_context(request, plan), status=status)


@change_route(APPROVE_PLAN, _NO_APPROVE, _plan_again)
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    plan = compute.approve(request.user, pk, request.POST.get("expected_status", ""))
    messages.success(request, _("Plan #%(id)s approved.") % {"id": plan.pk})
    return HttpResponseRedirect(reverse("continuity-plan", args=[plan.pk]))


@require_GET
def plan_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan as FORMATS.md §3 (ids only: no patient name or number leaves this way)."""
    plan = _plan_or_404(pk)
    tz = group_timezone()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PLAN_COLUMNS)
    rows = PlanRow.objects.filter(plan=plan).select_related("appointment").order_by("id")
    for r in rows.iterator(chunk_size=2000):
        writer.writerow(
            [
                r.appointment.code,
                r.appointment.patient_id,
                r.appointment.service,
                r.decision,
                r.original_start.astimezone(tz).isoformat(),
                r.new_start.astimezone(tz).isoformat() if r.new_start else "",
                "" if r.delay_days is None else r.delay_days,
                r.notified_by,
                r.reason,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}.csv"'
    return response


@require_GET
def schedule_page(request: HttpRequest, pk: int, service: str) -> HttpResponse:
    """One care service's new schedule under the plan, day by day, to print (``from`` and
    ``to`` choose the days: the plan's first week by default, at most 31 days)."""
    plan = _plan_or_404(pk)
    if plan.status not in ("ready", "approved", "superseded"):
        raise Http404(_("This plan has no schedule yet."))
    now = _impact_now(reasons=False)
    svc = next((s for s in now.map.gm.services if s.id == service), None)
    if svc is None or service not in schedule.services(plan):
        raise Http404(_("The plan has no appointment in this service."))
    tz = group_timezone()
    first, last = plan.today, plan.today + timedelta(days=6)
    try:
        first = date.fromisoformat(request.GET.get("from") or first.isoformat())
        last = date.fromisoformat(request.GET.get("to") or (first + timedelta(days=6)).isoformat())
    except ValueError:
        messages.error(request, _("The days must be dates; the plan's first week is shown."))
        first, last = plan.today, plan.today + timedelta(days=6)
    last = min(max(last, first), first + timedelta(days=schedule.MAX_DAYS - 1))
    site = next((s for s in now.map.gm.sites if s.id == svc.site), None)
    ctx = _page_context(
        request,
        "continuity",
        plan=plan,
        service=svc,
        site=site,
        first=first,
        last=last,
        days=schedule.days(plan, service, first, last, tz),
        previous=first - timedelta(days=7),
        next=last + timedelta(days=1),
        printed=timezone.now().astimezone(tz),
    )
    return _render(request, "continuity/schedule.html", ctx)
