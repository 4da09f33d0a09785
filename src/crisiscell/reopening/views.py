"""The reopening plan's pages: the plan (printable for the network team), the step form,
and the routes that move a step.

Everyone logged in reads the plan. Writing steps, ticking checks, marking a step done and
rolling it back need the network role; approving needs the crisis director's. Views are
thin: changes go through `crisiscell.reopening.actions`. Forms post normally and are
redirected back to the step with a notice; a refused move shows the plan again with the
message and status 400 (403 for a role that may not, 404 for a step that is not in the
plan). Each move's form carries the status its page showed, so a stale page is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import wraps

from django.contrib import messages
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from crisiscell.crisis.log import active_crisis
from crisiscell.crisis.roles import APPROVE_CUTS, NETWORK
from crisiscell.engine.cuts import CareChange
from crisiscell.inventory import models as m
from crisiscell.web import labels
from crisiscell.web.views import (
    Refused,
    _consequence,
    _impact_now,
    _int_param,
    _page_context,
    _problem,
)
from crisiscell.web.views_crisis import _render, change_route

from . import actions, plan
from .models import STATUS_LABELS, Check, Step

#: Codes listed at most in the form's hints (what is cut now): a region has thousands.
HINT_LIMIT = 60
#: Services a step restores that the plan lists open; beyond, each site's list is folded.
CARE_SHOWN_OPEN = 15
STATUS_RANK = {"down": 0, "degraded": 1, "normal": 2}
FORM_FIELDS = ("title", "zones", "flows", "internet", "ports", "hosts", "checks", "notes")

_NO_PLAN = gettext_lazy("Your role does not allow changing the reopening plan.")
_NO_APPROVE = gettext_lazy("Your role does not allow approving a reopening step.")


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------


@dataclass
class FlowLine:
    key: str
    mapped: str  # the map's ports
    now: str  # "blocked", "open", "cut" (an end zone isolated), "gone"
    filter_now: str  # the filter in force now ("" = all mapped ports)

    @property
    def label(self) -> str:
        return self.key.replace("->", " → ", 1)


@dataclass
class ZoneLine:
    code: str
    name: str
    isolated: bool | None  # None: no longer in the map


@dataclass
class CareRow:
    change: CareChange
    reasons: list


@dataclass
class SiteCare:
    """A site's services that a step gives back, and the gist of it in one line."""

    name: str
    rows: list[CareRow]
    moves: list[tuple[str, str, int]]  # (before, after, how many services), worst first
    vital: list[str]  # the vital services among them, by name


@dataclass
class StepView:
    step: Step
    number: int
    current: bool
    zones: list[ZoneLine]
    flows: list[FlowLine]
    prerequisites: list[plan.Prerequisite]
    checks: list[Check]
    care: list[SiteCare]
    ready: bool  # every prerequisite met
    #: why the next move is not possible yet ("" when it is)
    waiting: str = ""
    moves: list[str] = field(default_factory=list)  # "approve", "done", "rollback"

    @property
    def unmet(self) -> int:
        return sum(1 for p in self.prerequisites if not p.met)

    @property
    def care_count(self) -> int:
        return sum(len(site.rows) for site in self.care)

    @property
    def care_open(self) -> bool:
        """Short lists show whole; long ones (a region) show each site's gist first."""
        return self.care_count <= CARE_SHOWN_OPEN


