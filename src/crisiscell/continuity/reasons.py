"""The optimiser's reasons (`crisiscell.engine.reprogram`, written in English in the plan's
CSV) in the reader's language, for the pages."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

#: (pattern of the engine's reason, its wording with the same named groups)
_PATTERNS = [
    (r"in the past", gettext_noop("in the past")),
    (r"kept by the scheduler", gettext_noop("kept by the scheduler")),
    (r"postponed by the scheduler", gettext_noop("postponed by the scheduler")),
    (r"pinned by the scheduler", gettext_noop("pinned by the scheduler")),
    (r"not affected by the crisis", gettext_noop("not affected by the crisis")),
    (
        r"urgency 1: kept while the service has capacity",
        gettext_noop("urgency 1: kept while the service has capacity"),
    ),
    (
        r"fits the (?P<state>\w+) service's capacity that day",
        gettext_noop("fits the service's capacity that day"),
    ),
    (r"service down", gettext_noop("service down")),
    (
        r"service degraded \((?P<share>\d+%) of its capacity\)",
        gettext_noop("service degraded (%(share)s of its capacity)"),
    ),
    (r"no capacity left that day", gettext_noop("no capacity left that day")),
    (r"unknown service '(?P<service>.*)'", gettext_noop("unknown service %(service)s")),
    (r"after (?P<id>\S+), which moves", gettext_noop("after %(id)s, which moves")),
    (r"depends_on cycle", gettext_noop("its prerequisites form a cycle")),
    (r"depends on (?P<id>\S+), unplaced", gettext_noop("depends on %(id)s, unplaced")),
    (r"its prerequisite still comes first", gettext_noop("its prerequisite still comes first")),
    (
        r"surgeon (?P<surgeon>.+) does not operate at (?P<service>\S+) within the horizon",
        gettext_noop("surgeon %(surgeon)s does not operate at %(service)s within the horizon"),
    ),
    (
        r"no capacity at (?P<service>\S+) from (?P<first>\S+) to (?P<last>\S+)",
        gettext_noop("no capacity at %(service)s from %(first)s to %(last)s"),
    ),
    (r"postponed", gettext_noop("postponed")),
]
_COMPILED = [(re.compile(p + r"\Z"), text) for p, text in _PATTERNS]


def label(reason: str) -> str:
    """``reason`` in the active language; as it is when it is not one of the engine's."""
    for pattern, text in _COMPILED:
        m = pattern.match(reason)
        if m:
            return _(text) % m.groupdict() if m.groupdict() else _(text)
    return reason
