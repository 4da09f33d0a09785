"""The containment pages: compromise intake, the actions and their care preview, the
isolation planner, and preventive isolation of a site.

Views stay thin: hosts are marked through `crisiscell.inventory.actions`, actions are
moved through `crisiscell.containment.actions`; every form is a plain POST answered by a
redirect with a notice, or by the page again with the error on top (status 4xx) and
nothing changed.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from crisiscell.crisis.roles import NETWORK
from crisiscell.engine import host_list
from crisiscell.engine import isolation as planner
from crisiscell.inventory import actions as network
from crisiscell.inventory import models as m
from crisiscell.web.views import Refused, _impact_now, _page_context
from crisiscell.web.views_crisis import _render, change_route

from . import actions
from .models import KIND_LABELS, KINDS, STATUS_LABELS, Action
from .preview import preview

_NO_NETWORK = gettext_lazy("Your role does not allow changing the network's state.")
MAX_UPLOAD = 5 * 2**20
PLANNER_TIME_LIMIT = 8.0
#: intake states offered in the forms
INTAKE = (
    ("compromised", gettext_lazy("compromised")),
    ("suspected", gettext_lazy("suspected")),
    ("ok", gettext_lazy("clean (ok)")),
)


def _context(request: HttpRequest, **extra) -> dict:
    hosts = m.Host.objects.filter(state__in=("compromised", "suspected")).select_related(
        "zone__site"
    )
    counts = {
        "compromised": hosts.filter(state="compromised").count(),
        "suspected": hosts.filter(state="suspected").count(),
    }
    actions_qs = Action.objects.select_related("proposed_by", "approved_by", "done_by")
    open_actions = actions_qs.filter(status__in=("proposed", "approved", "done"))
    closed = actions_qs.filter(status__in=("reverted", "rejected"))[:200]
    return _page_context(
        request,
        "containment",
        counts=counts,
        recent_hosts=hosts.order_by("-state_changed_at", "code")[:30],
        open_actions=open_actions,
        closed_actions=closed,
        kinds=[(k, KIND_LABELS[k]) for k in KINDS],
        intake=INTAKE,
        sites=m.Site.objects.order_by("name"),
        can_propose=actions.can_propose(request.user),
        can_approve=actions.can_approve(request.user),
        **extra,
    )


@require_GET
def containment(request: HttpRequest) -> HttpResponse:
    return _render(request, "containment/containment.html", _context(request))


def _page_again(request: HttpRequest, status: int) -> HttpResponse:
    return _render(request, "containment/containment.html", _context(request), status=status)


def _done(request: HttpRequest, notice: str, to: str | None = None) -> HttpResponse:
    messages.success(request, notice)
    return HttpResponseRedirect(to or reverse("containment"))


def _marked(changed: list[str], state: str) -> str:
    return ngettext(
        "%(count)s host marked %(state)s.", "%(count)s hosts marked %(state)s.", len(changed)
    ) % {"count": len(changed), "state": _(state)}


def _state(request: HttpRequest) -> str:
    state = request.POST.get("state", "")
    if state not in host_list.INTAKE_STATES:
        raise Refused(400, _("Choose a state: compromised, suspected or clean."))
    return state


# ---------------------------------------------------------------------------
# Compromise intake
# ---------------------------------------------------------------------------


@change_route(NETWORK, _NO_NETWORK, _page_again)
def mark_host(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    name = request.POST.get("host", "").strip()
    index = host_list.HostIndex(m.Host.objects.values_list("code", flat=True))
    code = index.find(name) if name else None
    if code is None:
        raise Refused(400, _("Unknown host %(host)r: nothing was marked.") % {"host": name})
    changed = network.set_host_states(request.user, {code: state}, _("by hand"))
    return _done(request, _marked(changed, state))


@change_route(NETWORK, _NO_NETWORK, _page_again)
def mark_pattern(request: HttpRequest) -> HttpResponse:
    """First post: the hosts the pattern picks, to confirm; second (confirm=1): marked."""
    state = _state(request)
    pattern = request.POST.get("pattern", "").strip()[:200]
    codes = host_list.match_pattern(pattern, m.Host.objects.values_list("code", flat=True))
    if not codes:
        raise Refused(400, _("The pattern %(pattern)r matches no host.") % {"pattern": pattern})
    if request.POST.get("confirm") != "1":
        ctx = _context(
            request,
            pattern=pattern,
            pattern_state=state,
            matches=codes[:200],
            match_count=len(codes),
        )
        return _render(request, "containment/containment.html", ctx)
    source = _("pattern %(pattern)s") % {"pattern": pattern}
    changed = network.set_host_states(request.user, dict.fromkeys(codes, state), source)
    return _done(request, _marked(changed, state))


@change_route(NETWORK, _NO_NETWORK, _page_again)
def mark_list(request: HttpRequest) -> HttpResponse:
    """A pasted or uploaded list: every line checked first; any error, nothing marked."""
    state = _state(request)
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_UPLOAD:
            raise Refused(400, _("The file is larger than 5 MiB."))
        raw = upload.read()
        source = upload.name[:100]
    else:
        raw = request.POST.get("hosts", "").encode()
        source = _("pasted list")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    index = host_list.HostIndex(m.Host.objects.values_list("code", flat=True))
    states, errors = host_list.parse_host_list(text, index, state)
    if errors:
        shown = [str(e) for e in errors[:50]]
        if len(errors) > 50:
            shown.append(_("… and %(n)s more errors.") % {"n": len(errors) - 50})
        ctx = _context(request, list_errors=shown, list_text=text[:20000])
        messages.error(request, _("Nothing was marked: the list has errors."))
        return _render(request, "containment/containment.html", ctx, status=400)
    changed: list[str] = []
    for value in sorted(set(states.values())):
        picked = {h: s for h, s in states.items() if s == value}
        changed += network.set_host_states(request.user, picked, source)
    return _done(
        request,
        ngettext(
            "%(count)s host changed state (%(named)s named).",
            "%(count)s hosts changed state (%(named)s named).",
            len(changed),
        )
        % {"count": len(changed), "named": len(states)},
    )


# ---------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------


@change_route(NETWORK, _NO_NETWORK, _page_again)
def propose(request: HttpRequest) -> HttpResponse:
    action = actions.propose(
        request.user,
        request.POST.get("kind", ""),
        request.POST.get("target", ""),
        request.POST.get("rationale", ""),
        preventive=request.POST.get("preventive") == "1",
    )
    notice = _("Action #%(id)s proposed: check its effect on care before approving it.") % {
        "id": action.pk
    }
    return _done(request, notice, reverse("containment-action", args=[action.pk]))


def _action_or_404(pk: int) -> Action:
    action = (
        Action.objects.filter(pk=pk)
        .select_related("proposed_by", "approved_by", "done_by", "reverted_by", "rejected_by")
        .first()
    )
    if action is None:
        raise Refused(404, _("There is no action #%(id)s.") % {"id": pk})
    return action


def _action_context(request: HttpRequest, action: Action) -> dict:
    now = _impact_now(reasons=True)
    moves = [
        (verb, STATUS_LABELS[status])
        for verb, status, perm in actions.MOVES[action.status]
        if request.user.has_perm(perm)
    ]
    return _page_context(
        request, "containment", action=action, preview=preview(action, now), moves=moves
    )


@require_GET
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        action = _action_or_404(pk)
    except Refused as exc:
        ctx = _page_context(request, "containment", message=str(exc), status=404)
        return _render(request, "web/problem.html", ctx, status=404)
    return _render(request, "containment/action.html", _action_context(request, action))


def _action_again(request: HttpRequest, status: int) -> HttpResponse:
    pk = request.resolver_match.kwargs["pk"]
    action = Action.objects.filter(pk=pk).first()
    if action is None:
        return _page_again(request, status)
    return _render(request, "containment/action.html", _action_context(request, action), status)


@change_route(NETWORK, _NO_NETWORK, _action_again)
def action_move(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    """Every move; the right each needs is checked by `actions.move` (approving needs the
    crisis director's), the route itself by the network right or the approval right."""
    expected = request.POST.get("expected_status", "")
    action = actions.move(request.user, pk, verb, expected)
    notice = _("Action #%(id)s: %(status)s.") % {"id": action.pk, "status": action.status_label}
    return _done(request, notice, reverse("containment-action", args=[action.pk]))


# ---------------------------------------------------------------------------
# The isolation planner
# ---------------------------------------------------------------------------


@require_GET
def plan(request: HttpRequest) -> HttpResponse:
    """Up to three plans side by side for the hosts marked now, each with its exact care
    cost and exposure; a plan can be proposed as actions in one click."""
    now = _impact_now(reasons=False)
    states = {h: s for h, s in now.situation.host_states.items() if s in planner.SOURCE_STATES}
    two_way = request.GET.get("two_way") == "1"
    plans = []
    if states:
        plans = planner.plan_isolation(
            now.map.gm,
            now.situation.host_states,
            alternatives=3,
            time_limit=PLANNER_TIME_LIMIT,
            two_way=two_way,
            cm=now.map.cm,
        )
    names = {s.id: s for s in now.map.gm.services}
    in_force = now.situation
    rows = []
    for p in plans:
        hit = [(names[sid], st) for sid, st in p.services.items() if st != "normal"]
        hit.sort(key=lambda x: (x[1] != "down", x[0].criticality != "vital", x[0].site, x[0].name))
        rows.append(
            {
                "plan": p,
                "hit": hit,
                "down": sum(st == "down" for _s, st in hit),
                "degraded": sum(st == "degraded" for _s, st in hit),
                "vital": sum(s.criticality == "vital" for s, _st in hit),
                "isolate": [(z, z in in_force.isolated_zones) for z in p.isolate],
                "block": [("->".join(k), k in in_force.blocked_flows) for k in p.block],
                "internet_in_force": in_force.internet_cut,
                "empty": not (p.internet_cut or p.isolate or p.block),
            }
        )
    ctx = _page_context(
        request,
        "containment",
        plans=rows,
        sources=len(states),
        footholds=_footholds(now),
        two_way=two_way,
        can_propose=actions.can_propose(request.user),
    )
    return _render(request, "containment/plan.html", ctx)


def _footholds(now) -> list[dict]:
    """The zones the attacker holds, and the clean servers in them: no cut between zones
    protects a server that shares its zone with a compromised host."""
    gm, states = now.map.gm, now.situation.host_states
    rows: dict[str, dict] = {}
    for h in gm.hosts:
        st = states.get(h.id, "ok")
        if st in planner.SOURCE_STATES:
            row = rows.setdefault(
                h.zone, {"zone": h.zone, "compromised": 0, "suspected": 0, "clean_servers": 0}
            )
            row[st] += 1
    for h in gm.hosts:
        if h.zone in rows and h.role == "server" and states.get(h.id, "ok") == "ok":
            rows[h.zone]["clean_servers"] += 1
    return sorted(rows.values(), key=lambda r: r["zone"])


@change_route(NETWORK, _NO_NETWORK, _page_again)
def plan_propose(request: HttpRequest) -> HttpResponse:
    """Propose every cut of a plan as its own action (each approved and done on its own)."""
    zones = request.POST.getlist("isolate")
    flows = request.POST.getlist("block")
    internet = request.POST.get("internet") == "1"
    items = [("internet", "")] if internet else []
    items += [("zone", z) for z in zones] + [("flow", f) for f in flows]
    if not items:
        raise Refused(400, _("The plan has no cut to propose."))
    rationale = request.POST.get("rationale", "")[:2000]
    with transaction.atomic():  # all the plan's actions, or none
        made = [actions.propose(request.user, kind, t, rationale) for kind, t in items]
    return _done(
        request,
        ngettext("%(count)s action proposed.", "%(count)s actions proposed.", len(made))
        % {"count": len(made)},
    )
