"""The cell's task board, its decisions and objectives, and the situation briefing PDF.

Like the other pages these views are thin: they read the models and change state only
through `crisiscell.crisis.tasks`. Every change writes in the main courante, so every
change route answers htmx with the re-rendered part, a notice and an
``HX-Trigger: log-changed`` header; a plain form post is redirected back with the notice.
Due times are typed and shown in the group's time zone and stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from crisiscell.crisis import briefing
from crisiscell.crisis import tasks as task_actions
from crisiscell.crisis.log import active_crisis
from crisiscell.crisis.models import (
    OPEN_STATUSES,
    PHASE_LABELS,
    TASK_STATUS_LABELS,
    TASK_STATUSES,
    Crisis,
    Decision,
    Objective,
    Task,
)
from crisiscell.crisis.roles import MANAGE_TASKS, ROLES, RUN_CRISIS
from crisiscell.documents import render_pdf
from crisiscell.inventory import models as m

from . import labels
from .views import Refused, _impact_now, _int_param, _page_context
from .views_crisis import PAGE_SIZE, _changed, _group_tz, _render, change_route

#: The buttons of a task card: where a task in each status may go, and the words for it.
MOVES = {
    "todo": (
        ("in_progress", gettext_lazy("Start")),
        ("done", gettext_lazy("Done")),
        ("cancelled", gettext_lazy("Cancel")),
    ),
    "in_progress": (
        ("done", gettext_lazy("Done")),
        ("todo", gettext_lazy("Back to “to do”")),
        ("cancelled", gettext_lazy("Cancel")),
    ),
    "done": (("todo", gettext_lazy("Reopen")),),
    "cancelled": (("todo", gettext_lazy("Reopen")),),
}
#: What a status reads as, in a word and a symbol (the board reads without colour too).
STATUS_SYMBOL = {"todo": "○", "in_progress": "◐", "done": "✓", "cancelled": "✕"}

_NO_MANAGE = gettext_lazy("Your role does not allow managing tasks.")
_NO_RUN = gettext_lazy("Your role does not allow running the crisis.")


# ---------------------------------------------------------------------------
# Reading: filters, the crisis shown, the board
# ---------------------------------------------------------------------------


@dataclass
class TaskFilters:
    role: str = ""
    person: str = ""
    site: str = ""
    overdue: bool = False
    crisis: int | None = None

    def query(self, **extra) -> str:
        params = {
            "crisis": self.crisis or "",
            "role": self.role,
            "person": self.person,
            "site": self.site,
            "overdue": "1" if self.overdue else "",
            **extra,
        }
        return urlencode({k: v for k, v in params.items() if v})

    @property
    def any(self) -> bool:
        return bool(self.role or self.person or self.site or self.overdue)


def _task_filters(params: QueryDict) -> TaskFilters:
    """The board's filters; a value the board does not know is dropped, not an error."""
    role = params.get("role", "")
    site = params.get("site", "")
    crisis = None
    if params.get("crisis"):
        crisis = _int_param(params.get("crisis"))
        if crisis is None:
            raise Http404(_("There is no such crisis."))
    return TaskFilters(
        role=role if role in ROLES else "",
        person=params.get("person", "").strip()[:150],
        site=site if site and m.Site.objects.filter(code=site).exists() else "",
        overdue=params.get("overdue") == "1",
        crisis=crisis,
    )


def _filters_of_next(request: HttpRequest) -> TaskFilters:
    """After a change, the board shows again what the page showed: the filters its
    address carried (the form's ``next`` field)."""
    query = urlsplit(request.POST.get("next", "")).query
    try:
        return _task_filters(QueryDict(query))
    except Http404:
        return TaskFilters()


def _shown_crisis(filters: TaskFilters) -> Crisis | None:
    """The crisis asked for, else the one under way, else the latest closed one."""
    if filters.crisis is not None:
        crisis = Crisis.objects.filter(pk=filters.crisis).first()
        if crisis is None:
            raise Http404(_("There is no such crisis."))
        return crisis
    return active_crisis() or Crisis.objects.order_by("-opened_at").first()


@dataclass
class Card:
    task: Task
    owner: str
    overdue: bool
    due_input: str  # the due time as the form's field holds it (group time zone)
    moves: list[tuple[str, str]]


