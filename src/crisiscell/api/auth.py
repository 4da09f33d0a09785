"""Who calls the API: a machine with a bearer token, or a person's browser session.

A session counts only once the person gave their one-time code (when one is needed), and
its changes need the CSRF token like any form. Anything else gets 401.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from crisiscell.web.two_factor import needs_code

from .models import PREFIX, ApiToken, digest

#: last_used_at is written at most this often per token, not on every call.
TOUCH_EVERY = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        if not token.startswith(PREFIX) or len(token) > 200:
            return None
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=digest(token), revoked_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user


class VerifiedSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = request.user
        if user.is_authenticated and user.is_active and not needs_code(user):
            return user
        return None


AUTH = [TokenAuth(), VerifiedSessionAuth()]
