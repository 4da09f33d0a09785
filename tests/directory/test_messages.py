"""Every fault the directory can name has a sentence in the translation catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from crisiscell.directory.messages import TEXTS, located, message
from crisiscell.engine.contacts_csv import ContactError, error

SRC = Path(__file__).resolve().parents[2] / "src" / "crisiscell"
SOURCES = [
    SRC / "engine" / "contacts_csv.py",
    SRC / "directory" / "importer.py",
    SRC / "directory" / "actions.py",
    SRC / "directory" / "views.py",
]


def test_every_error_code_has_a_text():
    codes = set()
    for path in SOURCES:
        source = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'(?:error|ContactError)\(\s*"([a-z_0-9]+)"', source))
    assert len(codes) > 20, "the pattern no longer finds the error codes"
    assert codes <= set(TEXTS), sorted(codes - set(TEXTS))


def test_every_text_takes_the_values_its_fault_gives():
    e = error("phone_digits", "%(value)r has %(n)s digits", "phone", value="12", n=2, min=3, max=20)
    with translation.override("en"):
        assert message(e) == "“12” has 2 digits (a number has 3 to 20)"
    located_error = ContactError(**{**e.__dict__, "file": "annuaire.csv", "line": 7})
    with translation.override("en"):
        assert located(located_error) == (
            "annuaire.csv line 7, column phone: “12” has 2 digits (a number has 3 to 20)"
        )


def test_a_code_without_text_shows_the_engines_sentence():
    e = ContactError("brand_new", "something new", "phone", 3, "x.csv")
    with translation.override("en"):
        assert located(e) == "x.csv line 3, column phone: something new"
