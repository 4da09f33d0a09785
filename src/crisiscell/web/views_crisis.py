"""The crisis pages: the crisis under way (phase, sites' modes, chain status) and its log.

Like `views`, these views are thin: they read the models and change state only through
`crisiscell.crisis.actions`. Every change writes in the main courante, so every change route
answers htmx with the re-rendered part, a notice and an ``HX-Trigger: log-changed`` header
(the timeline listens for it); a plain form post is redirected back with the notice.

Times are shown in the group's time zone: the cell reads "03:30" as the night it lived,
whatever the clock of the laptop says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from crisiscell.crisis import actions
from crisiscell.crisis.log import active_crisis, verify_crisis
from crisiscell.crisis.models import (
    KIND_LABELS,
    PHASE_LABELS,
    PHASES,
    SITE_MODE_LABELS,
    SITE_MODES,
    Crisis,
    LogEntry,
    SiteMode,
)
from crisiscell.crisis.roles import RUN_CRISIS, WRITE_LOG
from crisiscell.engine import ledger
from crisiscell.inventory import models as m
from crisiscell.inventory.group_time import group_timezone
from crisiscell.web.control import CONTROL

from . import labels
from .views import Refused, _int_param, _is_htmx, _page_context, _problem

PAGE_SIZE = 100
#: An entry longer than this is a paste gone wrong, not a line of the main courante.
MAX_TEXT = 10_000
SHORT_HASH = 12


# ---------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------


_group_tz = group_timezone


def _render(request: HttpRequest, template: str, ctx: dict, status: int = 200) -> HttpResponse:
    """Render with the group's time zone active, so every ``|date`` shows local time."""
    with timezone.override(_group_tz()):
        return render(request, template, ctx, status=status)


def _rights(request: HttpRequest) -> dict:
    user = request.user
    return {
        "can_run": user.has_perm(RUN_CRISIS),
        "can_write": user.has_perm(WRITE_LOG),
    }


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _changed(request: HttpRequest, template: str, ctx: dict, notice: str, back: str):
    """The answer to a change that went through: the part again for htmx, else a redirect."""
    if not _is_htmx(request):
        messages.success(request, notice)
        return HttpResponseRedirect(_back(request, back))
    response = _render(request, template, {**ctx, "notice": notice, "level": "ok"})
    response["HX-Trigger"] = "log-changed"
    return response


def change_route(perm: str, refusal: str | Promise, page_on_error):
    """POST only, for users holding `perm`; refused input becomes a 4xx with its message.

    htmx gets the message in the notice area (the form keeps what was typed); a plain post
    gets the page again, status 4xx, with the message on top, from `page_on_error`."""

    def decorate(view):
        @require_POST
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(perm):
                return _problem(request, 403, str(refusal))
            try:
                return view(request, *args, **kwargs)
            except Refused as exc:
                status, message = exc.status, str(exc)
            except PermissionDenied as exc:
                return _problem(request, 403, str(exc) or str(refusal))
            except ValidationError as exc:
                status, message = 400, " ".join(exc.messages)
            if _is_htmx(request) or status == 404:
                return _problem(request, status, message)
            messages.error(request, message)
            return page_on_error(request, status)

        return wrapper

    return decorate


def _crisis_or_404(pk: int) -> Crisis:
    crisis = Crisis.objects.filter(pk=pk).first()
    if crisis is None:
        raise Refused(404, _("There is no crisis with id %(id)s.") % {"id": pk})
    return crisis


def _entry_time(at: str) -> datetime | None:
    """The stored UTC text of an entry as an aware datetime (None if it cannot be read)."""
    try:
        value = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


@dataclass
class ChainStatus:
    ok: bool
    count: int
    head: str
    fault: str = ""
    detail: str = ""  # the engine's precise sentence, in English
    faults: int = 0
    #: The entries a fault names, to mark them in the list.
    fault_seqs: frozenset[int] = frozenset()


def _fault_text(fault: ledger.Fault) -> str:
    """The first fault in one translated sentence (the engine's English one says more)."""
    seq = fault.seq
    if fault.kind == "head_mismatch" or (seq is None and fault.kind != "deleted"):
        texts = {
            "head_mismatch": _(
                "the log does not end where the crisis says it does "
                "(entries deleted or added at its end)"
            ),
            "malformed": _("the log is malformed"),
        }
        return str(texts.get(fault.kind, fault.message))
    if seq is None:
        return _("the first entries of the log were deleted")
    texts = {
        "modified": _("entry #%(seq)s was modified after it was written"),
        "deleted": _("entry #%(seq)s was deleted"),
        "inserted": _("entry #%(seq)s was inserted afterwards"),
        "reordered": _("entry #%(seq)s is out of order"),
        "foreign": _("entry #%(seq)s comes from the log of another crisis"),
        "bad_correction": _("entry #%(seq)s corrects an entry that does not come before it"),
        "malformed": _("entry #%(seq)s is malformed"),
    }
    if fault.kind in texts:
        return texts[fault.kind] % {"seq": seq}
    return fault.message


