"""Every page and route of the product, as the crisis director, with every form field and
filter holding a NUL: a clear answer, never a server error (PostgreSQL cannot store a NUL in
text, so a page that let one through to a query or to the session would fail there)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.conftest import DOC, import_doc
from tests.web.test_access import ROUTES

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "crisiscell"
#: every field name any template of the product sends
FIELDS = sorted(
    {
        name
        for path in SRC.glob("*/templates/**/*.html")
        for name in re.findall(r'name="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    - {"csrfmiddlewaretoken", "file", "password"}
)
FILTERS = ("q", "site", "state", "role", "zone", "kind", "status", "from", "to", "author")


@pytest.mark.parametrize(("name", "path"), ROUTES)
def test_a_nul_anywhere_gets_an_answer(client, cast, name, path):
    from crisiscell.crisis.actions import open_crisis
    from crisiscell.crisis.roles import ensure_roles

    ensure_roles()
    import_doc(DOC)
    open_crisis(cast.director, "Rançongiciel")
    client.force_login(cast.director)
    posted = client.post(path, dict.fromkeys(FIELDS, "A\x00"))
    assert posted.status_code < 500, (name, posted.status_code)
    query = "&".join(f"{f}=A%00" for f in FILTERS)
    got = client.get(f"{path}?{query}")
    assert got.status_code < 500, (name, got.status_code)
