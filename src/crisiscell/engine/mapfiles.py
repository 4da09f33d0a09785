"""Group map files (FORMATS.md §1): YAML, JSON, an XLSX workbook, or a folder of CSV files.

`read_map(path)` gives a validated `GroupMap` or raises one of two errors, each carrying
*every* problem found, each naming the file and where in it:

- `MapFileError` when the file cannot be read as a document at all (not YAML, a CSV row
  with the wrong number of values, an unknown sheet, a duplicate key...);
- `MapInvalid` when the document is readable but not a valid map. Its errors are
  `LocatedError`s: the `parse_map` path plus the line (YAML) or the sheet row / CSV line
  (tables), e.g. ``group.yaml:42: services[3].needs[1].app: unknown application 'PAC'``.

`write_map(gm, fmt, out)` writes the same four formats; reading back what it wrote gives
an equal map. No Django here: the command line uses this module on a bare file.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from .csv_rows import records as csv_records
from .groupmap import (
    FIELDS,
    FLOAT,
    GROUP_FIELDS,
    INT,
    LIST,
    SECTIONS,
    TABLES,
    FieldSpec,
    GroupMap,
    MapError,
    MapInvalid,
    map_to_doc,
    parse_map,
)
from .yaml_writer import dump_yaml

try:  # libyaml is ten times faster on a region's map; the pure-Python classes behave the same
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

FORMATS = ("yaml", "json", "xlsx", "csv")
#: Columns of every table of a workbook or CSV folder.
TABLE_FIELDS: dict[str, tuple[FieldSpec, ...]] = {"group": GROUP_FIELDS, **FIELDS}
#: Tables a workbook or CSV folder must have; `group`, `flows` and `service_needs` may be left out.
REQUIRED_TABLES = ("sites", "zones", "hosts", "applications", "services")
LIST_SEPARATOR = ";"


class MapFileError(ValueError):
    """The file is not a readable map document; `errors` lists every problem as text."""

    def __init__(self, errors: Iterable[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class LocatedError(MapError):
    """A `parse_map` error with the place in the file it comes from.

    `path` stays the document path (``services[5].criticality``); `location` names the file
    and line or row; `shown` is the part of the path printed after the location when it
    differs from `path` (for tables, the column: ``criticality``)."""

    location: str = ""
    shown: str | None = None

    def __str__(self) -> str:
        path = self.path if self.shown is None else self.shown
        return ": ".join(part for part in (self.location, path, self.message) if part)


# The errors of `parse_map`, placed in the file they were read from.
Locator = Callable[[list[MapError]], list[MapError]]


@dataclass
class _Read:
    doc: Any
    locate: Locator
    #: content errors found while rebuilding the document (tables only)
    pending: list[MapError] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def read_document(path: Path) -> dict:
    """The map document of `path` (a mapping, unless the file is not a map), not validated.

    Raises MapFileError when the file cannot be read as a document, MapInvalid when a
    table row cannot be placed in it (a need of an unknown service)."""
    read = _read(Path(path))
    if read.pending:
        raise MapInvalid(read.pending)
    return read.doc


def read_map(path: Path) -> GroupMap:
    """The validated map of `path`; see the module docstring for the errors raised."""
    read = _read(Path(path))
    try:
        gm = parse_map(read.doc)
    except MapInvalid as exc:
        raise MapInvalid(read.pending + read.locate(exc.errors)) from None
    if read.pending:
        raise MapInvalid(read.pending)
    return gm


def write_map(gm: GroupMap, fmt: str, out: Path | TextIO) -> None:
    """Write `gm` as yaml, json (to a file or a text stream), xlsx (a file) or csv (a folder,
    created if needed, one file per table)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown map format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    if fmt in ("yaml", "json"):
        if isinstance(out, (str, Path)):
            path = Path(out)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="\n") as f:
                _write_text(gm, fmt, f)
        else:
            _write_text(gm, fmt, out)
        return
    if not isinstance(out, (str, Path)):
        raise TypeError(f"the {fmt} format needs a path, not a stream")
    tables = _tables_of(gm)
    if fmt == "xlsx":
        _write_xlsx(tables, Path(out))
    else:
        _write_csv(tables, Path(out))


