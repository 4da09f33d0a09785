"""The directory pages: search, add, change, delete, import, export, print.

Everyone logged in reads the directory, exports it and prints it; only a role holding
``directory.edit_directory`` sees the edit buttons and may open the forms (others get 403,
whatever the method). Views are thin: changes go through `crisiscell.directory.actions`,
which logs them in the crisis under way. Forms post normally and are redirected back with
a notice; a refused form comes back with status 400 and each error next to its field.
The search form works as a plain GET form; with htmx it refreshes the results as one types.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crisiscell.engine import contacts_csv as spec
from crisiscell.inventory.group_time import group_timezone as _group_tz
from crisiscell.inventory.models import CareService, Site
from crisiscell.web.views import _is_htmx, _page_context, _problem

from . import actions, printout
from .importer import export_contacts
from .listing import FILTERS, group, in_directory_order, matches, terms
from .messages import located, message
from .models import CATEGORY_LABELS, KIND_LABELS, Contact

#: Contacts shown at most on one page: a region's whole directory is searched, not scrolled.
PAGE_LIMIT = 500
#: A directory file of ten thousand contacts is about 2 MB.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: Errors listed at most on the import page (the count says how many more).
MAX_ERRORS_SHOWN = 200
FORM_FIELDS = spec.COLUMNS


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def editor_only(view):
    """Only a role that may change the directory reaches the view, whatever the method."""

    @require_http_methods(["GET", "POST"])
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not actions.can_edit(request.user):
            return _problem(request, 403, _("Your role does not allow changing the directory."))
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return _problem(request, 403, str(exc))

    return wrapper


def _param(source, name: str, limit: int = 200) -> str:
    """A query value as the pages use it: cut to `limit`, and '' when it holds a control
    character (PostgreSQL refuses a NUL byte in a query: an error, not a 500)."""
    value = source.get(name, "")[:limit]
    return "" if any(ord(ch) < 32 for ch in value) else value


def _contact_or_none(pk: int) -> Contact | None:
    return Contact.objects.select_related("site", "service").filter(pk=pk).first()


def _no_contact(request: HttpRequest, pk: int) -> HttpResponse:
    return _problem(request, 404, _("There is no contact with id %(id)s.") % {"id": pk})


def _kind_choices() -> list[tuple[str, str]]:
    choices = [(k, str(KIND_LABELS[k])) for k in ("crisis_cell", "internal", "external")]
    external = str(KIND_LABELS["external"])
    choices += [(c, f"{external} — {CATEGORY_LABELS[c]}") for c in spec.CATEGORIES]
    return choices


# ---------------------------------------------------------------------------
# The directory
# ---------------------------------------------------------------------------


@dataclass
class Filters:
    q: str = ""
    site: str = ""
    kind: str = ""

    @property
    def any(self) -> bool:
        return bool(self.q or self.site or self.kind)


def _filters(request: HttpRequest) -> Filters:
    """The page's filters; values it does not know are dropped, never an error."""
    site = _param(request.GET, "site")
    kind = _param(request.GET, "kind")
    return Filters(
        q=request.GET.get("q", "").strip()[:200],
        site=site if site and Site.objects.filter(code=site).exists() else "",
        kind=kind if kind in FILTERS else "",
    )


def _results_context(filters: Filters) -> dict:
    contacts = Contact.objects.select_related("site", "service")
    if filters.site:
        contacts = contacts.filter(site__code=filters.site)
    if filters.kind in spec.CATEGORIES:
        contacts = contacts.filter(kind="external", category=filters.kind)
    elif filters.kind:
        contacts = contacts.filter(kind=filters.kind)
    rows = list(contacts)
    if filters.q:
        wanted = terms(filters.q)
        rows = [c for c in rows if matches(c, wanted)]
    rows = in_directory_order(rows)
    return {
        "filters": filters,
        "directory": group(rows[:PAGE_LIMIT]),
        "total": len(rows),
        "truncated": len(rows) > PAGE_LIMIT,
        "limit": PAGE_LIMIT,
    }


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    ctx = {**_results_context(filters), "can_edit": actions.can_edit(request.user)}
    if _is_htmx(request) and not request.headers.get("HX-History-Restore-Request"):
        return render(request, "directory/_results.html", ctx)
    ctx.update(
        sites=Site.objects.all(),
        kinds=_kind_choices(),
        any_contact=Contact.objects.exists(),
    )
    return render(request, "directory/directory.html", _page_context(request, "directory", **ctx))


# ---------------------------------------------------------------------------
# Add, change, delete
# ---------------------------------------------------------------------------


@dataclass
class FieldState:
    value: str = ""
    errors: list[str] = field(default_factory=list)


def _form_state(values: dict[str, str], errors: list[spec.ContactError] = ()) -> dict:
    form = {name: FieldState(values.get(name, "")) for name in FORM_FIELDS}
    general = []
    for e in errors:
        if e.column in form:
            form[e.column].errors.append(message(e))
        else:
            general.append(located(e))
    field_errors = any(state.errors for state in form.values())
    return {"form": form, "general_errors": general, "field_errors": field_errors}


def _values_of(contact: Contact) -> dict[str, str]:
    record = contact.as_record()
    return {name: _text(getattr(record, name)) for name in FORM_FIELDS}


def _text(value) -> str:
    return "" if value is None else str(value)


def _posted(request: HttpRequest) -> tuple[spec.Contact, dict[str, str], list]:
    """The contact of a posted form, what was typed (to show again), and position errors."""
    values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
    errors = []
    position = None
    raw = values["position"].strip()
    if raw:
        if raw.isascii() and raw.isdigit() and len(raw) <= 7:
            position = int(raw)
        else:
            errors.append(
                spec.error(
                    "bad_position",
                    "%(value)r is not a whole number from 0 to %(max)s",
                    "position",
                    value=raw[:20],
                    max=spec.MAX_POSITION,
                )
            )
    text = {name: values[name] for name in FORM_FIELDS if name != "position"}
    return spec.Contact(**text, position=position), values, errors


