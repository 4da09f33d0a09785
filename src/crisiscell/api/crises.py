"""Crises and their log (main courante) over JSON.

Every change goes through `crisiscell.crisis.actions`, like the pages: the same role
checks, the same validation, the same chained entry in the log.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from crisiscell.crisis import actions
from crisiscell.crisis.log import active_crisis, export, verify_crisis
from crisiscell.crisis.models import Crisis, LogEntry

from .schemas import (
    CrisisIn,
    CrisisOut,
    EntryIn,
    EntryOut,
    EntryPage,
    Id,
    Kind,
    PhaseIn,
    Problem,
    SiteModeIn,
    VerificationOut,
)

router = Router(tags=["crises"])
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem}


@router.get("/crises", response=list[CrisisOut], summary="All crises, newest first")
def list_crises(request):
    return Crisis.objects.order_by("-opened_at", "-pk")


@router.post("/crises", response={201: CrisisOut, **ERRORS}, summary="Open a crisis")
def open_crisis(request, body: CrisisIn):
    crisis = actions.open_crisis(request.user, body.title)
    crisis.refresh_from_db()  # the opening entry moved the chain's tip
    return Status(201, crisis)


@router.get("/crises/active", response={200: CrisisOut, **ERRORS}, summary="The crisis under way")
def get_active(request):
    crisis = active_crisis()
    if crisis is None:
        return Status(404, {"detail": "No crisis is under way.", "errors": []})
    return crisis


@router.get("/crises/{crisis_id}", response={200: CrisisOut, **ERRORS})
def get_crisis(request, crisis_id: Id):
    return get_object_or_404(Crisis, pk=crisis_id)


@router.post("/crises/{crisis_id}/phase", response={200: CrisisOut, **ERRORS})
def set_phase(request, crisis_id: Id, body: PhaseIn):
    get_object_or_404(Crisis, pk=crisis_id)
    actions.set_phase(request.user, crisis_id, body.phase)
    return Crisis.objects.get(pk=crisis_id)


@router.post("/crises/{crisis_id}/site-mode", response={200: CrisisOut, **ERRORS})
def set_site_mode(request, crisis_id: Id, body: SiteModeIn):
    get_object_or_404(Crisis, pk=crisis_id)
    actions.set_site_mode(request.user, crisis_id, body.site, body.mode)
    return Crisis.objects.get(pk=crisis_id)


class LogQuery(Schema):
    after: int = Field(0, ge=0, le=2**62, description="only entries with a greater seq")
    limit: int = Field(500, ge=1, le=5000)
    kind: Kind | None = None


@router.get("/crises/{crisis_id}/log", response={200: EntryPage, **ERRORS})
def read_log(request, crisis_id: Id, q: Query[LogQuery]):
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    rows = LogEntry.objects.filter(crisis=crisis, seq__gt=q.after)
    if q.kind:
        rows = rows.filter(kind=q.kind)
    return {
        "crisis": crisis.pk,
        "count": crisis.entry_count,
        "head": crisis.head,
        "entries": list(rows.order_by("seq")[: q.limit]),
    }


@router.post("/crises/{crisis_id}/log", response={201: EntryOut, **ERRORS})
def write_log(request, crisis_id: Id, body: EntryIn):
    get_object_or_404(Crisis, pk=crisis_id)
    entry = actions.write_entry(
        request.user,
        kind=body.kind,
        text=body.text,
        links=body.links,
        corrects=body.corrects,
        crisis_id=crisis_id,
    )
    return Status(201, entry)


@router.get("/crises/{crisis_id}/log/verify", response={200: VerificationOut, **ERRORS})
def verify_log(request, crisis_id: Id):
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    result = verify_crisis(crisis)
    first = result.first
    return {
        "intact": result.ok,
        "count": result.count,
        "head": result.head,
        "message": "intact" if result.ok else first.message,
        "fault_seq": first.seq if first else None,
        "fault_kind": first.kind if first else None,
    }


@router.get(
    "/crises/{crisis_id}/log/export",
    response={200: dict, **ERRORS},
    summary="The log as a self-contained document, verifiable with no database",
)
def export_log(request, crisis_id: Id):
    return export(get_object_or_404(Crisis, pk=crisis_id))
