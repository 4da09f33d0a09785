"""The JSON API: one NinjaAPI, a router per area, OpenAPI at /api/docs.

Errors have one shape (`Problem`): 400 for a refused change (with every message), 401 with
no valid token or session, 403 for a role that may not, 404 for an unknown id, 422 for a
body or query that does not match the schema.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import URLPattern
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from crisiscell.engine.contacts_csv import ContactsInvalid

from . import crises, directory, tasks
from .auth import AUTH

api = NinjaAPI(
    title="crisiscell",
    version="1",
    description=(
        "The crisis cell's data over JSON: crises, the crisis log (main courante), tasks, "
        "decisions and the directory. Machines send `Authorization: Bearer <token>` "
        "(`crisiscell token create`); a logged-in browser uses its session and CSRF token."
    ),
    auth=AUTH,
    docs_decorator=login_required,
    urls_namespace="api",
)
api.add_router("", crises.router)
api.add_router("", tasks.router)
api.add_router("", directory.router)


def _problem(request, status: int, detail: str, errors: list[str] | None = None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(ValidationError)
def _refused(request, exc: ValidationError):
    messages = [str(m) for m in exc.messages]
    return _problem(request, 400, messages[0] if messages else "Refused.", messages)


@api.exception_handler(ContactsInvalid)
def _invalid_contact(request, exc: ContactsInvalid):
    messages = [str(e) for e in exc.errors]
    return _problem(request, 400, messages[0] if messages else "Refused.", messages)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    return _problem(request, 403, str(exc) or "Your role does not allow this change.")


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _problem(request, 404, "Not found.")


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    response = _problem(request, 401, "Log in, or send a valid API token.")
    response["WWW-Authenticate"] = 'Bearer realm="crisiscell"'
    return response


def urls():
    """The API's URL patterns, exempt from the login redirect: the API answers 401 itself
    (its documentation pages keep the redirect: they are for people)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and not str(pattern.pattern).startswith(
            ("docs", "openapi")
        ):
            pattern.callback.login_required = False
    return patterns, app_name, namespace