def _read(path: Path) -> _Read:
    if path.is_dir():
        return _read_csv_folder(path)
    if not path.exists():
        raise MapFileError([f"{path}: no such file or folder"])
    suffix = path.suffix.lower()
    reader = {
        ".yaml": _read_yaml,
        ".yml": _read_yaml,
        ".json": _read_json,
        ".xlsx": _read_xlsx,
    }.get(suffix)
    if reader is None:
        hint = " (a CSV map is the folder of its CSV files)" if suffix == ".csv" else ""
        raise MapFileError(
            [
                f"{path.name}: unknown map format {suffix or '(no extension)'!r}: expected "
                f".yaml, .yml, .json, .xlsx or a folder of CSV files{hint}"
            ]
        )
    return reader(path)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MapFileError([f"{path.name}: cannot read the file ({exc.strerror or exc})"]) from None


# ---------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(_SafeLoader):  # type: ignore[misc,valid-type]
    """The safe loader, noting whether some mapping repeats a key (PyYAML keeps the last)."""

    duplicate_keys = False

    def construct_mapping(self, node, deep=False):
        keys = [
            k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.tag != _MERGE_TAG
        ]
        if len(set(keys)) != len(keys):
            # Only a hint: the composed tree, walked below, tells which keys and where.
            self.duplicate_keys = True
        return super().construct_mapping(node, deep)


def _read_yaml(path: Path) -> _Read:
    name = path.name
    data = _read_bytes(path)
    loader = None
    try:
        loader = _Loader(data)
        doc = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise MapFileError([_yaml_problem(name, data, exc)]) from None
    except RecursionError:
        raise MapFileError([f"{name}: nested too deeply"]) from None
    finally:
        if loader is not None:
            loader.dispose()

    tree_cache: list[Any] = []

    def tree() -> Any:
        if not tree_cache:
            tree_cache.append(yaml.compose(data, Loader=_SafeLoader))
        return tree_cache[0]

    if loader.duplicate_keys:
        duplicates = _yaml_duplicates(name, tree())
        if duplicates:
            raise MapFileError(duplicates)

    def locate(errors: list[MapError]) -> list[MapError]:
        root = tree()
        return [
            LocatedError(e.path, e.message, location=f"{name}:{line}" if line else name)
            for e in errors
            for line in [_yaml_line(root, e.path)]
        ]

    return _Read(doc, locate)


def _yaml_problem(name: str, data: bytes, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError) and mark is not None:
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        return f"{name}:{mark.line + 1}:{mark.column + 1}: malformed YAML: {what}"
    if isinstance(exc, yaml.reader.ReaderError):
        line = data.count(b"\n", 0, max(exc.position, 0)) + 1
        return f"{name}:{line}: cannot decode the file as {exc.encoding} text: {exc.reason}"
    return f"{name}: malformed YAML: {exc}"


_PATH_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def _path_tokens(path: str) -> list[str | int]:
    return [
        int(m.group(1)) if m.group(1) is not None else m.group(2)
        for m in _PATH_TOKEN.finditer(path)
    ]