@dataclass
class Column:
    status: str
    label: str
    symbol: str
    cards: list[Card]


def _due_input(value: datetime | None, tz: tzinfo) -> str:
    return timezone.localtime(value, tz).strftime("%Y-%m-%dT%H:%M") if value else ""


def _board_context(request: HttpRequest, crisis: Crisis, filters: TaskFilters) -> dict:
    tz = _group_tz()
    now = timezone.now()
    qs = Task.objects.filter(crisis=crisis).select_related("assignee", "site")
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.person:
        qs = qs.filter(assignee__username=filters.person)
    if filters.site:
        qs = qs.filter(site__code=filters.site)
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    by_status: dict[str, list[Card]] = {s: [] for s in TASK_STATUSES}
    for task in qs:
        by_status[task.status].append(
            Card(
                task=task,
                owner=briefing.owner_text(task.role, task.assignee),
                overdue=task.is_overdue(now),
                due_input=_due_input(task.due_at, tz),
                moves=[(s, str(label)) for s, label in MOVES[task.status]],
            )
        )
    for status, cards in by_status.items():
        if status in OPEN_STATUSES:  # overdue first, then by due time, the undated last
            cards.sort(key=lambda c: briefing.due_order(c.task, now))
        else:  # the latest closed first
            cards.sort(key=lambda c: (c.task.updated_at, c.task.pk), reverse=True)
    open_cards = [c for s in OPEN_STATUSES for c in by_status[s]]
    can_manage = request.user.has_perm(MANAGE_TASKS)
    return {
        "columns": [
            Column(s, str(TASK_STATUS_LABELS[s]), STATUS_SYMBOL[s], by_status[s])
            for s in TASK_STATUSES
        ],
        "open_count": len(open_cards),
        "overdue_count": sum(1 for c in open_cards if c.overdue),
        "filters": filters,
        "next": reverse("tasks") + ("?" + filters.query() if filters.query() else ""),
        "writable": crisis.active and can_manage,
        "role_choices": _role_choices(),
        "people": _people(),
        "sites": m.Site.objects.all(),
        "shown": crisis,
    }


def _role_choices() -> list[tuple[str, str]]:
    return [(code, labels.label(labels.ROLE, code)) for code in ROLES]


def _people() -> list[str]:
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .order_by("username")
        .values_list("username", flat=True)
    )


def _objectives_context(request: HttpRequest, crisis: Crisis) -> dict:
    return {
        "objectives": list(Objective.objects.filter(crisis=crisis, active=True)),
        "retired_count": Objective.objects.filter(crisis=crisis, active=False).count(),
        "shown": crisis,
        "writable": crisis.active and request.user.has_perm(MANAGE_TASKS),
    }


def _form_values(source) -> dict:
    return {k: source.get(k, "") for k in ("title", "details", "role", "person", "site", "due")}


def _tasks_context(request: HttpRequest, filters: TaskFilters, form_source=None) -> dict:
    crisis = _shown_crisis(filters)
    ctx = {"shown": crisis, "filters": filters}
    if crisis is None:
        return ctx
    ctx.update(_board_context(request, crisis, filters))
    ctx.update(_objectives_context(request, crisis))
    ctx.update(
        form=_form_values(form_source or {}),
        phase_label=PHASE_LABELS.get(crisis.phase, crisis.phase),
        tz_name=getattr(_group_tz(), "key", ""),
        can_run=request.user.has_perm(RUN_CRISIS),
    )
    return ctx


@require_GET
def tasks_page(request: HttpRequest) -> HttpResponse:
    return _tasks_full(request)


def _tasks_full(request: HttpRequest, status: int = 200) -> HttpResponse:
    filters = _task_filters(request.GET)
    # A refused plain post shows the page again with what was typed.
    source = request.POST if request.method == "POST" else None
    ctx = _tasks_context(request, filters, source)
    return _render(request, "web/tasks.html", _page_context(request, "tasks", **ctx), status)


# ---------------------------------------------------------------------------
# Changes
# ---------------------------------------------------------------------------