def chain_status(crisis: Crisis) -> ChainStatus:
    """Verify the crisis's whole chain now (a few milliseconds for thousands of entries)."""
    result = verify_crisis(crisis)
    if result.ok:
        return ChainStatus(True, result.count, result.head)
    first = result.first
    return ChainStatus(
        False,
        result.count,
        result.head,
        _fault_text(first) if first else _("the chain does not verify"),
        first.message if first else "",
        len(result.faults),
        frozenset(f.seq for f in result.faults if f.seq is not None),
    )


# ---------------------------------------------------------------------------
# The crisis page
# ---------------------------------------------------------------------------


@dataclass
class PhaseStep:
    code: str
    label: str
    state: str  # done, current, todo
    at: datetime | None


@dataclass
class SiteRow:
    code: str
    name: str
    kind: str
    mode: str
    mode_label: str
    at: datetime | None = None
    by: str = ""


def _phase_steps(crisis: Crisis) -> list[PhaseStep]:
    # The latest change into each phase: a crisis may go back to containment.
    entered = {pc.phase: pc.at for pc in crisis.phase_changes.order_by("at", "id")}
    current = PHASES.index(crisis.phase) if crisis.phase in PHASES else -1
    steps = []
    for i, code in enumerate(PHASES):
        state = "current" if i == current else ("done" if i < current else "todo")
        steps.append(PhaseStep(code, str(PHASE_LABELS[code]), state, entered.get(code)))
    return steps


def _site_rows(crisis: Crisis | None) -> list[SiteRow]:
    latest: dict[int, SiteMode] = {}
    if crisis is not None:
        changes = SiteMode.objects.filter(crisis=crisis).select_related("by").order_by("at", "id")
        latest = {change.site_id: change for change in changes}
    rows = []
    for site in m.Site.objects.all():
        change = latest.get(site.pk)
        mode = change.mode if change else "normal"
        rows.append(
            SiteRow(
                site.code,
                site.name,
                labels.label(labels.SITE_KIND, site.kind),
                mode,
                str(SITE_MODE_LABELS.get(mode, mode)),
                change.at if change else None,
                change.by.get_username() if change and change.by else "",
            )
        )
    return rows


def _crisis_context(request: HttpRequest) -> dict:
    crisis = active_crisis()
    ctx = {
        "crisis": crisis,
        "past": Crisis.objects.filter(active=False).order_by("-opened_at"),
        "phase_choices": [(p, PHASE_LABELS[p]) for p in PHASES if p != "closed"],
        "mode_choices": [(mode, SITE_MODE_LABELS[mode]) for mode in SITE_MODES],
        **_rights(request),
    }
    if crisis is not None:
        ctx.update(
            steps=_phase_steps(crisis),
            sites=_site_rows(crisis),
            chain=chain_status(crisis),
            opened_by=crisis.opened_by.get_username() if crisis.opened_by else "",
            phase_label=PHASE_LABELS.get(crisis.phase, crisis.phase),
        )
    return ctx


@require_GET
def crisis_page(request: HttpRequest) -> HttpResponse:
    return _crisis_full(request)


def _crisis_full(request: HttpRequest, status: int = 200) -> HttpResponse:
    ctx = _page_context(request, "crisis", **_crisis_context(request))
    if request.method == "POST":  # an error page: keep what the user typed
        ctx["title_value"] = request.POST.get("title", "")
    return _render(request, "web/crisis_page.html", ctx, status=status)


def _crisis_changed(request: HttpRequest, notice: str) -> HttpResponse:
    return _changed(
        request,
        "web/crisis_content.html",
        _crisis_context(request),
        notice,
        reverse("crisis"),
    )


_NO_RUN = gettext_lazy("Your role does not allow running the crisis.")
_NO_WRITE = gettext_lazy("Your role does not allow writing in the log.")


def crisis_route(view):
    return change_route(RUN_CRISIS, _NO_RUN, _crisis_full)(view)


@crisis_route
def crisis_open(request: HttpRequest) -> HttpResponse:
    crisis = actions.open_crisis(request.user, request.POST.get("title", ""))
    notice = _("Crisis “%(title)s” opened, phase %(phase)s.") % {
        "title": crisis.title,
        "phase": PHASE_LABELS[crisis.phase],
    }
    return _crisis_changed(request, notice)


