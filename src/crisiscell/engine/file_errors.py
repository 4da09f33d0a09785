"""Errors of the file importers (appointments, census): where each problem is, and what.

The shared readers (`crisiscell.engine.table_files`, `crisiscell.engine.fhir_files`) tell
their problems as `FileError` values and refuse a file with `FileInvalid`; each importer
turns them into its own errors (``AppointmentError``, ``CensusError``), with the same
words. No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileError:
    """One problem in a file: where (``line 12``, ``sheet Census, row 4``,
    ``entry[3].resource.start``, ``Encounter.000.ndjson line 7``) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class FileInvalid(ValueError):
    """Raised with every error found (never only the first); nothing is read."""

    def __init__(self, errors: list[FileError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Place:
    """Where a record is: ``line 4`` (the field goes before the message) or a JSON path
    such as ``entry[3].resource`` (the field extends the path)."""

    where: str
    nested: bool = False

    def error(self, field: str, message: str) -> FileError:
        if not field:
            return FileError(self.where, message)
        if self.nested:
            return FileError(f"{self.where}.{field}" if self.where else field, message)
        return FileError(self.where, f"{field}: {message}")


def short(value: object, limit: int = 60) -> str:
    """A value quoted for a message, cut to `limit` characters."""
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
