"""Which hosts a compromise report names: a pasted or uploaded list, or a name pattern.

A list is what an EDR console, an antivirus report or the CERT sends: one host name per
line, or a CSV with a header that has a ``host`` (or ``hostname``, ``name``) column and
optionally a ``state`` column (``compromised`` or ``suspected``; the form's state when
absent). Blank lines and lines starting with ``#`` are skipped; names are matched without
regard to case, and a fully qualified name (``srv-ehr-01.chu.local``) matches its short
name when the full name is not known. Every line is checked before anything is marked: an
unknown host, a bad state or a line that names a host twice with two states is reported by
its line number, and the caller marks nothing.

A pattern is a shell-style glob on host names (``srv-pacs-*``, ``ws-arl-0??``), without
regard to case; `match_pattern` says which hosts it picks.

No Django here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

INTAKE_STATES = ("compromised", "suspected", "ok")
HOST_COLUMNS = ("host", "hostname", "host_name", "name", "computer", "computername")
MAX_LINES = 200_000


@dataclass(frozen=True)
class LineError:
    line: int  # 1-based; 0 for the whole input
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class HostIndex:
    """The known host ids, looked up without regard to case."""

    def __init__(self, host_ids: Iterable[str]):
        self.ids = list(host_ids)
        self.by_lower = {h.lower(): h for h in self.ids}

    def find(self, name: str) -> str | None:
        key = name.strip().lower()
        if key in self.by_lower:
            return self.by_lower[key]
        short = key.split(".", 1)[0]
        return self.by_lower.get(short) if short else None


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every line that is not blank or a comment."""
    out = []
    dialect = ";" if text.count(";") > text.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect, skipinitialspace=True)
    for cells in reader:
        line = reader.line_num
        stripped = [c.strip() for c in cells]
        if not any(stripped) or stripped[0].startswith("#"):
            continue
        out.append((line, stripped))
    return out


def _header(cells: list[str]) -> tuple[int, int | None] | None:
    """(host column, state column) when `cells` is a header row."""
    lowered = [c.lower().lstrip("\ufeff") for c in cells]
    host = next((lowered.index(c) for c in HOST_COLUMNS if c in lowered), None)
    if host is None:
        return None
    return host, lowered.index("state") if "state" in lowered else None


def parse_host_list(
    text: str, index: HostIndex, default_state: str
) -> tuple[dict[str, str], list[LineError]]:
    """Host id -> state for every host the list names, or the errors by line."""
    if default_state not in INTAKE_STATES:
        return {}, [LineError(0, f"unknown state {default_state!r}")]
    try:
        rows = _rows(text)
    except csv.Error as exc:
        return {}, [LineError(0, f"not a readable list: {exc}")]
    if len(rows) > MAX_LINES:
        return {}, [LineError(0, f"too many lines ({len(rows):,}; at most {MAX_LINES:,})")]
    if not rows:
        return {}, [LineError(0, "the list names no host")]
    columns = _header(rows[0][1])
    if columns is not None:
        rows = rows[1:]
    host_col, state_col = columns or (0, None)
    found: dict[str, str] = {}
    where: dict[str, int] = {}
    errors: list[LineError] = []
    for line, cells in rows:
        if host_col >= len(cells) or not cells[host_col]:
            errors.append(LineError(line, "no host name"))
            continue
        name = cells[host_col]
        state = default_state
        if state_col is not None and state_col < len(cells) and cells[state_col]:
            state = cells[state_col].lower()
            if state not in INTAKE_STATES:
                errors.append(
                    LineError(
                        line,
                        f"unknown state {cells[state_col]!r}: expected " + ", ".join(INTAKE_STATES),
                    )
                )
                continue
        host = index.find(name)
        if host is None:
            errors.append(LineError(line, f"unknown host {name!r}"))
            continue
        if host in found and found[host] != state:
            errors.append(
                LineError(
                    line,
                    f"host {host!r} is already {found[host]} on line {where[host]}, not {state}",
                )
            )
            continue
        found[host] = state
        where.setdefault(host, line)
    return ({}, errors) if errors else (found, [])


def match_pattern(pattern: str, host_ids: Iterable[str]) -> list[str]:
    """The hosts whose id matches the glob `pattern`, without regard to case, in the
    given order."""
    wanted = pattern.strip().lower()
    if not wanted:
        return []
    return [h for h in host_ids if fnmatchcase(h.lower(), wanted)]