@crisis_route
def crisis_phase(request: HttpRequest, pk: int) -> HttpResponse:
    phase = request.POST.get("phase", "")
    crisis = actions.set_phase(request.user, _crisis_or_404(pk).pk, phase)
    if crisis.phase == "closed":
        notice = _("Crisis “%(title)s” is closed.") % {"title": crisis.title}
    else:
        notice = _("The crisis is now in phase %(phase)s.") % {"phase": PHASE_LABELS[phase]}
    return _crisis_changed(request, notice)


@crisis_route
def crisis_close(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = actions.close_crisis(request.user, _crisis_or_404(pk).pk)
    return _crisis_changed(request, _("Crisis “%(title)s” is closed.") % {"title": crisis.title})


@crisis_route
def crisis_site_mode(request: HttpRequest, pk: int) -> HttpResponse:
    crisis = _crisis_or_404(pk)
    mode = request.POST.get("mode", "")
    change = actions.set_site_mode(request.user, crisis.pk, request.POST.get("site", ""), mode)
    notice = _("%(site)s: %(mode)s.") % {"site": change.site.name, "mode": SITE_MODE_LABELS[mode]}
    return _crisis_changed(request, notice)


# ---------------------------------------------------------------------------
# The timeline (main courante)
# ---------------------------------------------------------------------------


@dataclass
class Chip:
    text: str
    href: str = ""
    title: str = ""


@dataclass
class EntryRow:
    seq: int
    at: datetime | None
    at_text: str
    author: str
    role: str
    kind: str
    kind_label: str
    text: str
    hash: str
    chips: list[Chip]
    corrects_seq: int | None = None
    corrects_href: str = ""
    corrected_by: list[tuple[int, str]] = field(default_factory=list)
    is_new: bool = False
    faulty: bool = False  # named by a fault of the chain

    @property
    def short(self) -> str:
        return self.hash[:SHORT_HASH]


@dataclass
class Filters:
    kind: str = ""
    site: str = ""
    author: str = ""
    q: str = ""
    crisis: int | None = None

    def query(self, **extra) -> str:
        params = {
            "crisis": self.crisis or "",
            "kind": self.kind,
            "site": self.site,
            "author": self.author,
            "q": self.q,
            **extra,
        }
        return urlencode({k: v for k, v in params.items() if v})

    @property
    def any(self) -> bool:
        return bool(self.kind or self.site or self.author or self.q)


def _kind_choices() -> list[tuple[str, str]]:
    return [(k, str(KIND_LABELS.get(k, k))) for k in ledger.KINDS]


def _filters(request: HttpRequest) -> Filters:
    """The timeline's filters from the query string; values it does not know are dropped."""
    get = request.GET
    kind = get.get("kind", "")
    site = get.get("site", "")
    crisis = None
    if get.get("crisis"):
        crisis = _int_param(get.get("crisis"))
        if crisis is None:
            raise Http404(_("There is no such crisis."))
    return Filters(
        kind=kind if kind in ledger.KINDS else "",
        site=site if site and m.Site.objects.filter(code=site).exists() else "",
        author=get.get("author", "").strip()[:150],
        q=get.get("q", "").strip()[:200],
        crisis=crisis,
    )


def _shown_crisis(filters: Filters) -> Crisis | None:
    """The crisis asked for, else the one under way, else the latest closed one."""
    if filters.crisis is not None:
        crisis = Crisis.objects.filter(pk=filters.crisis).first()
        if crisis is None:
            raise Http404(_("There is no such crisis."))
        return crisis
    return active_crisis() or Crisis.objects.order_by("-opened_at").first()


def _site_link_filter(qs, code: str):
    link = f"site:{code}"
    if connection.features.supports_json_field_contains:
        return qs.filter(links__contains=[link])
    # SQLite keeps the list as JSON text: match the quoted element, not a prefix of another.
    return qs.filter(links__icontains=f'"{link}"')


def _chips(links, crisis: Crisis, site_names: dict[str, str]) -> list[Chip]:
    chips = []
    for link in links or ():
        kind, sep, value = str(link).partition(":")
        if not sep:
            chips.append(Chip(str(link)))
        elif kind == "site":
            href = reverse("timeline") + "?" + Filters(site=value, crisis=crisis.pk).query()
            chips.append(Chip(site_names.get(value, value), href, str(link)))
        elif kind == "zone":
            chips.append(Chip(str(link), reverse("zones") + "?" + urlencode({"q": value})))
        elif kind == "host":
            chips.append(Chip(str(link), reverse("hosts") + "?" + urlencode({"q": value})))
        elif kind == "flow":
            source = value.partition("->")[0]
            chips.append(
                Chip(
                    value.replace("->", " → "),
                    reverse("flows") + "?" + urlencode({"q": source}),
                    str(link),
                )
            )
        else:
            chips.append(Chip(str(link)))
    return chips


def _timeline_context(request: HttpRequest, filters: Filters) -> dict:
    crisis = _shown_crisis(filters)
    ctx = {
        "shown": crisis,
        "filters": filters,
        "kinds": _kind_choices(),
        "sites": m.Site.objects.all(),
        **_rights(request),
    }
    if crisis is None:
        return ctx
    qs = LogEntry.objects.filter(crisis=crisis)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.author:
        qs = qs.filter(author=filters.author)
    if filters.q:
        qs = qs.filter(text__icontains=filters.q)
    if filters.site:
        qs = _site_link_filter(qs, filters.site)
    page = Paginator(qs.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    chain = chain_status(crisis)
    ctx.update(
        page=page,
        keep=filters.query(),
        poll_query=filters.query(page=str(page.number) if page.number > 1 else ""),
        rows=_rows(crisis, list(page), _seen_count(request, crisis), chain.fault_seqs),
        chain=chain,
        seen=_seen_token(crisis),
        authors=list(
            LogEntry.objects.filter(crisis=crisis)
            .order_by("author")
            .values_list("author", flat=True)
            .distinct()
        ),
        writable=crisis.active and ctx["can_write"],
        phase_label=PHASE_LABELS.get(crisis.phase, crisis.phase),
    )
    return ctx


def _rows(
    crisis: Crisis,
    entries: list[LogEntry],
    seen_count: int | None,
    faulty: frozenset[int] = frozenset(),
) -> list[EntryRow]:
    on_page = {e.seq for e in entries}
    corrected = [e.corrects for e in entries if e.corrects]
    seq_of = dict(
        LogEntry.objects.filter(crisis=crisis, hash__in=corrected).values_list("hash", "seq")
    )
    corrected_by: dict[str, list[int]] = {}
    for target, seq in (
        LogEntry.objects.filter(crisis=crisis, corrects__in=[e.hash for e in entries])
        .order_by("seq")
        .values_list("corrects", "seq")
    ):
        corrected_by.setdefault(target, []).append(seq)
    site_names = dict(m.Site.objects.values_list("code", "name"))

    def href(seq: int) -> str:
        if seq in on_page:
            return f"#entry-{seq}"
        # seq n sits at row (count - n) of the unfiltered newest-first list.
        page = max(0, crisis.entry_count - seq) // PAGE_SIZE + 1
        query = urlencode({"crisis": crisis.pk, "page": page})
        return f"{reverse('timeline')}?{query}#entry-{seq}"

    rows = []
    for e in entries:
        target = seq_of.get(e.corrects) if e.corrects else None
        rows.append(
            EntryRow(
                seq=e.seq,
                at=_entry_time(e.at),
                at_text=e.at,
                author=e.author,
                role=labels.label(labels.ROLE, e.role) if e.role else "",
                kind=e.kind,
                kind_label=str(KIND_LABELS.get(e.kind, e.kind)),
                text=e.text,
                hash=e.hash,
                chips=_chips(e.links, crisis, site_names),
                corrects_seq=target,
                corrects_href=href(target) if target else "",
                corrected_by=[(s, href(s)) for s in corrected_by.get(e.hash, ())],
                is_new=seen_count is not None and e.seq > seen_count,
                faulty=e.seq in faulty,
            )
        )
    return rows


def _seen_token(crisis: Crisis) -> str:
    """What the page has shown: the crisis, its count and its head. Polls send it back."""
    return f"{crisis.pk}-{crisis.entry_count}-{crisis.head}"


def _seen_count(request: HttpRequest, crisis: Crisis) -> int | None:
    pk, _sep, rest = request.GET.get("seen", "").partition("-")
    count = rest.partition("-")[0]
    if pk == str(crisis.pk) and count.isdigit():
        return int(count)
    return None


def _form_context(request: HttpRequest, source, *, crisis: Crisis | None) -> dict:
    """The quick entry form, filled from `source` (a query or a refused post)."""
    form = {
        "kind": source.get("kind", "") if source.get("kind", "") in ledger.KINDS else "event",
        "text": source.get("text", ""),
        "site": source.get("site", ""),
        "corrects": "",
        "corrected": None,
    }
    correct = source.get("correct") or source.get("corrects") or ""
    if correct and crisis is not None and not CONTROL.search(correct):
        target = LogEntry.objects.filter(crisis=crisis, hash=correct).first()
        if target is not None:
            form["corrects"] = target.hash
            form["corrected"] = target
            if "kind" not in source:
                form["kind"] = target.kind
            if "site" not in source:
                sites = [str(x)[5:] for x in target.links or () if str(x).startswith("site:")]
                form["site"] = sites[0] if sites else ""
    return {
        "form": form,
        "form_crisis": crisis,
        "kinds": _kind_choices(),
        "sites": m.Site.objects.all(),
    }


@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    return _timeline_full(request)


def _timeline_full(request: HttpRequest, status: int = 200) -> HttpResponse:
    filters = _filters(request)
    ctx = _timeline_context(request, filters)
    shown = ctx["shown"]
    if ctx.get("writable"):
        source = request.POST if request.method == "POST" else request.GET
        ctx.update(_form_context(request, source, crisis=shown))
    return _render(request, "web/timeline.html", _page_context(request, "timeline", **ctx), status)


@require_GET
def timeline_entries(request: HttpRequest) -> HttpResponse:
    """The live part of the timeline, polled every few seconds and after each change.

    When nothing was appended since what the page shows (the `seen` token it sends back),
    the answer is 204 and the page keeps its list: no flicker, no lost focus."""
    filters = _filters(request)
    crisis = _shown_crisis(filters)
    if crisis is not None and request.GET.get("seen") == _seen_token(crisis):
        return HttpResponse(status=204)
    return _render(request, "web/timeline_entries.html", _timeline_context(request, filters))


@require_GET
def timeline_form(request: HttpRequest) -> HttpResponse:
    """The quick entry form alone, e.g. preset to correct an entry (``?correct=<hash>``)."""
    if not request.user.has_perm(WRITE_LOG):
        return _problem(request, 403, str(_NO_WRITE))
    crisis = active_crisis()
    if crisis is None:
        return _problem(request, 400, _("No crisis is under way."))
    correct = request.GET.get("correct", "")
    if correct and not LogEntry.objects.filter(crisis=crisis, hash=correct).exists():
        return _problem(request, 404, _no_entry(correct))
    ctx = _form_context(request, request.GET, crisis=crisis)
    ctx["autofocus"] = True
    return _render(request, "web/timeline_form.html", ctx)


def _no_entry(fingerprint: str) -> str:
    return _(
        "There is no entry with fingerprint “%(hash)s” in the log of the crisis under way."
    ) % {"hash": fingerprint[:64]}


def _timeline_error_page(request: HttpRequest, status: int) -> HttpResponse:
    return _timeline_full(request, status)


@change_route(WRITE_LOG, _NO_WRITE, _timeline_error_page)
def timeline_write(request: HttpRequest) -> HttpResponse:
    post = request.POST
    crisis = active_crisis()
    if crisis is None:
        raise Refused(400, _("No crisis is under way: open one before writing in the log."))
    wanted = _int_param(post.get("crisis"))
    if post.get("crisis") and wanted != crisis.pk:
        raise Refused(
            400,
            _("The crisis this form was opened for is closed: the entry was not written."),
        )
    kind = post.get("kind", "")
    if kind not in ledger.KINDS:
        raise Refused(
            400,
            _("Unknown kind of entry “%(kind)s” (expected one of: %(kinds)s).")
            % {"kind": kind, "kinds": ", ".join(ledger.KINDS)},
        )
    text = post.get("text", "").strip()
    if not text:
        raise Refused(400, _("An entry needs a text."))
    if len(text) > MAX_TEXT:
        raise Refused(400, _("An entry holds at most %(n)d characters.") % {"n": MAX_TEXT})
    links = []
    code = post.get("site", "")
    if code:
        if not m.Site.objects.filter(code=code).exists():
            raise Refused(400, _("There is no site “%(site)s”.") % {"site": code})
        links.append(f"site:{code}")
    corrects = post.get("corrects", "").strip() or None
    if corrects and not LogEntry.objects.filter(crisis=crisis, hash=corrects).exists():
        raise Refused(400, _no_entry(corrects))
    entry = actions.write_entry(
        request.user, kind=kind, text=text, links=links, corrects=corrects, crisis_id=crisis.pk
    )
    notice = _("Entry #%(seq)s written in the log.") % {"seq": entry.seq}
    # The next entry often concerns the same site and kind: keep them, clear the text.
    ctx = _form_context(request, {"kind": kind, "site": code}, crisis=crisis)
    ctx["autofocus"] = True
    back = reverse("timeline")
    return _changed(request, "web/timeline_form.html", ctx, notice, back)
