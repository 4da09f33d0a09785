"""The web pages: the care-status board, the map's lists, and the network changes.

Views stay thin: they read through `impact_cache` and the models, and change state only
through `crisiscell.inventory.actions`. Change routes answer htmx with the re-rendered row,
a notice saying what the change did to care, and an ``HX-Trigger: network-changed`` header
that makes the board (and anything else listening) fetch itself again. Without JavaScript
the same forms post normally and are redirected back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from crisiscell.engine.groupmap import HOST_ROLES, HOST_STATES, NOT_SERVING
from crisiscell.engine.impact import Impact, SituationInvalid
from crisiscell.inventory import actions
from crisiscell.inventory import models as m

from . import impact_cache, labels

PAGE_SIZE = 100
STATUS_ORDER = ("normal", "degraded", "down")


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _page_context(request: HttpRequest, nav: str, **extra) -> dict:
    """What every full page needs: the active nav entry, the user's right, the internet state."""
    group = m.Group.objects.first()
    roles = [
        labels.label(labels.ROLE, name)
        for name in request.user.groups.values_list("name", flat=True)
    ]
    return {
        "nav": nav,
        "group": group,
        "can_change": actions.can_change_network(request.user),
        # no right at all (an observer): said next to the name, so nobody looks for buttons
        "read_only": not request.user.get_all_permissions(),
        "user_roles": roles,
        **extra,
    }


def _impact_now(*, reasons: bool) -> impact_cache.Now:
    try:
        return impact_cache.impact_now(reasons=reasons)
    except SituationInvalid:
        # The map was re-imported between reading it and reading the situation: read again.
        impact_cache.clear()
        return impact_cache.impact_now(reasons=reasons)


def _page(request: HttpRequest, queryset, extra_params: dict[str, str]):
    """A page of `queryset` and the query string that keeps the filters across pages."""
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    keep = urlencode({k: v for k, v in extra_params.items() if v})
    return page, keep


