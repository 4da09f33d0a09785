"""Tokens for machines (a script, a SIEM, another hospital tool) that call the JSON API.

A token acts as the user it belongs to, with that user's role: make a dedicated user with
the least role the machine needs. Only a SHA-256 digest of the token is stored; the token
itself is shown once, when it is made (`crisiscell token create`).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX = "cc_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    #: The first characters of the token, to recognise it in a list; not enough to use it.
    hint = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…, {self.user})"

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        """Make a token for `user`; returns the row and the token, which is never stored."""
        token = PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, name=name, hint=token[:10], digest=digest(token))
        return row, token