def _yaml_line(root: Any, path: str) -> int | None:
    """The line of the node that `path` names, or of its deepest existing ancestor."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for token in _path_tokens(path):
        if (
            isinstance(node, yaml.SequenceNode)
            and isinstance(token, int)
            and token < len(node.value)
        ):
            node = node.value[token]
            line = node.start_mark.line + 1
        elif isinstance(node, yaml.MappingNode) and isinstance(token, str):
            # The last one wins, as in the loaded document.
            found = [
                (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == token
            ]
            if not found:
                break
            key, node = found[-1]
            line = key.start_mark.line + 1
        else:
            break
    return line


def _yaml_duplicates(name: str, root: Any) -> list[str]:
    """Every repeated key of every mapping of the composed tree, with its path and lines."""
    errors: list[tuple[int, str]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[Any, str]] = [(root, "")] if root is not None else []
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:  # an alias: already walked
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            children = []
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                child = key.value if not path else f"{path}.{key.value}"
                if key.tag == _MERGE_TAG:
                    children.append((value, path))
                    continue
                line = key.start_mark.line + 1
                if (key.tag, key.value) in first:
                    first_line = first[(key.tag, key.value)]
                    errors.append(
                        (
                            line,
                            f"{name}:{line}: {child}: duplicate key {key.value!r} "
                            f"(first at line {first_line})",
                        )
                    )
                else:
                    first[(key.tag, key.value)] = line
                children.append((value, child))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(
                (item, f"{path}[{i}]") for i, item in reversed(list(enumerate(node.value)))
            )
    return [text for _, text in sorted(errors)]


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------


class _DupDict(dict):
    """A JSON object that repeated some of its keys (the last value is kept, as in YAML)."""

    duplicates: list[str]


def _read_json(path: Path) -> _Read:
    name = path.name
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise MapFileError([f"{name}:{line}: not UTF-8 text ({exc.reason})"]) from None
    repeated: list[bool] = []

    def make_object(pairs: list[tuple[str, Any]]) -> dict:
        d = dict(pairs)
        if len(d) != len(pairs):
            d = _DupDict(d)
            seen: set[str] = set()
            d.duplicates = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
            repeated.append(True)
        return d

    try:
        doc = json.loads(text, object_pairs_hook=make_object)
    except json.JSONDecodeError as exc:
        raise MapFileError(
            [f"{name}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}"]
        ) from None
    except RecursionError:
        raise MapFileError([f"{name}: nested too deeply"]) from None
    if repeated:
        raise MapFileError(
            [
                f"{name}: {path + '.' if path else ''}{key}: duplicate key {key!r}"
                for path, value in _walk(doc)
                if isinstance(value, _DupDict)
                for key in value.duplicates
            ]
        )

    def locate(errors: list[MapError]) -> list[MapError]:
        return [LocatedError(e.path, e.message, location=name) for e in errors]

    return _Read(doc, locate)


def _walk(doc: Any) -> Iterator[tuple[str, Any]]:
    """Every value of a JSON document with its path (iterative: documents may be deep)."""
    stack: list[tuple[str, Any]] = [("", doc)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            items = [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i}]", v) for i, v in enumerate(value)]))


# ---------------------------------------------------------------------------
# Tables: an XLSX workbook or a folder of CSV files
# ---------------------------------------------------------------------------


@dataclass
class _Table:
    """One sheet or CSV file as read: a header and numbered rows of raw cells."""

    name: str  # the table: sites, zones, ..., service_needs, group
    where: str  # "group.xlsx[sites]" or "sites.csv"
    unit: str  # "row" (XLSX) or "line" (CSV)
    header_at: int = 0
    header: list[Any] = field(default_factory=list)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)

    def at(self, number: int) -> str:
        return f"{self.where} {self.unit} {number}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _tables_to_read(source: str, tables: dict[str, _Table], errors: list[str]) -> _Read:
    """Rebuild the document from checked tables (structural errors go to `errors`)."""
    records: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for table in tables.values():
        records[table.name] = _table_records(table, errors)
    if errors:
        raise MapFileError(errors)

    doc: dict[str, Any] = {}
    group_rows = records.get("group", [])
    for number, _ in group_rows[1:]:
        errors.append(f"{tables['group'].at(number)}: the group table holds a single row")
    if errors:
        raise MapFileError(errors)
    rows: dict[tuple[str, int], int] = {}  # (section, index) -> row number
    need_rows: dict[tuple[int, int], int] = {}  # (service index, need index) -> row number
    if group_rows:
        number, doc["group"] = group_rows[0]
        rows[("group", 0)] = number
    for section in SECTIONS:
        if section not in tables:
            continue
        doc[section] = []
        for i, (number, rec) in enumerate(records[section]):
            doc[section].append(rec)
            rows[(section, i)] = number

    pending: list[MapError] = []
    if "service_needs" in tables:
        table = tables["service_needs"]
        service_index: dict[Any, int] = {}
        for i, rec in enumerate(doc.get("services", [])):
            if isinstance(rec.get("id"), str):
                service_index.setdefault(rec["id"], i)
        for number, rec in records["service_needs"]:
            service = rec.pop("service", None)
            if service is None or service not in service_index:
                message = (
                    "missing required field" if service is None else f"unknown service {service!r}"
                )
                pending.append(
                    LocatedError(
                        "service_needs", message, location=table.at(number), shown="service"
                    )
                )
                continue
            i = service_index[service]
            needs = doc["services"][i].setdefault("needs", [])
            need_rows[(i, len(needs))] = number
            needs.append(rec)

    def locate(errors: list[MapError]) -> list[MapError]:
        return [_locate_in_tables(e, source, tables, rows, need_rows) for e in errors]

    return _Read(doc, locate, pending)


_ROW_PATH = re.compile(r"(\w+)\[(\d+)\](?:\.(.*))?$", re.DOTALL)
_NEED_PATH = re.compile(r"needs\[(\d+)\](?:\.(.*))?$", re.DOTALL)
_FIRST_AT = re.compile(r"\(first at (\w+)\[(\d+)\]\)")
_ALREADY_AT = re.compile(r"already needed at needs\[(\d+)\]")


def _locate_in_tables(
    error: MapError,
    source: str,
    tables: dict[str, _Table],
    rows: dict[tuple[str, int], int],
    need_rows: dict[tuple[int, int], int],
) -> MapError:
    path, message = error.path, error.message
    if path == "group" or path.startswith("group."):
        if ("group", 0) in rows:
            return LocatedError(
                path, message, tables["group"].at(rows[("group", 0)]), path[len("group.") :]
            )
        return LocatedError(path, message, location=source)
    m = _ROW_PATH.match(path)
    if not m or (m.group(1), int(m.group(2))) not in rows:
        return LocatedError(path, message, location=source)
    section, index, rest = m.group(1), int(m.group(2)), m.group(3) or ""

    def row_of(match: re.Match) -> str:
        number = rows.get((match.group(1), int(match.group(2))))
        return f"(first at {tables[match.group(1)].unit} {number})" if number else match.group(0)

    message = _FIRST_AT.sub(row_of, message)
    need = _NEED_PATH.match(rest) if section == "services" else None
    if need and (index, int(need.group(1))) in need_rows:
        table = tables["service_needs"]

        def need_row(match: re.Match) -> str:
            number = need_rows.get((index, int(match.group(1))))
            return f"already needed at {table.unit} {number}" if number else match.group(0)

        message = _ALREADY_AT.sub(need_row, message)
        number = need_rows[(index, int(need.group(1)))]
        return LocatedError(path, message, table.at(number), need.group(2) or "")
    return LocatedError(path, message, tables[section].at(rows[(section, index)]), rest)


def _table_records(table: _Table, errors: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """Check the header, then turn each non-empty row into a record of converted values."""
    if not table.header_at:  # an empty sheet or file: an empty table
        return []
    specs = {spec.name: spec for spec in TABLE_FIELDS[table.name]}
    expected = ", ".join(specs)
    columns: list[FieldSpec | None] = []
    seen: dict[str, int] = {}
    for col, raw in enumerate(table.header, start=1):
        name = _text(raw).strip().lower() if not _blank(raw) else ""
        if not name:
            if any(col <= len(cells) and not _blank(cells[col - 1]) for _, cells in table.rows):
                errors.append(f"{table.at(table.header_at)}: column {col} has values but no name")
            columns.append(None)
        elif name not in specs:
            errors.append(
                f"{table.at(table.header_at)}: unknown column {name!r} (expected: {expected})"
            )
            columns.append(None)
        elif name in seen:
            errors.append(f"{table.at(table.header_at)}: column {name!r} appears twice")
            columns.append(None)
        else:
            seen[name] = col
            columns.append(specs[name])
    for spec in specs.values():
        if spec.required and spec.name not in seen:
            errors.append(f"{table.at(table.header_at)}: missing column {spec.name!r}")
    records = []
    for number, cells in table.rows:
        if all(_blank(c) for c in cells):
            continue
        extra = [c for c in cells[len(columns) :] if not _blank(c)]
        if extra:
            errors.append(f"{table.at(number)}: {len(extra)} value(s) beyond the named columns")
        rec: dict[str, Any] = {}
        for spec, raw in zip(columns, cells, strict=False):
            if spec is not None:
                present, value = _convert(spec, raw)
                if present:
                    rec[spec.name] = value
        records.append((number, rec))
    return records


_UNDECODABLE = re.compile("[\udc80-\udcff]")
_INT_TEXT = re.compile(r"[+-]?\d+")
_FLOAT_TEXT = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def _text(value: Any) -> str:
    """A cell as text: spreadsheet numbers that are ids (123, 12.0) become "123", "12"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _number(text: str) -> int | float | str:
    """Numeric text as a number (a decimal comma is accepted); other text unchanged."""
    s = text.strip()
    try:
        if _INT_TEXT.fullmatch(s):
            return int(s)
        if _FLOAT_TEXT.fullmatch(s):
            return float(s.replace(",", "."))
    except ValueError:  # more digits than Python converts
        pass
    return text


