"""Two-factor login: after the password, a six-digit code from an authenticator app (TOTP).

A stolen password is how the attackers of the seeds got in; in a crisis cell the password
alone does not open the door. The flow:

- a user who enrolled an app is asked the code after the password, before anything else;
- with ``TWO_FACTOR = "required"`` (the default), a user with no app yet is sent to enrol
  one (scan the QR code, type the code it shows) before anything else;
- a wrong code is refused, and each failure doubles the wait before the next try
  (django-otp's throttling), on top of the password throttling of django-axes.

The JSON API does its own checks (crisiscell.api.auth): machines use tokens, not codes.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

#: Paths an authenticated but not yet verified user may still reach.
_ALWAYS_OPEN = ("/logout/", "/i18n/", "/static/", "/health", "/api/")


def needs_code(user) -> bool:
    """True when this logged-in user must still give a one-time code in this session."""
    if not user.is_authenticated or user.is_verified():
        return False
    return settings.TWO_FACTOR == "required" or user_has_device(user)


class TwoFactorMiddleware:
    """Send a logged-in user who has not given the code to the code page (or enrolment)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = request.user
        if needs_code(user) and not request.path.startswith(_ALWAYS_OPEN):
            enrolled = user_has_device(user)
            target = reverse("two-factor" if enrolled else "two-factor-setup")
            if request.path != target:
                query = urlencode({"next": request.get_full_path()})
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = f"{target}?{query}"
                    return response
                return HttpResponseRedirect(f"{target}?{query}")
        return self.get_response(request)


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("board")


def _clean_code(raw: str) -> str:
    return "".join(ch for ch in (raw or "") if not ch.isspace())


def _throttled(device) -> bool:
    allowed, _info = device.verify_is_allowed()
    return not allowed


def verify(request: HttpRequest) -> HttpResponse:
    """Ask the code of a user who enrolled an app."""
    user = request.user
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return HttpResponseRedirect(
            reverse("two-factor-setup") + "?" + urlencode({"next": _next(request)})
        )
    if user.is_verified():
        return HttpResponseRedirect(_next(request))
    error = ""
    if request.method == "POST":
        code = _clean_code(request.POST.get("code", ""))
        device = next((d for d in devices if d.verify_token(code)), None) if code else None
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
        if any(_throttled(d) for d in devices):
            error = _("Too many wrong codes: wait a little, then type the code your app shows now.")
        else:
            error = _("Wrong code. Type the six digits your app shows now.")
    return render(
        request,
        "registration/two_factor.html",
        {"next": _next(request), "error": error, "hide_nav": True},
        status=400 if error else 200,
    )


def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), then give a code."""
    user = request.user
    if user_has_device(user) and not user.is_verified():
        # never let a half-logged-in user replace the app that protects the account
        return HttpResponseRedirect(
            reverse("two-factor") + "?" + urlencode({"next": _next(request)})
        )
    if user_has_device(user):
        from .views import _page_context

        ctx = _page_context(request, "", enrolled=True)
        return render(request, "registration/two_factor_setup.html", ctx)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        ) or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    error = ""
    if request.method == "POST":
        code = _clean_code(request.POST.get("code", ""))
        if code and device.verify_token(code):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
        error = _("Wrong code. Check the time of your phone and type the six digits shown now.")
    url = device.config_url
    secret = url.split("secret=", 1)[1].split("&", 1)[0]
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "enrolled": False,
            "qr": segno.make(url, error="m").svg_data_uri(scale=5, border=2),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _next(request),
            "error": error,
            "hide_nav": not user.is_verified(),
        },
        status=400 if error else 200,
    )
