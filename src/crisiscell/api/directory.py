"""The directory (direct numbers, external contacts) over JSON, through
`crisiscell.directory.actions`: the same checks as the form and the CSV import."""

from __future__ import annotations

from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from crisiscell.directory import actions, listing
from crisiscell.directory.models import Contact
from crisiscell.engine import contacts_csv as spec

from .schemas import Id, Problem, text

router = Router(tags=["directory"])
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem}
ContactKind = Literal[spec.KINDS]  # type: ignore[valid-type]
Category = Literal[spec.CATEGORIES]  # type: ignore[valid-type]


class ContactOut(Schema):
    id: int
    code: str
    kind: ContactKind
    category: str
    site: str | None
    service: str | None
    name: str
    function: str
    phone: str
    phone_alt: str
    email: str
    available: str
    notes: str
    position: int

    @staticmethod
    def resolve_site(obj: Contact) -> str | None:
        return obj.site.code if obj.site_id else None

    @staticmethod
    def resolve_service(obj: Contact) -> str | None:
        return obj.service.code if obj.service_id else None


class ContactIn(Schema):
    code: text(100) = Field("", description="empty: one is made up from the site and the name")
    kind: ContactKind
    category: Category | Literal[""] = ""
    site: text(50) = ""
    service: text(50) = ""
    name: text(200, 1)
    function: text(200) = ""
    phone: text(50, 1)
    phone_alt: text(50) = ""
    email: text(254) = ""
    available: text(100) = ""
    notes: text(2000) = ""
    position: int | None = Field(None, ge=0, le=2**31 - 1)

    def record(self) -> spec.Contact:
        return spec.Contact(**self.dict())


class ContactQuery(Schema):
    q: text(200) = Field("", description="words of the name, function, site, service or number")
    site: text(50) = ""
    kind: ContactKind | None = None


@router.get("/directory", response={200: list[ContactOut], **ERRORS})
def list_contacts(request, f: Query[ContactQuery]):
    rows = Contact.objects.select_related("site", "service")
    if f.site:
        rows = rows.filter(site__code=f.site)
    if f.kind:
        rows = rows.filter(kind=f.kind)
    wanted = listing.terms(f.q)
    if wanted:  # the same search as the page: accents, case and spacing of numbers ignored
        return [c for c in listing.in_directory_order(rows) if listing.matches(c, wanted)]
    return listing.in_directory_order(rows)


@router.post("/directory", response={201: ContactOut, **ERRORS})
def add_contact(request, body: ContactIn):
    return Status(201, actions.save_contact(request.user, body.record()))


@router.get("/directory/{contact_id}", response={200: ContactOut, **ERRORS})
def get_contact(request, contact_id: Id):
    return get_object_or_404(Contact.objects.select_related("site", "service"), pk=contact_id)


@router.put("/directory/{contact_id}", response={200: ContactOut, **ERRORS})
def change_contact(request, contact_id: Id, body: ContactIn):
    get_object_or_404(Contact, pk=contact_id)
    return actions.save_contact(request.user, body.record(), pk=contact_id)


@router.delete("/directory/{contact_id}", response={204: None, **ERRORS})
def delete_contact(request, contact_id: Id):
    get_object_or_404(Contact, pk=contact_id)
    actions.delete_contact(request.user, contact_id)
    return Status(204, None)