def _step_views(request: HttpRequest, steps: list[Step]) -> list[StepView]:
    now = _impact_now(reasons=False)
    gm = now.map.gm
    care = plan.care_by_step(steps, gm, now.map.cm, now.situation)
    host_states = plan.host_states_of(steps)
    zone_rows = {
        z.code: z
        for z in m.Zone.objects.filter(code__in={c for s in steps for c in s.zones}).only(
            "code", "name", "isolated"
        )
    }
    keys = {key for s in steps for key in s.flows}
    pairs = [p for p in map(plan.flow_key, keys) if p is not None]
    candidates = m.Flow.objects.select_related("source", "target").filter(
        source__code__in={p[0] for p in pairs}, target__code__in={p[1] for p in pairs}
    )
    flow_rows = {f"{f.source.code}->{f.target.code}": f for f in candidates}
    site_names = {s.id: s.name for s in gm.sites}
    progress = plan.progress(steps)
    can_plan = actions.can_plan(request.user)
    can_approve = actions.can_approve(request.user)
    last_done = next((s for s in reversed(steps) if s.status == "done"), None)
    first_open = next((s for s in steps if s.status != "done"), None)

    views = []
    for k, step in enumerate(steps, 1):
        prereqs = plan.prerequisites(step, host_states)
        ready = all(p.met for p in prereqs)
        by_site: dict[str, list[CareRow]] = {}
        for change in care.get(step.pk, ()):
            by_site.setdefault(change.site, []).append(
                CareRow(change, labels.reason_lines(change.reasons))
            )
        moves, waiting = [], ""
        if step.status in ("planned", "rolled_back"):
            if not ready:
                waiting = _("Prerequisites not met: it cannot be approved yet.")
            elif can_approve:
                moves.append("approve")
        elif step.status == "approved":
            if first_open is not None and first_open.pk != step.pk:
                waiting = _("Steps before it are not done yet.")
            elif not ready:
                waiting = _("Prerequisites not met any more: it cannot be done.")
            elif can_plan:
                moves.append("done")
        elif step.status == "done" and can_plan and last_done and last_done.pk == step.pk:
            moves.append("rollback")
        views.append(
            StepView(
                step=step,
                number=k,
                current=progress is not None and progress.step.pk == step.pk,
                zones=[_zone_line(c, zone_rows.get(c)) for c in step.zones],
                flows=[_flow_line(key, flow_rows.get(key)) for key in step.flows],
                prerequisites=prereqs,
                checks=list(step.checks.all()),
                care=[_site_care(site_names.get(c, c), rows) for c, rows in by_site.items()],
                ready=ready,
                waiting=waiting,
                moves=moves,
            )
        )
    return views


def _site_care(name: str, rows: list[CareRow]) -> SiteCare:
    moves = Counter((r.change.before, r.change.after) for r in rows)
    order = sorted(moves, key=lambda m: (STATUS_RANK[m[0]], STATUS_RANK[m[1]]))
    vital = [r.change.name for r in rows if r.change.criticality == "vital"]
    return SiteCare(name, rows, [(b, a, moves[(b, a)]) for b, a in order], vital)


def _zone_line(code: str, zone: m.Zone | None) -> ZoneLine:
    if zone is None:
        return ZoneLine(code, "", None)
    return ZoneLine(code, zone.name, zone.isolated)


def _flow_line(key: str, flow: m.Flow | None) -> FlowLine:
    if flow is None:
        return FlowLine(key, "", "gone", "")
    if flow.blocked:
        now = "blocked"
    elif flow.source.isolated or flow.target.isolated:
        now = "cut"
    else:
        now = "open"
    return FlowLine(key, flow.ports, now, flow.allowed_ports)


def _plan_context(request: HttpRequest) -> dict:
    steps = list(
        Step.objects.filter(plan.plan_filter())
        .order_by("position", "id")
        .select_related("created_by", "approved_by", "done_by", "rolled_back_by", "changed_by")
        .prefetch_related(
            Prefetch(
                "checks", queryset=Check.objects.select_related("done_by").order_by("position")
            )
        )
    )
    group = m.Group.objects.first()
    return {
        "steps": _step_views(request, steps),
        "progress": plan.progress(steps),
        "done_count": sum(1 for s in steps if s.status == "done"),
        "crisis": active_crisis(),
        "can_plan": actions.can_plan(request.user),
        "can_approve": actions.can_approve(request.user),
        "internet_cut": bool(group and group.internet_cut),
        "status_labels": STATUS_LABELS,
    }


@require_GET
def plan_page(request: HttpRequest) -> HttpResponse:
    return _plan_full(request)


