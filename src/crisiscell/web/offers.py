"""One download under a password made for it: an encrypted PDF naming patients (a call
list, a downtime kit) is offered with a fresh password shown once on the page and a token
kept in the user's own session; the download uses the token up. A token older than its
time, used already, or from another session gives nothing."""

from __future__ import annotations

import secrets
import time

from django.http import HttpRequest

from crisiscell.documents.protect import new_password


def offer(request: HttpRequest, key: str, what: dict, *, ttl: int, most: int) -> tuple[str, str]:
    """A fresh password and the token of its one download of ``what``, kept in the session
    under ``key`` (at most ``most`` waiting, the oldest dropped first)."""
    now = time.time()
    offers = {t: o for t, o in request.session.get(key, {}).items() if o["expires"] > now}
    while len(offers) >= most:
        offers.pop(min(offers, key=lambda t: offers[t]["expires"]))
    token, password = secrets.token_urlsafe(18), new_password()
    offers[token] = {**what, "password": password, "expires": now + ttl}
    request.session[key] = offers
    return token, password


def take(request: HttpRequest, key: str, token: str) -> dict | None:
    """The offer of ``token`` (``what`` and its ``password``) if still fresh; used up."""
    offers = dict(request.session.get(key, {}))
    found = offers.pop(token, None)
    request.session[key] = offers
    if found is None or found["expires"] <= time.time():
        return None
    return found
