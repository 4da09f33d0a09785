"""Tables of the file importers (appointments, census): CSV and XLSX, their cells and times.

- `decode_csv`: CSV bytes as text, UTF-8 with or without a byte-order mark; every line that
  is not UTF-8 is an error naming it.
- `csv_table`: the rows of a CSV text, separated by ``,`` or ``;`` (whichever its first
  line uses more), each with its line number (a quoted value may span lines).
- `xlsx_table`: the rows of a workbook's sheet, each with its row number; a date-time cell
  shown as a date alone reads as a date.
- `table_records`: a table's header checked against the columns of the format, then each
  row as a record (column → value) with its place: ``line 12`` or ``sheet Census, row 4``.
- `parse_start`: an ISO 8601 date and time, with its offset, its zone in brackets
  (RFC 9557) or as a wall-clock time of a zone given (without one, an error); `localize`
  checks the wall-clock times the clocks skip or show twice.

Problems are `FileError` values, a refused file `FileInvalid` (`file_errors`). No Django here.
"""

from __future__ import annotations

import csv
import io
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from .csv_rows import delimiter_of, records
from .file_errors import FileError, FileInvalid, Place, short
from .mapfiles import _text, _why

_UNDECODABLE = re.compile("[\udc80-\udcff]")
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]')
_LINE_NUMBER = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class Table:
    """The rows of a CSV file or of a sheet, each with its number (blank ones included)."""

    rows: list[tuple[int, list[Any]]]
    #: What goes before a row's number in its place: ``line `` or ``sheet X, row ``.
    prefix: str
    #: Every row has as many values as the header (CSV); else a row may stop short (a
    #: spreadsheet leaves trailing empty cells out).
    exact_width: bool = False

    def place(self, number: int) -> Place:
        return Place(f"{self.prefix}{number}")


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


def decode_csv(data: bytes, *, nul_lines: bool = False) -> str:
    """The text of CSV bytes (UTF-8, with or without a byte-order mark); FileInvalid naming
    every line that is not UTF-8 and, with `nul_lines`, every line holding a NUL."""
    # Undecodable bytes are kept as lone surrogates, to report them by line.
    text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="surrogateescape")
    if _UNDECODABLE.search(text) or (nul_lines and "\x00" in text):
        errors = []
        for number, line in enumerate(text.split("\n"), start=1):
            if bad := _UNDECODABLE.search(line):
                byte = ord(bad.group(0)) - 0xDC00
                message = f"not UTF-8 text (byte 0x{byte:02x}): save the file as CSV UTF-8"
                errors.append(FileError(f"line {number}", message))
            elif nul_lines and "\x00" in line:
                errors.append(FileError(f"line {number}", "a NUL character"))
        raise FileInvalid(errors)
    return text


def csv_table(text: str) -> Table:
    """The rows of a CSV text, separated by ``,`` or ``;`` (whichever the first line that
    is not blank uses more); FileInvalid with every malformed line, or the first NUL."""
    delimiter = delimiter_of(text)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise FileInvalid([FileError(f"line {line}", "a NUL character")])
    errors: list[FileError] = []
    rows: list[tuple[int, list[Any]]] = []
    for start, cells in records(text, delimiter):
        if isinstance(cells, csv.Error):
            errors.append(FileError(f"line {start}", f"malformed CSV ({cells})"))
        else:
            rows.append((start, cells))
    if errors:
        raise FileInvalid(errors)
    return Table(rows, "line ", exact_width=True)


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------


def xlsx_table(source: bytes | Path, sheet: str | None = None) -> Table:
    """The rows of an XLSX workbook's sheet named `sheet` (case and surrounding spaces
    aside), else of its first sheet."""
    import zipfile

    import openpyxl

    stream = io.BytesIO(source) if isinstance(source, bytes) else Path(source).open("rb")
    try:
        if not zipfile.is_zipfile(stream):
            raise FileInvalid([FileError("", "not an XLSX workbook")])
        stream.seek(0)
        try:
            wb = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # a damaged workbook may fail in many ways inside openpyxl
            raise FileInvalid(
                [FileError("", f"not a readable XLSX workbook ({_why(exc)})")]
            ) from None
        try:
            if not wb.sheetnames:
                raise FileInvalid([FileError("", "the workbook has no sheet")])
            title = next((t for t in wb.sheetnames if t.strip().lower() == sheet), None)
            title = title or wb.sheetnames[0]
            try:
                ws = wb[title]
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()  # some writers record a wrong size: read every cell
                rows = [
                    (n, [_cell_value(c) for c in cells])
                    for n, cells in enumerate(ws.iter_rows(min_row=1), start=1)
                ]
            except Exception as exc:  # as above: a damaged sheet
                raise FileInvalid(
                    [FileError(f"sheet {title}", f"unreadable sheet ({_why(exc)})")]
                ) from None
        finally:
            wb.close()
    finally:
        stream.close()
    return Table(rows, f"sheet {title}, row ")


def _cell_value(cell: Any) -> Any:
    """A cell's value; a date-time cell shown as a date alone is a date (no time given)."""
    value = getattr(cell, "value", None)
    if isinstance(value, datetime):
        shown = _QUOTED.sub("", str(getattr(cell, "number_format", "") or "")).lower()
        if shown and "general" not in shown and not re.search(r"[hs]", shown):
            return value.date()
    return value


# ---------------------------------------------------------------------------
# Header and records
# ---------------------------------------------------------------------------