def _route(perm: str, refusal, page_on_error):
    """`change_route` (POST only, the role checked, refusals as 4xx), and an id that names
    nothing — a task, an objective, a crisis — as a 404 with its message."""

    def decorate(view):
        @wraps(view)
        def inner(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except ObjectDoesNotExist as exc:
                raise Refused(404, str(exc) or _("Not found.")) from None

        return change_route(perm, refusal, page_on_error)(inner)

    return decorate


def _task_route(view):
    return _route(MANAGE_TASKS, _NO_MANAGE, _tasks_full)(view)


def _task_or_404(pk: int) -> Task:
    task = Task.objects.filter(pk=pk).first()
    if task is None:
        raise Refused(404, _("There is no task with id %(id)s.") % {"id": pk})
    return task


def _crisis_for_form(request: HttpRequest) -> Crisis:
    """The crisis under way, and the one the form was opened for."""
    crisis = active_crisis()
    if crisis is None:
        raise Refused(400, _("No crisis is under way: open one first."))
    wanted = request.POST.get("crisis")
    if wanted and _int_param(wanted) != crisis.pk:
        raise Refused(400, _("The crisis this form was opened for is closed: nothing was written."))
    return crisis


def parse_due(text: str, tz: tzinfo, now: datetime | None = None) -> datetime | None:
    """A due time typed in the group's time zone: ``2026-05-24T08:00`` (what a browser's
    date-time field sends), ``2026-05-24 08:00``, ``24/05/2026 08:00``, or a time alone
    (``08:00``: its next occurrence). Empty: no due time. Raises Refused when unreadable."""
    text = " ".join((text or "").split())
    if not text:
        return None
    value = None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"):
        try:
            value = datetime.strptime(text, fmt)  # naive: the zone is set below
            break
        except ValueError:
            continue
    if value is not None:
        return value.replace(tzinfo=tz)
    for fmt in ("%H:%M", "%Hh%M", "%Hh"):
        try:
            clock = datetime.strptime(text, fmt).time()
            break
        except ValueError:
            continue
    else:
        raise Refused(
            400,
            _(
                "Unreadable due time “%(value)s”: give a date and a time "
                "(e.g. 24/05/2026 08:00) or a time alone (08:00)."
            )
            % {"value": text[:40]},
        )
    local_now = timezone.localtime(now or timezone.now(), tz)
    due = datetime.combine(local_now.date(), time(clock.hour, clock.minute), tzinfo=tz)
    return due if due > local_now else due + timedelta(days=1)


@_task_route
def task_create(request: HttpRequest) -> HttpResponse:
    crisis = _crisis_for_form(request)
    post = request.POST
    task = task_actions.create_task(
        request.user,
        crisis.pk,
        title=post.get("title", ""),
        details=post.get("details", ""),
        role=post.get("role", ""),
        assignee=post.get("person", ""),
        site=post.get("site", ""),
        due_at=parse_due(post.get("due", ""), _group_tz()),
    )
    notice = _("Task “%(title)s” created.") % {"title": task.title}
    filters = _filters_of_next(request)
    ctx = _tasks_context(request, filters)
    return _changed(request, "web/tasks_content.html", ctx, notice, reverse("tasks"))


def _board_changed(request: HttpRequest, notice: str) -> HttpResponse:
    filters = _filters_of_next(request)
    crisis = _shown_crisis(filters)
    ctx = _board_context(request, crisis, filters) if crisis else {}
    return _changed(request, "web/tasks_board.html", ctx, notice, reverse("tasks"))


@_task_route
def task_status(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    seen = request.POST.get("from") or None
    task = task_actions.set_task_status(
        request.user, task.pk, request.POST.get("status", ""), expected_status=seen
    )
    notice = _("Task “%(title)s”: %(status)s.") % {
        "title": task.title,
        "status": TASK_STATUS_LABELS[task.status],
    }
    return _board_changed(request, notice)


@_task_route
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the task to another role or person, and/or move its due time: all or nothing."""
    task = _task_or_404(pk)
    post = request.POST
    due = parse_due(post.get("due", ""), _group_tz())
    with transaction.atomic():
        task = task_actions.reassign(
            request.user, task.pk, role=post.get("role", ""), assignee=post.get("person", "")
        )
        task = task_actions.set_task_due(request.user, task.pk, due)
    notice = _("Task “%(title)s” updated.") % {"title": task.title}
    return _board_changed(request, notice)


@_task_route
def objective_add(request: HttpRequest) -> HttpResponse:
    crisis = _crisis_for_form(request)
    task_actions.add_objective(request.user, crisis.pk, request.POST.get("text", ""))
    ctx = _objectives_context(request, crisis)
    return _changed(
        request, "web/tasks_objectives.html", ctx, _("Objective added."), reverse("tasks")
    )


@_task_route
def objective_retire(request: HttpRequest, pk: int) -> HttpResponse:
    objective = task_actions.retire_objective(request.user, pk)
    ctx = _objectives_context(request, objective.crisis)
    notice = _("Objective withdrawn: %(text)s") % {"text": objective.text}
    return _changed(request, "web/tasks_objectives.html", ctx, notice, reverse("tasks"))


# ---------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------


@dataclass
class DecisionRow:
    decision: Decision
    by: str
    role: str
    entry_href: str


def _decision_rows(crisis: Crisis) -> list[DecisionRow]:
    rows = []
    decisions = (
        Decision.objects.filter(crisis=crisis)
        .select_related("decided_by", "site", "entry")
        .order_by("-decided_at", "-id")
    )
    for d in decisions:
        seq = d.entry.seq
        # seq n sits at row (count - n) of the newest-first timeline.
        page = max(0, crisis.entry_count - seq) // PAGE_SIZE + 1
        href = f"{reverse('timeline')}?{urlencode({'crisis': crisis.pk, 'page': page})}#entry-{seq}"
        rows.append(
            DecisionRow(
                d,
                d.decided_by.get_username() if d.decided_by else d.entry.author,
                labels.label(labels.ROLE, d.entry.role) if d.entry.role else "",
                href,
            )
        )
    return rows


def _decisions_context(request: HttpRequest, crisis: Crisis | None, form_source=None) -> dict:
    ctx = {"shown": crisis}
    if crisis is None:
        return ctx
    crisis.refresh_from_db(fields=["entry_count"])
    source = form_source or {}
    ctx.update(
        rows=_decision_rows(crisis),
        writable=crisis.active and request.user.has_perm(RUN_CRISIS),
        form={k: source.get(k, "") for k in ("title", "rationale", "site")},
        sites=m.Site.objects.all(),
        phase_label=PHASE_LABELS.get(crisis.phase, crisis.phase),
    )
    return ctx


@require_GET
def decisions_page(request: HttpRequest) -> HttpResponse:
    return _decisions_full(request)


def _decisions_full(request: HttpRequest, status: int = 200) -> HttpResponse:
    filters = _task_filters(request.GET)
    source = request.POST if request.method == "POST" else None
    ctx = _decisions_context(request, _shown_crisis(filters), source)
    ctx["filters"] = filters
    page = _page_context(request, "tasks", **ctx)
    return _render(request, "web/decisions.html", page, status)


@_route(RUN_CRISIS, _NO_RUN, _decisions_full)
def decision_record(request: HttpRequest) -> HttpResponse:
    crisis = _crisis_for_form(request)
    post = request.POST
    decision = task_actions.record_decision(
        request.user,
        crisis.pk,
        post.get("title", ""),
        post.get("rationale", ""),
        site=post.get("site", ""),
    )
    notice = _("Decision recorded in the log (entry #%(seq)s).") % {"seq": decision.entry.seq}
    ctx = _decisions_context(request, crisis)
    return _changed(request, "web/decisions_content.html", ctx, notice, reverse("decisions"))


# ---------------------------------------------------------------------------
# The situation briefing (PDF)
# ---------------------------------------------------------------------------


@require_GET
def briefing_pdf(request: HttpRequest) -> HttpResponse:
    """The briefing of the crisis shown, for the crisis meeting, in the reader's language."""
    crisis = _shown_crisis(_task_filters(request.GET))
    if crisis is None:
        raise Http404(_("No crisis has been opened yet."))
    tz = _group_tz()
    at = timezone.now()
    data = briefing.build(
        crisis,
        tz=tz,
        impact=_impact_now(reasons=False),
        prepared_by=request.user.get_username(),
        at=at,
    )
    pdf = render_pdf("briefing", data)
    stamp = timezone.localtime(at, tz).strftime("%Y%m%d-%H%M")
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"briefing-{crisis.pk}-{stamp}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    # Chrome shows a PDF through an internal <embed> page that the site-wide policy
    # (object-src 'none', no inline style) would blank out; a PDF holds no markup to inject.
    response["Content-Security-Policy"] = (
        "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    return response
