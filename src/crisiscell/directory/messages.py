"""The directory's errors in the reader's language.

The CSV reader and the checks (`engine.contacts_csv`) speak English and name each fault
with a stable code and its values; the pages show them through this table, so every
sentence sits in the translation catalogue. A code this table does not know yet shows
the engine's own English sentence.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisiscell.engine.contacts_csv import ContactError

TEXTS = {
    "required": gettext_lazy("required, and empty"),
    "too_long": gettext_lazy("too long: %(n)s characters (at most %(max)s)"),
    "control_character": gettext_lazy("holds a control character (U+%(char)s)"),
    "bad_kind": gettext_lazy("unknown kind “%(value)s” (expected one of: %(expected)s)"),
    "category_required": gettext_lazy(
        "an external contact needs a category (one of: %(expected)s)"
    ),
    "bad_category": gettext_lazy("unknown category “%(value)s” (expected one of: %(expected)s)"),
    "category_not_external": gettext_lazy(
        "only external contacts have a category (leave it empty for kind %(kind)s)"
    ),
    "site_required": gettext_lazy("an internal contact needs its site"),
    "service_not_internal": gettext_lazy(
        "only internal contacts belong to a care service (kind is %(kind)s)"
    ),
    "bad_phone": gettext_lazy(
        "“%(value)s” is not a phone number (digits, spaces and + . - / ( ) only; + only first)"
    ),
    "phone_digits": gettext_lazy("“%(value)s” has %(n)s digits (a number has %(min)s to %(max)s)"),
    "bad_email": gettext_lazy("“%(value)s” is not an e-mail address"),
    "bad_position": gettext_lazy("“%(value)s” is not a whole number from 0 to %(max)s"),
    "duplicate_code": gettext_lazy("code “%(value)s” is already on line %(first)s"),
    "code_taken": gettext_lazy("code “%(value)s” is already the code of %(other)s"),
    "unknown_column": gettext_lazy("unknown column “%(header)s” (expected: %(expected)s)"),
    "duplicate_column": gettext_lazy("column “%(header)s” appears twice (position %(position)s)"),
    "missing_columns": gettext_lazy(
        "missing column(s): %(missing)s (the header is the file's first line)"
    ),
    "cell_count": gettext_lazy("%(n)s value(s) for %(columns)s column(s)"),
    "unnamed_column": gettext_lazy(
        "a value in column %(position)s, which has no name in the header"
    ),
    "malformed_csv": gettext_lazy("malformed CSV (%(why)s)"),
    "not_utf8": gettext_lazy(
        "not UTF-8 text (byte 0x%(byte)s): save the file as “CSV UTF-8” and import it again"
    ),
    "empty_file": gettext_lazy("the file is empty: its first line names the columns (%(columns)s)"),
    "unknown_site": gettext_lazy("unknown site “%(value)s”"),
    "unknown_service": gettext_lazy("unknown care service “%(value)s”"),
    "service_elsewhere": gettext_lazy(
        "care service %(value)s belongs to site %(other)s, not %(site)s"
    ),
    "replace_with_nothing": gettext_lazy(
        "the file holds no contact: replacing the directory with it would empty it"
    ),
}


def message(e: ContactError) -> str:
    """The sentence of `e`, without its place."""
    text = TEXTS.get(e.code)
    if text is None:
        return e.message
    try:
        return str(text) % dict(e.params)
    except (KeyError, TypeError, ValueError):  # a translation that lost a placeholder
        return e.message


def located(e: ContactError) -> str:
    """``contacts.csv line 7, column phone: …`` in the reader's language."""
    values = {"file": e.file, "line": e.line, "column": e.column, "message": message(e)}
    if e.line and e.column:
        return _("%(file)s line %(line)s, column %(column)s: %(message)s") % values
    if e.line:
        return _("%(file)s line %(line)s: %(message)s") % values
    if e.column:
        return _("column %(column)s: %(message)s") % values
    if e.file:
        return _("%(file)s: %(message)s") % values
    return values["message"]
