"""The file a page's import form sends (appointments, census): checked for presence and
size before it is read, and the importer's errors cut to what a page can show."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

MAX_UPLOAD = 50 * 2**20  # settings.FILE_UPLOAD_MAX_MEMORY_SIZE keeps it in memory
SHOWN_ERRORS = 100


def uploaded(request: HttpRequest) -> tuple[bytes, str]:
    """The bytes and the name of the form's ``file``; ValidationError when there is none or
    it is larger than 50 MiB."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ValidationError(_("Choose a file to import."))
    if upload.size > MAX_UPLOAD:
        raise ValidationError(_("The file is larger than 50 MiB."))
    return upload.read(), upload.name


def error_lines(errors: Sequence[object]) -> list[str]:
    """The first errors, each as a line, and how many more there are."""
    lines = [str(e) for e in errors[:SHOWN_ERRORS]]
    if len(errors) > SHOWN_ERRORS:
        lines.append(_("… and %(n)s more errors.") % {"n": len(errors) - SHOWN_ERRORS})
    return lines