def blank(value: Any) -> bool:
    """No value: an empty cell, or spaces alone."""
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as stripped text; a spreadsheet number that is an id (123, 12.0) is ``123``,
    ``12``."""
    return "" if value is None else _text(value).strip()


def table_records(
    table: Table,
    columns: Sequence[str],
    required: Sequence[str],
    errors: list[Any],
) -> list[tuple[Place, dict[str, Any]]]:
    """Each row after the header, blank ones left out, as (place, column → value).

    The first row that is not blank names the columns: its names are read in any case,
    with spaces or ``-`` for ``_``; an unknown column, one twice or a `required` one
    missing refuse the file (FileInvalid), as does a file with no row. A row with another
    width than the header (see `Table.exact_width`) is an error added to `errors`, and
    left out."""
    filled = [(n, cells) for n, cells in table.rows if not all(blank(c) for c in cells)]
    if not filled:
        message = f"the file is empty: its first line names the columns ({', '.join(columns)})"
        raise FileInvalid([FileError("", message)])
    header_at, header = filled[0]
    problems: list[FileError] = []
    names = _header(header, columns, required, table.place(header_at), problems)
    if problems:
        raise FileInvalid(problems)
    records: list[tuple[Place, dict[str, Any]]] = []
    for number, cells in filled[1:]:
        place = table.place(number)
        extra = [c for c in cells[len(names) :] if not blank(c)]
        if extra or (table.exact_width and len(cells) != len(names)):
            errors.append(place.error("", f"{len(cells)} value(s) for {len(names)} column(s)"))
            continue
        records.append((place, {n: cell for n, cell in zip(names, cells, strict=False) if n}))
    return records


def _header(
    cells: list[Any],
    columns: Sequence[str],
    required: Sequence[str],
    place: Place,
    errors: list[FileError],
) -> list[str]:
    names: list[str] = []
    unknown: list[str] = []
    for position, cell in enumerate(cells, start=1):
        name = "" if blank(cell) else re.sub(r"[\s-]+", "_", cell_text(cell).lower())
        if name and name not in columns:
            unknown.append(short(cell_text(cell)))
        elif name and name in names:
            errors.append(place.error("", f"column {name!r} appears twice (column {position})"))
        names.append(name)
    if unknown:
        expected = ", ".join(columns)
        errors.append(
            place.error("", f"unknown column(s) {', '.join(unknown)} (expected: {expected})")
        )
    if missing := [c for c in required if c not in names]:
        errors.append(
            place.error(
                "", f"missing column(s) {', '.join(missing)} (the first line names the columns)"
            )
        )
    return names


def line_of(error: Any) -> int:
    """The line or row number an error's place ends with (0: none), to sort by."""
    m = _LINE_NUMBER.search(error.where)
    return int(m.group(1)) if m else 0


# ---------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------

_HAS_TIME = re.compile(r"\s*\d{4}-?\d{2}-?\d{2}[T ]\d{2}")
_ZONE_SUFFIX = re.compile(r"^(.*)\[([^\[\]]*)\]\s*$", re.DOTALL)
#: Told after a time with neither offset nor zone, when no zone reads it.
NO_ZONE = "has no time zone: give its offset (e.g. 2024-03-05T14:20:00+01:00)"


def parse_start(text: str, tz: tzinfo | None) -> datetime:
    """An ISO 8601 date and time as an aware UTC datetime. With an offset it is that
    instant; with a zone in brackets (``2022-05-23T08:30[Europe/Brussels]``) a wall-clock
    time of that zone (an unknown zone, or an offset that disagrees with it, is an error);
    with neither, a wall-clock time of `tz` (see `localize`), or an error when `tz` is
    None. A date without a time is an error. Raises ValueError with the reason."""
    raw = text.strip()
    zone: tzinfo | None = None
    m = _ZONE_SUFFIX.match(raw)
    if m:
        raw, name = m.group(1).strip(), m.group(2).strip()
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {short(name)}") from None
    if not _HAS_TIME.match(raw):
        raise ValueError(
            f"{short(text)} is not a date and time (expected ISO 8601, e.g. "
            "2022-05-23T08:30:00+02:00)"
        )
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"malformed date and time {short(text)} (expected ISO 8601, e.g. "
            "2022-05-23T08:30:00+02:00)"
        ) from None
    try:
        if value.tzinfo is not None:
            if zone is not None:
                expected = value.replace(tzinfo=None).replace(tzinfo=zone).utcoffset()
                if expected != value.utcoffset():
                    raise ValueError(
                        f"{short(text)}: the offset disagrees with the zone "
                        f"({_offset(value.utcoffset())} given, {_offset(expected)} in {zone})"
                    )
            return value.astimezone(UTC)
        if zone is None and tz is None:
            raise ValueError(f"{short(text)} {NO_ZONE}")
        return localize(value, zone or tz).astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{short(text)} is out of range") from None


def _offset(delta: timedelta | None) -> str:
    if delta is None:
        return "?"
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """`naive` as a wall-clock time of `tz`; a ValueError for a time the clocks skip
    (spring) or show twice (autumn), asking for the offset."""
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    stamp = naive.isoformat(sep=" ", timespec="minutes")
    if back != naive:
        raise ValueError(
            f"{stamp} does not exist in {tz} (the clocks go forward then): give the offset"
        )
    raise ValueError(
        f"{stamp} happens twice in {tz} (the clocks go back then): give the offset, "
        f"{_offset(first.utcoffset())} or {_offset(second.utcoffset())}"
    )
