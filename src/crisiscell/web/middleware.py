"""French first: the interface language is the user's choice, never the browser's guess."""

from __future__ import annotations

from django.http import QueryDict

from crisiscell.web.control import CONTROL


class FrenchFirstMiddleware:
    """Drop the browser's Accept-Language before Django's LocaleMiddleware reads it.

    A crisis cell's laptops are often set to English; the product speaks French unless the
    user picks English with the language switch (kept in the language cookie).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


#: Everything comes from the server itself: no CDN, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy and the headers Django does not set itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")  # patient data stays off disk
        return response


class CleanQueryMiddleware:
    """Query parameters are filters and navigation: control characters in them (no one types
    one; PostgreSQL cannot even search for a NUL) are dropped, so a filter is never an
    error. Forms are checked by each page, which says what it refuses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(
            CONTROL.search(k) or any(CONTROL.search(v) for v in vs) for k, vs in request.GET.lists()
        ):
            clean = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                clean.setlist(CONTROL.sub("", key), [CONTROL.sub("", v) for v in values])
            clean._mutable = False
            request.GET = clean
        return self.get_response(request)
