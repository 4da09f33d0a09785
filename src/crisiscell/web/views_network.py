"""The network picture: the group's sites and the flows between them, or one site's zones.

The drawing is `crisiscell.engine.network_picture`'s: a self-contained SVG, built from the
map and the situation of this request, with every text from the map escaped. The page
embeds it; the ``picture.svg`` routes hand the same drawing over as a file.
"""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from crisiscell.engine import network_picture
from crisiscell.engine.groupmap import GroupMap
from crisiscell.engine.impact import Situation
from crisiscell.inventory.snapshot import load_situation

from . import impact_cache, labels
from .views import _page_context

#: The file holds nothing to run or fetch: forbid it all, even opened on its own.
SVG_CSP = "default-src 'none'; frame-ancestors 'none'"


def _labels() -> dict[str, str]:
    """The picture's words in the user's language (the engine knows no gettext)."""
    words = {
        "site_title": _("Network of {site}"),
        "group_title": _("Network of the group"),
        "cut": _("cut"),
        "isolated": _("isolated"),
        "compromised": _("compromised"),
        "suspected": _("suspected"),
        "hosts": _("hosts"),
        "flows": _("flows"),
        "zones": _("zones"),
        "sites": _("sites"),
        "outside": _("outside the site"),
        "no_zone": _("No zone on this site."),
        "n_cut": pgettext("after a count of flows", "cut"),
        "n_isolated": pgettext("after a count of zones", "isolated"),
        "n_compromised": pgettext("after a count of hosts", "compromised"),
        "n_suspected": pgettext("after a count of hosts", "suspected"),
    }
    return words | {kind: str(name) for kind, name in labels.ZONE_KIND.items()}


def _now() -> tuple[GroupMap, Situation]:
    """The map (compiled once per version) and the situation as it is now.

    The picture ignores what the situation names and the map does not have, so a map
    re-imported between the two reads draws without error.
    """
    return impact_cache.current_map().gm, load_situation()


def _site_or_404(gm: GroupMap, site: str) -> str:
    if not gm.has("sites", site):
        raise Http404(_("No such site."))
    return site


def _page(request: HttpRequest, svg: str, site: str | None, gm: GroupMap) -> HttpResponse:
    ctx = {
        "picture": mark_safe(svg),  # noqa: S308 (network_picture escapes every text)
        "site": gm.site(site) if site else None,
        "sites": gm.sites,
        "svg_url": reverse("network-site-svg", args=[site]) if site else reverse("network-svg"),
    }
    return render(request, "web/network.html", _page_context(request, "network", **ctx))


def _svg_file(svg: str, name: str) -> HttpResponse:
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    response["Content-Disposition"] = f'attachment; filename="{safe}.svg"'
    response["Content-Security-Policy"] = SVG_CSP
    return response


@require_GET
def network_group(request: HttpRequest) -> HttpResponse:
    gm, situation = _now()
    return _page(request, network_picture.group_picture(gm, situation, _labels()), None, gm)


@require_GET
def network_site(request: HttpRequest, site: str) -> HttpResponse:
    gm, situation = _now()
    site = _site_or_404(gm, site)
    svg = network_picture.site_picture(gm, situation, site, _labels())
    return _page(request, svg, site, gm)


@require_GET
def network_svg(request: HttpRequest) -> HttpResponse:
    gm, situation = _now()
    return _svg_file(network_picture.group_picture(gm, situation, _labels()), "network")


@require_GET
def network_site_svg(request: HttpRequest, site: str) -> HttpResponse:
    gm, situation = _now()
    site = _site_or_404(gm, site)
    svg = network_picture.site_picture(gm, situation, site, _labels())
    return _svg_file(svg, f"network-{site}")
