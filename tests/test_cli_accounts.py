"""`crisiscell user …`, `crisiscell token …` and the printable log from the console."""

from __future__ import annotations

import subprocess

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisiscell import cli
from crisiscell.api.models import ApiToken
from crisiscell.crisis.roles import role_of

pytestmark = pytest.mark.django_db


def test_user_add_gives_a_role_and_a_password(capsys):
    assert cli.main(["user", "add", "amelie", "--role", "medical_director"]) == 0
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    user = get_user_model().objects.get(username="amelie")
    assert user.check_password(password) and role_of(user) == "medical_director"
    assert cli.main(["user", "add", "amelie", "--role", "observer"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert cli.main(["user", "add", "bob", "--role", "king"]) == 2
    assert cli.main(["user", "add", "bad name!", "--role", "observer"]) == 2
    assert get_user_model().objects.count() == 1
    assert cli.main(["user", "list"]) == 0
    assert "amelie" in capsys.readouterr().out


def test_a_lost_phone_is_reset(cast, capsys):
    TOTPDevice.objects.create(user=cast.director, name="phone", confirmed=True)
    assert cli.main(["user", "reset-two-factor", "director"]) == 0
    assert not TOTPDevice.objects.filter(user=cast.director).exists()
    assert cli.main(["user", "reset-two-factor", "ghost"]) == 2


def test_a_token_is_printed_once_and_works_until_revoked(cast, client, capsys):
    assert cli.main(["token", "create", "--user", "it_lead", "--name", "SIEM"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("cc_")
    row = ApiToken.objects.get()
    assert token not in (row.digest, row.hint) and row.user == cast.it_lead
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/crises", headers=headers).status_code == 200
    assert cli.main(["token", "list"]) == 0
    assert token not in capsys.readouterr().out
    assert cli.main(["token", "revoke", str(row.pk)]) == 0
    assert client.get("/api/crises", headers=headers).status_code == 401
    assert cli.main(["token", "revoke", str(row.pk)]) == 2
    assert cli.main(["token", "create", "--user", "ghost", "--name", "x"]) == 2


def test_the_log_exports_as_pdf(cast, tmp_path, capsys):
    assert cli.main(["crisis", "open", "--title", "Rançongiciel"]) == 0
    assert cli.main(["log", "add", "--kind", "event", "--text", "PACS arrêté à 03:40"]) == 0
    out = tmp_path / "log.pdf"
    assert cli.main(["log", "export", "--out", str(out), "--language", "en"]) == 0
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "PACS arrêté à 03:40" in text and "Rançongiciel" in text
