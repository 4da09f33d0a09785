"""Downtime kits pages: how fresh each unit's kit is, the census import, print now (a unit or
a whole site, encrypted under a password shown once), and the sites' password sheet."""

from __future__ import annotations

import pikepdf
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.crisis.roles import KIT_PASSWORDS, KITS
from crisiscell.documents.protect import encrypt
from crisiscell.engine import reflex_cards
from crisiscell.engine.census import CensusInvalid
from crisiscell.inventory.snapshot import load_map
from crisiscell.web import offers, uploads
from crisiscell.web.control import refuse_control
from crisiscell.web.views import _page_context, _problem
from crisiscell.web.views_crisis import _render, change_route

from . import build, cards, census, gather, passwords, schedule
from .models import CensusImport, Inpatient

_NO_KITS = gettext_lazy("Your role does not allow handling the downtime kits.")
_NO_PASSWORDS = gettext_lazy("Only the crisis director prints the kit passwords.")
PASSWORD_TTL = 10 * 60
_SESSION_KEY = "kit_offers"


def _sites(rows: list[schedule.Freshness], gm) -> list[dict]:
    names = {s.id: s.name for s in gm.sites}
    out: dict[str, dict] = {}
    for r in rows:
        site = out.setdefault(
            r.site, {"id": r.site, "name": names.get(r.site, r.site), "units": [], "stale": 0}
        )
        site["units"].append(r)
        site["stale"] += r.stale
    return list(out.values())


def _context(request: HttpRequest, **extra) -> dict:
    gm = load_map()
    rows = schedule.freshness(gm)
    return _page_context(
        request,
        "kits",
        sites=_sites(rows, gm),
        stale=sum(r.stale for r in rows),
        total=len(rows),
        period=settings.KIT_EVERY_MINUTES,
        folders=settings.KIT_FOLDERS,
        round=schedule.last_round(),
        census=CensusImport.objects.first(),
        present=Inpatient.objects.count(),
        can_manage=request.user.has_perm(KITS),
        can_passwords=request.user.has_perm(KIT_PASSWORDS),
        **extra,
    )


@require_GET
def kits_page(request: HttpRequest) -> HttpResponse:
    return _render(request, "kits/kits.html", _context(request))


def _again(request: HttpRequest, status: int) -> HttpResponse:
    ctx = _context(request, census_errors=getattr(request, "census_errors", None))
    return _render(request, "kits/kits.html", ctx, status=status)


@change_route(KITS, _NO_KITS, _again)
def census_import(request: HttpRequest) -> HttpResponse:
    data, name = uploads.uploaded(request)
    try:
        batch = census.import_census(request.user, data, name)
    except CensusInvalid as exc:
        request.census_errors = uploads.error_lines(exc.errors)
        messages.error(request, _("Nothing was imported: the file has errors."))
        return _again(request, 400)
    messages.success(
        request, _("Census imported: %(count)s patients present.") % {"count": batch.count}
    )
    return HttpResponseRedirect(reverse("kits"))


@change_route(KITS, _NO_KITS, _again)
def print_now(request: HttpRequest) -> HttpResponse:
    """Offer a kit (a unit, or every unit of a site in one PDF) under a password made for
    this one download: the page shows the password, the link works once."""
    site, unit = request.POST.get("site", ""), request.POST.get("unit", "")
    refuse_control([site, unit])
    gm = load_map()
    services = {s.id: s for s in gm.services}
    try:
        build.check_choice(gm, [site], [unit] if unit else None)
    except build.KitError as exc:
        raise ValidationError(str(exc)) from None
    if unit and services[unit].site != site:
        raise ValidationError(_("Unknown care service: %(id)s.") % {"id": unit})
    what = {"site": site, "unit": unit}
    token, password = offers.offer(request, _SESSION_KEY, what, ttl=PASSWORD_TTL, most=10)
    name = services[unit].name if unit else next(s.name for s in gm.sites if s.id == site)
    ctx = _page_context(
        request,
        "kits",
        what=name,
        password=password,
        download=reverse("kits-download", args=[token]),
        minutes=PASSWORD_TTL // 60,
    )
    return _render(request, "kits/print.html", ctx)


