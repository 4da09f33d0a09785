"""French first: the interface language is the user's choice, never the browser's guess."""

from __future__ import annotations


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
