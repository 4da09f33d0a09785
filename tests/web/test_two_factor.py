"""Two-factor login: the password alone opens nothing when the code is required."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, shift: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + shift * device.step
    return f"{totp.token():0{device.digits}d}"


def password_login(client, cast, user):
    response = client.post("/login/", {"username": user.username, "password": cast.password})
    assert response.status_code == 302, response.content
    return response


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR = "required"


def test_a_new_user_must_enrol_before_anything_else(client, cast, group_map, required):
    password_login(client, cast, cast.director)
    for path in ("/", "/hosts/", "/timeline/", "/crisis/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/two-factor?next=")
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.content  # the QR code, served inline
    device = TOTPDevice.objects.get(user=cast.director, confirmed=False)

    wrong = client.post("/account/two-factor", {"code": "000000", "next": "/hosts/"})
    assert wrong.status_code == 400
    assert client.get("/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong try made the next one wait
    device.throttling_failure_timestamp = None
    device.save()

    right = client.post("/account/two-factor", {"code": code_for(device), "next": "/hosts/"})
    assert right.status_code == 302 and right["Location"] == "/hosts/"
    assert client.get("/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_an_enrolled_user_gives_the_code_after_the_password(client, cast, group_map, settings):
    settings.TWO_FACTOR = "optional"  # enrolled users are asked even when optional
    device = TOTPDevice.objects.create(user=cast.director, name="phone", confirmed=True)
    password_login(client, cast, cast.director)
    response = client.get("/timeline/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/code?next=%2Ftimeline%2F")
    # half logged in: may not replace the app that protects the account
    setup = client.get("/account/two-factor")
    assert setup.status_code == 302 and setup["Location"].startswith("/login/code")
    assert not TOTPDevice.objects.filter(user=cast.director, confirmed=False).exists()

    ok = client.post("/login/code", {"code": code_for(device), "next": "/timeline/"})
    assert ok.status_code == 302 and ok["Location"] == "/timeline/"
    assert client.get("/timeline/").status_code == 200


def test_a_code_is_good_once(client, cast, group_map, required):
    device = TOTPDevice.objects.create(user=cast.director, name="phone", confirmed=True)
    code = code_for(device)
    password_login(client, cast, cast.director)
    assert client.post("/login/code", {"code": code}).status_code == 302
    client.post("/logout/")
    password_login(client, cast, cast.director)
    replay = client.post("/login/code", {"code": code})
    assert replay.status_code == 400
    assert client.get("/").status_code == 302


def test_wrong_codes_make_the_next_try_wait(client, cast, group_map, required):
    device = TOTPDevice.objects.create(user=cast.director, name="phone", confirmed=True)
    password_login(client, cast, cast.director)
    assert client.post("/login/code", {"code": "123456"}).status_code == 400
    # even the right code is refused while the wait runs
    throttled = client.post("/login/code", {"code": code_for(device)})
    assert throttled.status_code == 400
    assert "wait" in throttled.content.decode().lower() or "attendez" in throttled.content.decode()
    assert client.get("/").status_code == 302


def test_the_next_address_stays_on_this_site(client, cast, group_map, required):
    device = TOTPDevice.objects.create(user=cast.director, name="phone", confirmed=True)
    password_login(client, cast, cast.director)
    response = client.post(
        "/login/code", {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_htmx_requests_are_sent_to_the_code_page_whole(client, cast, group_map, required):
    TOTPDevice.objects.create(user=cast.director, name="phone", confirmed=True)
    password_login(client, cast, cast.director)
    response = client.get("/board/content", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/login/code?next=")


def test_optional_lets_a_user_without_an_app_in(client, cast, group_map, settings):
    settings.TWO_FACTOR = "optional"
    password_login(client, cast, cast.observer)
    assert client.get("/").status_code == 200
    page = client.get("/account/two-factor")
    assert page.status_code == 200  # and they may enrol one
