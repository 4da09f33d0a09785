"""The crisis log handed over: the JSON export (verifiable with no database) and the PDF.

Both are read-only, for anyone logged in (an observer from the insurer or the authorities
may take a copy). The PDF says whether the chain verified when it was made.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_GET

from crisiscell.crisis.log import export
from crisiscell.crisis.log_pdf import log_pdf

from .views_crisis import _filters, _group_tz, _shown_crisis


def _crisis(request: HttpRequest):
    crisis = _shown_crisis(_filters(request))
    if crisis is None:
        raise Http404("no crisis")
    return crisis


def _download(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def log_json(request: HttpRequest) -> HttpResponse:
    crisis = _crisis(request)
    doc = export(crisis)
    body = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    return _download(body, "application/json", f"crisis-{crisis.pk}-log.json")


@require_GET
def log_pdf_view(request: HttpRequest) -> HttpResponse:
    crisis = _crisis(request)
    pdf = log_pdf(crisis, _group_tz(), translation.get_language() or "fr")
    return _download(pdf, "application/pdf", f"crisis-{crisis.pk}-log.pdf")