def _plan_full(request: HttpRequest, status: int = 200) -> HttpResponse:
    ctx = _page_context(request, "reopening", **_plan_context(request))
    return _render(request, "reopening/plan.html", ctx, status)


# ---------------------------------------------------------------------------
# Moves
# ---------------------------------------------------------------------------


def _route(perm: str, refusal):
    """POST only, the role checked, refusals shown on the plan; an id that names nothing
    in the plan is a 404 with its message."""

    def decorate(view):
        @wraps(view)
        def inner(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except ObjectDoesNotExist as exc:
                raise Refused(404, str(exc) or _("Not found.")) from None

        return change_route(perm, refusal, _plan_full)(inner)

    return decorate


def _seen(request: HttpRequest) -> str:
    seen = request.POST.get("expected_status", "")
    if not seen:
        raise Refused(400, _("The form does not say which status it showed: reload the page."))
    return seen


def _moved(request: HttpRequest, step: Step, notice: str) -> HttpResponse:
    messages.success(request, notice)
    return HttpResponseRedirect(f"{reverse('reopening')}#step-{step.pk}")


@_route(APPROVE_CUTS, _NO_APPROVE)
def step_approve(request: HttpRequest, pk: int) -> HttpResponse:
    step = actions.approve_step(request.user, pk, _seen(request))
    return _moved(request, step, _("Step “%(title)s” approved.") % {"title": step.title})


@_route(NETWORK, _NO_PLAN)
def step_done(request: HttpRequest, pk: int) -> HttpResponse:
    before = _impact_now(reasons=False).impact
    step = actions.mark_done(request.user, pk, _seen(request))
    after = _impact_now(reasons=False).impact
    notice = _("Step “%(title)s” done.") % {"title": step.title}
    return _moved(request, step, f"{notice} {_consequence(before, after)}")


@_route(NETWORK, _NO_PLAN)
def step_rollback(request: HttpRequest, pk: int) -> HttpResponse:
    before = _impact_now(reasons=False).impact
    step = actions.roll_back(request.user, pk, _seen(request))
    after = _impact_now(reasons=False).impact
    notice = _("Step “%(title)s” rolled back.") % {"title": step.title}
    return _moved(request, step, f"{notice} {_consequence(before, after)}")


@_route(NETWORK, _NO_PLAN)
def step_delete(request: HttpRequest, pk: int) -> HttpResponse:
    step = actions.delete_step(request.user, pk, _seen(request))
    messages.success(request, _("Step “%(title)s” removed from the plan.") % {"title": step.title})
    return HttpResponseRedirect(reverse("reopening"))


@_route(NETWORK, _NO_PLAN)
def check_tick(request: HttpRequest, pk: int) -> HttpResponse:
    done = request.POST.get("done")
    if done not in ("0", "1"):
        raise Refused(
            400, _("Missing or invalid field “%(name)s” (expected 0 or 1).") % {"name": "done"}
        )
    check = actions.tick_check(request.user, pk, done == "1")
    if check.done:
        notice = _("Check ticked: %(check)s") % {"check": check.text}
    else:
        notice = _("Check no longer ticked: %(check)s") % {"check": check.text}
    return _moved(request, check.step, notice)


# ---------------------------------------------------------------------------
# The step form
# ---------------------------------------------------------------------------


def planner_only(view):
    """Only a role that may change the plan reaches the form, whatever the method."""

    @require_http_methods(["GET", "POST"])
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not actions.can_plan(request.user):
            return _problem(request, 403, str(_NO_PLAN))
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return _problem(request, 403, str(exc))

    return wrapper


def _lines(text: str) -> list[str]:
    """Codes typed one per line (commas and semicolons also separate zones and hosts)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _codes(text: str) -> list[str]:
    return [c.strip() for line in _lines(text) for c in line.replace(";", ",").split(",")]


def _posted(request: HttpRequest) -> tuple[actions.StepInput, dict[str, str]]:
    post = request.POST
    values = {name: post.get(name, "") for name in FORM_FIELDS}
    data = actions.StepInput(
        title=values["title"],
        notes=values["notes"],
        zones=_codes(values["zones"]),
        flows=_lines(values["flows"]),
        internet=values["internet"] == "1",
        ports=values["ports"],
        hosts=_codes(values["hosts"]),
        checks=_lines(values["checks"]),
    )
    return data, values


def _values_of(step: Step) -> dict[str, str]:
    return {
        "title": step.title,
        "zones": "\n".join(step.zones),
        "flows": "\n".join(step.flows),
        "internet": "1" if step.internet else "",
        "ports": step.ports,
        "hosts": "\n".join(step.hosts),
        "checks": "\n".join(c.text for c in step.checks.all()),
        "notes": step.notes,
    }


def _hints() -> dict:
    """What is cut now, to copy into the form: isolated zones, blocked flows, hosts not ok."""
    zones = list(m.Zone.objects.filter(isolated=True).values_list("code", flat=True)[:HINT_LIMIT])
    flows = [
        f"{s}->{t}"
        for s, t in m.Flow.objects.filter(blocked=True).values_list("source__code", "target__code")[
            :HINT_LIMIT
        ]
    ]
    hosts = list(
        m.Host.objects.exclude(state="ok").order_by("id").values_list("code", "state")[:HINT_LIMIT]
    )
    group = m.Group.objects.first()
    return {
        "cut_zones": zones,
        "cut_flows": flows,
        "hosts_not_ok": [(c, labels.label(labels.HOST_STATE, s)) for c, s in hosts],
        "hint_limit": HINT_LIMIT,
        "internet_cut": bool(group and group.internet_cut),
    }


def _form_page(
    request: HttpRequest,
    step: Step | None,
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or {}
    ctx = _page_context(
        request,
        "reopening",
        step=step,
        form=values,
        errors={k: v for k, v in errors.items() if k != NON_FIELD_ERRORS},
        general_errors=errors.get(NON_FIELD_ERRORS, []),
        revision=values.get("revision") or (step.revision if step else ""),
        **_hints(),
    )
    return _render(request, "reopening/form.html", ctx, status)


def _save(request: HttpRequest, step: Step | None) -> HttpResponse:
    data, values = _posted(request)
    values["revision"] = request.POST.get("revision", "")
    try:
        if step is None:
            saved = actions.create_step(request.user, data)
            notice = _("Step “%(title)s” added to the plan.") % {"title": saved.title}
        else:
            revision = _int_param(request.POST.get("revision"))
            if revision is None:
                raise ValidationError(
                    _("The form does not say which version it showed: open it again.")
                )
            saved = actions.update_step(request.user, step.pk, data, revision)
            notice = _("Step “%(title)s” saved.") % {"title": saved.title}
    except Step.DoesNotExist as exc:
        return _problem(request, 404, str(exc))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            return _form_page(request, step, values, exc.message_dict, status=400)
        return _form_page(request, step, values, {NON_FIELD_ERRORS: exc.messages}, status=400)
    messages.success(request, notice)
    return HttpResponseRedirect(f"{reverse('reopening')}#step-{saved.pk}")


def _step_or_404(request: HttpRequest, pk: int) -> Step | HttpResponse:
    """A step of the plan, or the 404 answer (steps of a closed crisis are not in it)."""
    step = Step.objects.filter(plan.plan_filter(), pk=pk).first()
    if step is None:
        return _problem(request, 404, _("There is no step with id %(id)s.") % {"id": pk})
    return step


@planner_only
def step_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    return _form_page(request, None, dict.fromkeys(FORM_FIELDS, ""))


@planner_only
def step_edit(request: HttpRequest, pk: int) -> HttpResponse:
    step = _step_or_404(request, pk)
    if isinstance(step, HttpResponse):
        return step
    if request.method == "POST":
        return _save(request, step)
    if step.status == "done":
        messages.error(request, _("A done step is rolled back before it is changed."))
        return HttpResponseRedirect(f"{reverse('reopening')}#step-{step.pk}")
    return _form_page(request, step, _values_of(step))
