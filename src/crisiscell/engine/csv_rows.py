"""Reading CSV text record by record, each with the line it starts on (a quoted value may
span lines), going on past a malformed record so that every one is reported. Shared by
the importers of the map, the directory, appointments and the census. No Django here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator


def delimiter_of(text: str) -> str:
    """``;`` or ``,``: whichever the first line that is not blank uses more."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") > first.count(",") else ","


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(line the record starts on, its cells), or (line, the csv.Error) for a malformed
    record, in order."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, exc
            if reader.line_num < start:  # nothing consumed: do not spin
                return
            start = reader.line_num + 1
            continue
        yield start, cells
        start = reader.line_num + 1