def _convert(spec: FieldSpec, raw: Any) -> tuple[bool, Any]:
    """(present, value) of one cell for its field; the validator judges the value."""
    if raw is None or raw == "":
        return False, None
    if spec.type == LIST:
        items = [item.strip() for item in _text(raw).split(LIST_SEPARATOR)]
        items = [item for item in items if item]
        return bool(items), items
    if spec.type in (INT, FLOAT):
        value = _number(raw) if isinstance(raw, str) else raw
        if isinstance(value, str) and not value.strip():
            return False, None
        if spec.type == INT and isinstance(value, float) and value.is_integer():
            value = int(value)
        return True, value
    return True, _text(raw)


# --- XLSX ---------------------------------------------------------------------


def _read_xlsx(path: Path) -> _Read:
    import zipfile

    import openpyxl

    name = path.name
    if not zipfile.is_zipfile(path):
        raise MapFileError([f"{name}: not an XLSX workbook"])
    errors: list[str] = []
    tables: dict[str, _Table] = {}
    unreadable: set[str] = set()
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged workbook may fail in many ways inside openpyxl
        raise MapFileError([f"{name}: not a readable XLSX workbook ({_why(exc)})"]) from None
    try:
        for title in wb.sheetnames:
            table_name = title.strip().lower()
            if table_name not in TABLES:
                errors.append(f"{name}[{title}]: unknown sheet (expected: {', '.join(TABLES)})")
                continue
            if table_name in tables:
                errors.append(f"{name}[{title}]: a second sheet for table {table_name!r}")
                continue
            table = _Table(table_name, f"{name}[{title}]", "row")
            try:
                ws = wb[title]
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()  # some writers record a wrong size: read every cell
                for number, cells in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                    _add_row(table, number, list(cells))
            except Exception as exc:  # as above: a damaged sheet
                errors.append(f"{name}[{title}]: unreadable sheet ({_why(exc)})")
                unreadable.add(table_name)
                continue
            tables[table_name] = table
    finally:
        wb.close()
    for table_name in REQUIRED_TABLES:
        if table_name not in tables and table_name not in unreadable:
            errors.append(f"{name}: missing sheet {table_name!r}")
    return _tables_to_read(name, tables, errors)