def _int_param(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------


@dataclass
class ServiceRow:
    id: str
    name: str
    criticality: str
    status: str
    reasons: list
    missing: list[tuple[str, str]]


@dataclass
class SiteBlock:
    id: str
    name: str
    kind: str
    counts: dict[str, int]
    rows: list[ServiceRow]
    isolated_zones: list


def _board_filters(request: HttpRequest, now: impact_cache.Now) -> tuple[str, bool]:
    site = request.GET.get("site", "")
    if site and not now.map.gm.has("sites", site):
        site = ""
    return site, request.GET.get("problems") == "1"


def _board_context(request: HttpRequest) -> dict:
    now = _impact_now(reasons=True)
    gm = now.map.gm
    impact: Impact = now.impact
    site_filter, problems_only = _board_filters(request, now)
    isolated_by_site: dict[str | None, list] = {}
    for zone in m.Zone.objects.filter(isolated=True).select_related("site"):
        isolated_by_site.setdefault(zone.site.code if zone.site else None, []).append(zone)

    blocks: list[SiteBlock] = []
    vital_hit: list[tuple[str, ServiceRow]] = []
    for site in now.map.sites:
        rows = []
        counts = dict.fromkeys(STATUS_ORDER, 0)
        for service in now.map.services_by_site.get(site.id, ()):
            si = impact.services[service.id]
            counts[si.status] += 1
            row = ServiceRow(
                id=service.id,
                name=service.name,
                criticality=service.criticality,
                status=si.status,
                reasons=labels.reason_lines(si.reasons),
                missing=labels.missing_apps(si.reasons, gm),
            )
            if si.status != "normal" and service.criticality == "vital":
                vital_hit.append((site.name, row))
            if problems_only and si.status == "normal":
                continue
            rows.append(row)
        if site_filter and site.id != site_filter:
            continue
        # A site without care services (a datacenter) shows only when asked for by name.
        has_services = bool(now.map.services_by_site.get(site.id))
        if not rows and (problems_only or (not has_services and not site_filter)):
            continue
        blocks.append(
            SiteBlock(
                site.id,
                site.name,
                labels.label(labels.SITE_KIND, site.kind),
                counts,
                rows,
                isolated_by_site.get(site.id, []),
            )
        )
    situation = now.situation
    host_counts = Counter(situation.host_states.values())
    query = urlencode(
        {k: v for k, v in (("site", site_filter), ("problems", "1" if problems_only else "")) if v}
    )
    return {
        "empty_map": now.map.empty,
        "counts": impact.counts(),
        "total": len(impact.services),
        "vital_hit": vital_hit,
        "blocks": blocks,
        "sites": now.map.sites,
        "site_filter": site_filter,
        "problems_only": problems_only,
        "board_query": query,
        "not_serving": sum(n for state, n in host_counts.items() if state in NOT_SERVING),
        "suspected": host_counts.get("suspected", 0),
        "isolated_count": len(situation.isolated_zones),
        "blocked_count": len(situation.blocked_flows),
        "internet_cut": situation.internet_cut,
        "computed_at": timezone.localtime(),
    }


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    ctx = _board_context(request)
    if not ctx["empty_map"] and actions.can_change_network(request.user):
        ctx["zones_by_site"] = _zones_by_site()
    return render(request, "web/board.html", _page_context(request, "board", **ctx))


@require_GET
def board_content(request: HttpRequest) -> HttpResponse:
    """The board's live part alone, fetched by htmx every few seconds and after each change."""
    return render(request, "web/_board_content.html", _board_context(request))


def _zones_by_site() -> list[tuple[str, list]]:
    """Zones grouped by site for the board's isolation form, in map order."""
    groups: dict[str, list] = {}
    for zone in m.Zone.objects.select_related("site").order_by("site_id", "id"):
        groups.setdefault(zone.site.name if zone.site else _("No site"), []).append(zone)
    return list(groups.items())


# ---------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------


@require_GET
def zone_list(request: HttpRequest) -> HttpResponse:
    site = request.GET.get("site", "")
    q = request.GET.get("q", "").strip()
    zones = m.Zone.objects.select_related("site").annotate(host_count=Count("hosts")).order_by("id")
    if site:
        zones = zones.filter(site__code=site)
    if q:
        zones = zones.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(site__name__icontains=q)
        )
    if request.GET.get("isolated") == "1":
        zones = zones.filter(isolated=True)
    page, keep = _page(
        request, zones, {"site": site, "q": q, "isolated": request.GET.get("isolated", "")}
    )
    ctx = {
        "page": page,
        "keep": keep,
        "q": q,
        "site_filter": site,
        "isolated_only": request.GET.get("isolated") == "1",
        "sites": m.Site.objects.all(),
    }
    return render(request, "web/zones.html", _page_context(request, "zones", **ctx))


@require_GET
def flow_list(request: HttpRequest) -> HttpResponse:
    site = request.GET.get("site", "")
    q = request.GET.get("q", "").strip()
    flows = m.Flow.objects.select_related("source__site", "target__site").order_by("id")
    if site:
        flows = flows.filter(Q(source__site__code=site) | Q(target__site__code=site))
    if q:
        flows = flows.filter(
            Q(source__code__icontains=q)
            | Q(target__code__icontains=q)
            | Q(ports__icontains=q)
            | Q(purpose__icontains=q)
        )
    if request.GET.get("cut") == "1":
        flows = flows.filter(Q(blocked=True) | Q(source__isolated=True) | Q(target__isolated=True))
    page, keep = _page(request, flows, {"site": site, "q": q, "cut": request.GET.get("cut", "")})
    ctx = {
        "page": page,
        "keep": keep,
        "q": q,
        "site_filter": site,
        "cut_only": request.GET.get("cut") == "1",
        "sites": m.Site.objects.all(),
    }
    return render(request, "web/flows.html", _page_context(request, "flows", **ctx))


def _hosts_queryset():
    return m.Host.objects.select_related("zone__site", "state_changed_by").prefetch_related(
        Prefetch("app_links", queryset=m.ApplicationHost.objects.select_related("application"))
    )