@require_GET
def download(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.has_perm(KITS):
        return _problem(request, 403, str(_NO_KITS))
    offer = offers.take(request, _SESSION_KEY, token)
    if offer is None:
        return _problem(
            request,
            410,
            _("This download link was used already or has expired. Ask for the kit again."),
        )
    site, unit = offer["site"], offer["unit"]
    lang = translation.get_language() or "fr"
    kits = gather.kits(
        load_map(), timezone.now(), sites=[site], units=[unit] if unit else None, lang=lang
    )
    made = build.make(kits, {site: offer["password"]}, lang=lang)
    pdf = _merge(made, offer["password"])
    record_change(
        request.user,
        log_text(
            gettext_noop("Downtime kit printed (encrypted PDF): %(what)s, %(n)s patients"),
            what=f"{site}/{unit}" if unit else site,
            n=sum(m.patients for m in made),
        ),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = build.relative_path(site, unit or "all").split("/")[-1]
    response["Content-Disposition"] = f'attachment; filename="kit-{name}"'
    return response


def _merge(made: list[build.Made], password: str) -> bytes:
    """One PDF of the kits ``made`` (opened with ``password`` when encrypted), encrypted."""
    import io

    out = pikepdf.new()
    opened = []
    for m in made:
        doc = pikepdf.open(io.BytesIO(m.data), password=password if m.encrypted else "")
        opened.append(doc)
        out.pages.extend(doc.pages)
    buffer = io.BytesIO()
    out.save(buffer)
    for doc in opened:
        doc.close()
    return encrypt(buffer.getvalue(), password)


@require_GET
def password_sheet(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(KIT_PASSWORDS):
        return _problem(request, 403, str(_NO_PASSWORDS))
    site = request.GET.get("site") or None
    lang = translation.get_language() or "fr"
    try:
        pdf = passwords.sheet([site] if site else None, lang=lang, user=request.user)
    except build.KitError as exc:
        return _problem(request, 400, str(exc))
    record_change(
        request.user,
        log_text(gettext_noop("Kit password sheet printed: %(what)s"), what=site or "all sites"),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="kit-passwords.pdf"'
    return response


# ---------------------------------------------------------------------------
# Reflex cards
# ---------------------------------------------------------------------------


def _cards_context(request: HttpRequest, kind: str | None = None, typed: str | None = None):
    lang = translation.get_language() or "fr"
    rows = []
    for k in reflex_cards.KINDS_WITH_CARDS:
        text, row = cards.current(k, lang)
        rows.append({"kind": k, "row": row, "title": text.splitlines()[0].lstrip("# ")})
    ctx = {"cards": rows, "can_manage": request.user.has_perm(KITS)}
    if kind is not None:
        text, row = cards.current(kind, lang)
        ctx.update(kind=kind, text=text if typed is None else typed, row=row)
    return _page_context(request, "kits", **ctx)


@require_GET
def cards_page(request: HttpRequest, kind: str | None = None) -> HttpResponse:
    if kind is not None and kind not in reflex_cards.KINDS_WITH_CARDS:
        return _problem(request, 404, _("There is no reflex card for %(kind)s.") % {"kind": kind})
    return _render(request, "kits/cards.html", _cards_context(request, kind))


def _card_again(request: HttpRequest, status: int) -> HttpResponse:
    kind = request.resolver_match.kwargs["kind"]
    if kind not in reflex_cards.KINDS_WITH_CARDS:
        return _problem(request, 404, _("There is no reflex card for %(kind)s.") % {"kind": kind})
    ctx = _cards_context(request, kind, request.POST.get("markdown", ""))
    return _render(request, "kits/cards.html", ctx, status=status)


@change_route(KITS, _NO_KITS, _card_again)
def card_save(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in reflex_cards.KINDS_WITH_CARDS:
        return _problem(request, 404, _("There is no reflex card for %(kind)s.") % {"kind": kind})
    if request.POST.get("reset"):
        cards.reset(request.user, kind)
        messages.success(request, _("The card is back to its default."))
    else:
        refuse_control([request.POST.get("markdown", "")])
        cards.save(request.user, kind, request.POST.get("markdown", ""))
        messages.success(request, _("Card saved: the next kits print it."))
    return HttpResponseRedirect(reverse("kits-card", args=[kind]))
