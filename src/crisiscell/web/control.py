"""Control characters in what a form sends: no one types them, PostgreSQL cannot store a NUL
in text, and an error message echoing one would be stored in the session. Forms refuse
them first, with the same words everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: Tab, line feed and carriage return are text; every other C0 control and DEL is not.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control(values: Iterable[str]) -> None:
    """Raise the form's ValidationError when any value holds a control character."""
    if any(CONTROL.search(v) for v in values):
        raise ValidationError(_("The text holds control characters: type it again."))