def _why(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _add_row(table: _Table, number: int, cells: list[Any]) -> None:
    if not table.header_at:
        if not all(_blank(c) for c in cells):
            table.header_at, table.header = number, cells
        return
    table.rows.append((number, cells))


# --- CSV ----------------------------------------------------------------------


def _read_csv_folder(folder: Path) -> _Read:
    errors: list[str] = []
    tables: dict[str, _Table] = {}
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    except OSError as exc:
        raise MapFileError(
            [f"{folder.name}: cannot list the folder ({exc.strerror or exc})"]
        ) from None
    for path in files:
        table_name = path.stem.strip().lower()
        if table_name not in TABLES:
            errors.append(
                f"{path.name}: unknown table (expected: {', '.join(t + '.csv' for t in TABLES)})"
            )
        elif table_name in tables:
            errors.append(f"{path.name}: a second file for table {table_name!r}")
        else:
            tables[table_name] = _read_csv(path, table_name, errors)
    for table_name in REQUIRED_TABLES:
        if table_name not in tables:
            errors.append(f"{folder.name}: missing {table_name}.csv")
    return _tables_to_read(f"{folder.name}/", tables, errors)


def _read_csv(path: Path, table_name: str, errors: list[str]) -> _Table:
    table = _Table(table_name, path.name, "line")
    data = _read_bytes(path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # Undecodable bytes are kept as lone surrogates, to report them by line and read on.
    text = data.decode("utf-8", errors="surrogateescape")
    if _UNDECODABLE.search(text):
        for number, line in enumerate(text.split("\n"), start=1):
            bad = _UNDECODABLE.search(line)
            if bad:
                byte = ord(bad.group(0)) - 0xDC00
                errors.append(f"{table.at(number)}: not UTF-8 text (byte 0x{byte:02x})")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    for number, cells in csv_records(text, delimiter):
        if isinstance(cells, csv.Error):
            errors.append(f"{table.at(number)}: malformed CSV ({cells})")
            continue
        if all(_blank(c) for c in cells):
            continue
        if table.header_at and len(cells) != len(table.header):
            errors.append(
                f"{table.at(number)}: {len(cells)} value(s) for {len(table.header)} column(s) "
                f"(separator {delimiter!r})"
            )
            continue
        _add_row(table, number, cells)
    return table


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


def _write_text(gm: GroupMap, fmt: str, stream: TextIO) -> None:
    doc = map_to_doc(gm)
    if fmt == "json":
        json.dump(doc, stream, ensure_ascii=False, indent=1)
        stream.write("\n")
    else:
        dump_yaml(doc, stream)  # one line per record, as in FORMATS.md


def _tables_of(gm: GroupMap) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Each table's header and rows, in `TABLES` order; lists joined by `;`."""
    doc = map_to_doc(gm)
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    names = [spec.name for spec in GROUP_FIELDS]
    tables["group"] = (names, [[doc["group"].get(n) for n in names]])
    for section in SECTIONS:
        names = [spec.name for spec in FIELDS[section]]
        tables[section] = (
            names,
            [[_cell_out(rec.get(n), section, rec, n) for n in names] for rec in doc[section]],
        )
    tables["service_needs"] = (
        [spec.name for spec in FIELDS["service_needs"]],
        [[s["id"], n["app"], n["without"]] for s in doc["services"] for n in s.get("needs", [])],
    )
    return tables


def _cell_out(value: Any, section: str, rec: dict, name: str) -> Any:
    if not isinstance(value, list):
        return value
    for item in value:
        if LIST_SEPARATOR in item or item != item.strip():
            # The table would read back a different list: refuse rather than lose it.
            raise ValueError(
                f"{section} {rec.get('id', '')!r}: {name} item {item!r} cannot be written "
                f"to a table (it holds {LIST_SEPARATOR!r} or surrounding spaces)"
            )
    return LIST_SEPARATOR.join(value)


def _write_xlsx(tables: dict[str, tuple[list[str], list[list[Any]]]], path: Path) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    wb = openpyxl.Workbook(write_only=True)
    for table, (header, rows) in tables.items():
        ws = wb.create_sheet(table)
        ws.freeze_panes = "A2"
        for col, name in enumerate(header, start=1):
            widest = max([len(name)] + [len(str(r[col - 1] or "")) for r in rows[:200]])
            ws.column_dimensions[get_column_letter(col)].width = min(60, widest + 2)
        head = []
        for name in header:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            head.append(cell)
        ws.append(head)
        for row in rows:
            out: list[Any] = []
            for value in row:
                if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
                    # Text, not a formula or an error value: a name may well start with "=".
                    cell = WriteOnlyCell(ws, value=value)
                    cell.data_type = "s"
                    out.append(cell)
                elif isinstance(value, (int, float)) and float(f"{value:.16g}") != value:
                    # openpyxl stores 16 significant digits; keep every digit, as numeric
                    # text, which the reader takes back as the same number.
                    out.append(repr(value))
                else:
                    out.append(value)
            ws.append(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _write_csv(tables: dict[str, tuple[list[str], list[list[Any]]]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for table, (header, rows) in tables.items():
        with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in rows)