@require_GET
def host_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    zone = request.GET.get("zone", "")
    hosts = _hosts_queryset().order_by("id")
    if q:
        hosts = hosts.filter(
            Q(code__icontains=q)
            | Q(zone__code__icontains=q)
            | Q(zone__site__code__iexact=q)
            | Q(zone__site__name__icontains=q)
            | Q(ip__startswith=q)
        )
    if state in HOST_STATES:
        hosts = hosts.filter(state=state)
    elif state == "not_ok":
        hosts = hosts.exclude(state="ok")
    if zone:
        hosts = hosts.filter(zone__code=zone)
    role = request.GET.get("role", "")
    if role in HOST_ROLES:
        hosts = hosts.filter(role=role)
    page, keep = _page(request, hosts, {"q": q, "state": state, "zone": zone, "role": role})
    ctx = {
        "page": page,
        "keep": keep,
        "q": q,
        "state_filter": state,
        "zone_filter": zone,
        "role_filter": role,
        "states": _state_choices(),
        "roles": [(r, labels.label(labels.HOST_ROLE, r)) for r in HOST_ROLES],
    }
    return render(request, "web/hosts.html", _page_context(request, "hosts", **ctx))


def _state_choices() -> list[tuple[str, str]]:
    return [(s, labels.label(labels.HOST_STATE, s)) for s in HOST_STATES]


@dataclass
class AppRow:
    id: str
    name: str
    rto_hours: float | None
    hosts: int
    hosts_serving: int
    needs: tuple[str, ...]
    zones: list[str]
    services: int


@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip().lower()
    now = _impact_now(reasons=False)
    gm = now.map.gm
    states = now.situation.host_states
    rows = []
    for app in gm.applications:
        if q and q not in app.id.lower() and q not in app.name.lower():
            continue
        serving = sum(1 for h in app.hosts if states.get(h, "ok") not in NOT_SERVING)
        rows.append(
            AppRow(
                app.id,
                app.name,
                app.rto_hours,
                len(app.hosts),
                serving,
                app.needs,
                sorted(now.impact.available_from.get(app.id, ())),
                now.map.services_needing.get(app.id, 0),
            )
        )
    page, keep = _page(request, rows, {"q": q})
    ctx = {"page": page, "keep": keep, "q": q, "zone_total": len(gm.zones)}
    return render(request, "web/applications.html", _page_context(request, "applications", **ctx))


# ---------------------------------------------------------------------------
# Changes
# ---------------------------------------------------------------------------


