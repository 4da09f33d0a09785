"""The shapes the API reads and writes. Every text is checked for control characters
(a NUL byte would reach the database as an error, not as a clear refusal)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from crisiscell.crisis.models import PHASES, SITE_MODES
from crisiscell.engine import ledger
from crisiscell.web.control import CONTROL

#: Row ids in a path or body: positive, and small enough for any database's integer.
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _no_control(value: str) -> str:
    bad = CONTROL.search(value)
    if bad:
        raise ValueError(f"control character U+{ord(bad.group()):04X} at position {bad.start()}")
    return value


def text(max_length: int, min_length: int = 0):
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_control)
    ]


Phase = Literal[PHASES]  # type: ignore[valid-type]
SiteModeName = Literal[SITE_MODES]  # type: ignore[valid-type]
Kind = Literal[ledger.KINDS]  # type: ignore[valid-type]


class Problem(Schema):
    """What went wrong, in the caller's language: every message, not just the first."""

    detail: str
    errors: list[str] = []


class CrisisOut(Schema):
    id: int
    uid: str
    title: str
    phase: Phase
    active: bool
    opened_at: datetime
    closed_at: datetime | None
    entry_count: int
    head: str


class CrisisIn(Schema):
    title: text(300, 1)


class PhaseIn(Schema):
    phase: Phase


class SiteModeIn(Schema):
    site: text(50, 1)
    mode: SiteModeName


class EntryOut(Schema):
    seq: int
    at: str
    author: str
    role: str
    kind: Kind
    text: str
    links: list[str]
    corrects: str | None
    prev_hash: str
    hash: str


class EntryIn(Schema):
    kind: Kind
    text: text(10_000, 1)
    links: list[text(200, 1)] = Field(default=[], max_length=50)
    corrects: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None


class EntryPage(Schema):
    crisis: int
    count: int
    head: str
    entries: list[EntryOut]


class VerificationOut(Schema):
    intact: bool
    count: int
    head: str
    message: str
    fault_seq: int | None = None
    fault_kind: str | None = None