def _form_page(
    request: HttpRequest, contact: Contact | None, values: dict, errors=(), status: int = 200
) -> HttpResponse:
    site_code = _param(values, "site")
    services = CareService.objects.select_related("site").order_by("site_id", "id")
    if site_code:
        services = services.filter(site__code=site_code)
    by_site: dict[str, list] = {}
    for s in services:
        by_site.setdefault(s.site.name, []).append(s)
    ctx = _page_context(
        request,
        "directory",
        contact=contact,
        sites=Site.objects.all(),
        services_by_site=list(by_site.items()),
        kinds=[(k, KIND_LABELS[k]) for k in spec.KINDS],
        categories=[(c, CATEGORY_LABELS[c]) for c in spec.CATEGORIES],
        **_form_state(values, errors),
    )
    return render(request, "directory/form.html", ctx, status=status)


def _save(request: HttpRequest, contact: Contact | None) -> HttpResponse:
    record, values, errors = _posted(request)
    if errors:
        return _form_page(request, contact, values, errors, status=400)
    try:
        saved = actions.save_contact(request.user, record, contact.pk if contact else None)
    except actions.ContactRefused as exc:
        return _form_page(request, contact, values, exc.contact_errors, status=400)
    except ValidationError as exc:  # the contact was deleted meanwhile
        return _problem(request, 404, " ".join(exc.messages))
    if contact is None:
        notice = _("%(name)s added to the directory.") % {"name": saved.name}
    else:
        notice = _("%(name)s saved.") % {"name": saved.name}
    messages.success(request, notice)
    return HttpResponseRedirect(f"{reverse('directory')}#contact-{saved.pk}")


@editor_only
def contact_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    # Presets from the query (?site=ARL&service=ARL-URG&kind=external) ease adding from a group.
    values = {name: _param(request.GET, name) for name in ("kind", "site", "service", "category")}
    values["kind"] = values["kind"] if values["kind"] in spec.KINDS else "internal"
    return _form_page(request, None, values)


@editor_only
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_or_none(pk)
    if contact is None:
        return _no_contact(request, pk)
    if request.method == "POST":
        return _save(request, contact)
    return _form_page(request, contact, _values_of(contact))


@editor_only
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact_or_none(pk)
    if contact is None:
        return _no_contact(request, pk)
    if request.method == "POST":
        try:
            actions.delete_contact(request.user, contact.pk)
        except ValidationError as exc:
            return _problem(request, 404, " ".join(exc.messages))
        messages.success(
            request, _("%(name)s deleted from the directory.") % {"name": contact.name}
        )
        return HttpResponseRedirect(reverse("directory"))
    ctx = _page_context(request, "directory", contact=contact)
    return render(request, "directory/delete.html", ctx)


# ---------------------------------------------------------------------------
# Import, export, print
# ---------------------------------------------------------------------------


def _file_name(upload) -> str:
    """The uploaded file's own name, as errors show it (no folders, no control characters)."""
    name = os.path.basename(str(getattr(upload, "name", "") or "")).strip()
    name = "".join(ch for ch in name if ch.isprintable())[:100]
    return name or spec.DEFAULT_NAME


@editor_only
def contact_import(request: HttpRequest) -> HttpResponse:
    ctx = {"columns": spec.COLUMNS, "required": spec.REQUIRED_COLUMNS}
    if request.method == "GET":
        return render(request, "directory/import.html", _page_context(request, "directory", **ctx))
    upload = request.FILES.get("file")
    replace = request.POST.get("replace") == "1"
    errors: list[str] = []
    if upload is None:
        errors = [_("Choose a CSV file to import.")]
    elif upload.size > MAX_UPLOAD_BYTES:
        errors = [
            _("%(file)s is too large: %(size)s bytes (at most %(max)s).")
            % {"file": _file_name(upload), "size": upload.size, "max": MAX_UPLOAD_BYTES}
        ]
    else:
        name = _file_name(upload)
        try:
            counts = actions.import_file(request.user, upload.read(), name=name, replace=replace)
        except spec.ContactsInvalid as exc:
            errors = [located(e) for e in exc.errors]
        else:
            notice = _(
                "%(file)s imported: %(created)s added, %(updated)s changed, "
                "%(unchanged)s unchanged, %(deleted)s deleted."
            ) % {
                "file": name,
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "deleted": counts.deleted,
            }
            messages.success(request, notice)
            return HttpResponseRedirect(reverse("directory"))
    ctx.update(
        errors=errors[:MAX_ERRORS_SHOWN],
        more_errors=max(0, len(errors) - MAX_ERRORS_SHOWN),
        error_count=len(errors),
        replace=replace,
    )
    page = _page_context(request, "directory", **ctx)
    return render(request, "directory/import.html", page, status=400)


@require_GET
def contact_export(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(export_contacts(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="contacts.csv"'
    return response


@require_GET
def print_pdf(request: HttpRequest) -> HttpResponse:
    """The printable directory: every site (a page each) and the last page, or one site."""
    code = _param(request.GET, "site")
    site = None
    if code:
        site = Site.objects.filter(code=code).first()
        if site is None:
            return _problem(request, 404, _("There is no site “%(site)s”.") % {"site": code[:100]})
    pdf = printout.render(tz=_group_tz(), site=site)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"directory-{site.code}.pdf" if site else "directory.pdf"
    response["Content-Disposition"] = f'inline; filename="{_ascii(name)}"'
    return response


def _ascii(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)