class Refused(Exception):
    """Input a change route cannot act on, answered with `status` and the message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _problem(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """An error answer: the message in the notice area for htmx, a small page otherwise."""
    if _is_htmx(request):
        response = render(
            request, "web/_notice.html", {"notice": message, "level": "error"}, status=status
        )
        response["HX-Retarget"] = "#notice"
        response["HX-Reswap"] = "innerHTML"
        return response
    ctx = _page_context(request, "", message=message, status=status)
    return render(request, "web/problem.html", ctx, status=status)


def change_route(view):
    """POST only, for users whose role may change the network; errors become clear answers."""

    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not actions.can_change_network(request.user):
            return _problem(
                request, 403, _("Your role does not allow changing the network's state.")
            )
        try:
            return view(request, *args, **kwargs)
        except Refused as exc:
            return _problem(request, exc.status, str(exc))
        except PermissionDenied as exc:
            return _problem(request, 403, str(exc) or _("Not allowed."))
        except ValidationError as exc:
            return _problem(request, 400, " ".join(exc.messages))

    return wrapper


def _get(model, pk: int, message: str):
    """The row `pk` of `model`, or a 404 saying `message` (which may use %(id)s)."""
    try:
        return model.objects.get(pk=pk)
    except model.DoesNotExist:
        raise Refused(404, message % {"id": pk}) from None


def _flag(request: HttpRequest, name: str) -> bool:
    value = request.POST.get(name)
    if value not in ("0", "1"):
        raise Refused(
            400, _("Missing or invalid field “%(name)s” (expected 0 or 1).") % {"name": name}
        )
    return value == "1"


def _consequence(before: Impact, after: Impact) -> str:
    """What the change did to care, in one sentence."""
    moved: Counter[str] = Counter()
    for sid, si in after.services.items():
        old = before.services.get(sid)
        if old is None or old.status == si.status:
            continue
        worse = STATUS_ORDER.index(si.status) > STATUS_ORDER.index(old.status)
        moved["worse" if worse else "better"] += 1
    counts = after.counts()
    now = _("Now: %(normal)d normal, %(degraded)d degraded, %(down)d down.") % counts
    if not moved:
        return _("No care service changed status.") + " " + now
    parts = []
    if moved["worse"]:
        n = moved["worse"]
        parts.append(
            ngettext("%(n)d care service got worse", "%(n)d care services got worse", n) % {"n": n}
        )
    if moved["better"]:
        n = moved["better"]
        parts.append(
            ngettext("%(n)d care service recovered", "%(n)d care services recovered", n) % {"n": n}
        )
    return ", ".join(parts) + ". " + now


def _change(
    request: HttpRequest, act, *, row_template: str, row_context, done_message
) -> HttpResponse:
    """Run one change through its action and answer htmx or a plain form post.

    `act()` validates, calls the action and returns the changed object; `row_context(obj)`
    gives the context of its re-rendered row; `done_message(obj)` says what was done."""
    before = _impact_now(reasons=False).impact
    obj = act()
    after = _impact_now(reasons=False).impact
    notice = f"{done_message(obj)} {_consequence(before, after)}"
    if not _is_htmx(request):
        messages.success(request, notice)
        return HttpResponseRedirect(_back(request))
    ctx = row_context(obj)
    ctx.update({"notice": notice, "level": "ok", "can_change": True, "states": _state_choices()})
    response = render(request, row_template, ctx)
    response["HX-Trigger"] = "network-changed"
    return response


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.headers.get("Referer") or reverse("board")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("board")


@change_route
def host_state(request: HttpRequest, pk: int) -> HttpResponse:
    host = _get(m.Host, pk, _("There is no host with id %(id)s."))

    def act():
        state = request.POST.get("state", "")
        if state not in HOST_STATES:
            raise Refused(
                400,
                _("Unknown host state “%(state)s” (expected one of: %(states)s).")
                % {"state": state, "states": ", ".join(HOST_STATES)},
            )
        return actions.set_host_state(request.user, host.pk, state)

    return _change(
        request,
        act,
        row_template="web/_host_row.html",
        row_context=lambda h: {"host": _hosts_queryset().get(pk=h.pk)},
        done_message=lambda h: (
            _("Host %(host)s is now %(state)s.")
            % {"host": h.code, "state": labels.label(labels.HOST_STATE, h.state)}
        ),
    )


@change_route
def zone_isolation(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:  # the board's form names the zone in a field
        pk = _int_param(request.POST.get("zone"))
        if pk is None:
            raise Refused(400, _("Choose a zone."))
    zone = _get(m.Zone, pk, _("There is no zone with id %(id)s."))

    def done(z):
        if z.isolated:
            return _("Zone %(zone)s is isolated.") % {"zone": z.code}
        return _("Zone %(zone)s is reconnected.") % {"zone": z.code}

    return _change(
        request,
        lambda: actions.set_zone_isolated(request.user, zone.pk, _flag(request, "isolated")),
        row_template="web/_zone_row.html",
        row_context=lambda z: {
            "zone": m.Zone.objects.select_related("site")
            .annotate(host_count=Count("hosts"))
            .get(pk=z.pk)
        },
        done_message=done,
    )


@change_route
def flow_blocking(request: HttpRequest, pk: int) -> HttpResponse:
    flow = _get(m.Flow, pk, _("There is no flow with id %(id)s."))

    def done(f):
        name = f"{f.source.code} → {f.target.code}"
        if f.blocked:
            return _("Flow %(flow)s is blocked.") % {"flow": name}
        return _("Flow %(flow)s is open again.") % {"flow": name}

    return _change(
        request,
        lambda: actions.set_flow_blocked(request.user, flow.pk, _flag(request, "blocked")),
        row_template="web/_flow_row.html",
        row_context=lambda f: {
            "flow": m.Flow.objects.select_related("source__site", "target__site").get(pk=f.pk)
        },
        done_message=done,
    )


@change_route
def internet(request: HttpRequest) -> HttpResponse:
    def done(g):
        return _("Internet is cut.") if g.internet_cut else _("Internet is restored.")

    return _change(
        request,
        lambda: actions.set_internet_cut(request.user, _flag(request, "cut")),
        row_template="web/_internet.html",
        row_context=lambda g: {"group": g},
        done_message=done,
    )


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """Every 404 of the product, in the product's page and language, with its reason when a
    view gave one (`Http404("There is no such plan.")`)."""
    reason = exception.args[0] if exception is not None and exception.args else None
    if not isinstance(reason, str) or not reason:
        reason = _("There is no such page.")
    return _problem(request, 404, reason)
