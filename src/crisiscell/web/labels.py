"""Words shown for the map's codes (statuses, states, kinds) and reasons, in the user's language.

The map and the engines speak in stable English codes (``down``, ``compromised``,
``isolated_zone``); the pages show them through these tables so that French is the
default and every label sits in the translation catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisiscell.engine.groupmap import GroupMap
from crisiscell.engine.impact import Reason

STATUS = {
    "normal": gettext_lazy("Normal"),
    "degraded": gettext_lazy("Degraded"),
    "down": gettext_lazy("Down"),
}
#: A symbol for each status, so the board reads in black and white and without colour vision.
STATUS_SYMBOL = {"normal": "✓", "degraded": "▲", "down": "✕"}

CRITICALITY = {
    "vital": gettext_lazy("vital"),
    "essential": gettext_lazy("essential"),
    "deferrable": gettext_lazy("deferrable"),
}

HOST_STATE = {
    "ok": gettext_lazy("ok"),
    "suspected": gettext_lazy("suspected"),
    "compromised": gettext_lazy("compromised"),
    "isolated": gettext_lazy("isolated"),
    "off": gettext_lazy("off"),
}

HOST_ROLE = {
    "server": gettext_lazy("server"),
    "workstation": gettext_lazy("workstation"),
    "medical_device": gettext_lazy("medical device"),
    "network": gettext_lazy("network"),
}

ZONE_KIND = {
    "workstations": gettext_lazy("workstations"),
    "servers": gettext_lazy("servers"),
    "medical": gettext_lazy("medical devices"),
    "dmz": gettext_lazy("DMZ"),
    "management": gettext_lazy("management"),
    "wifi": gettext_lazy("Wi-Fi"),
    "internet": gettext_lazy("internet"),
}

SITE_KIND = {
    "hospital": gettext_lazy("hospital"),
    "clinic": gettext_lazy("clinic"),
    "polyclinic": gettext_lazy("polyclinic"),
    "nursing_home": gettext_lazy("nursing home"),
    "psychiatric": gettext_lazy("psychiatric hospital"),
    "childcare": gettext_lazy("childcare"),
    "datacenter": gettext_lazy("data centre"),
    "office": gettext_lazy("offices"),
    "other": gettext_lazy("other"),
}

ROLE = {
    "crisis_director": gettext_lazy("crisis director"),
    "medical_director": gettext_lazy("medical director"),
    "it_lead": gettext_lazy("IT lead"),
    "communication": gettext_lazy("communication"),
    "logistics": gettext_lazy("logistics"),
    "care_manager": gettext_lazy("care manager"),
    "scheduler": gettext_lazy("scheduler"),
    "observer": gettext_lazy("observer"),
}


def label(table: dict, code: str | None) -> str:
    """The translated label of `code`, or the code itself when the table does not know it."""
    if code is None:
        return ""
    return str(table.get(code, code))


def _flow(flow: str) -> str:
    return flow.replace("->", " → ", 1)


def cause_text(reason: Reason) -> str:
    """The leaf cause of a reason, as a sentence fragment in the active language."""
    c = reason.cause
    if c == "host":
        return _("host %(host)s is %(state)s") % {
            "host": reason.subject,
            "state": label(HOST_STATE, reason.detail),
        }
    if c == "blocked_flow":
        return _("flow %(flow)s is blocked") % {"flow": _flow(reason.subject)}
    if c == "isolated_zone":
        return _("flow %(flow)s is cut (zone %(zone)s isolated)") % {
            "flow": _flow(reason.detail),
            "zone": reason.subject,
        }
    if c == "internet_cut":
        return _("flow %(flow)s is cut (internet cut)") % {"flow": _flow(reason.subject)}
    if c == "no_flow":
        return _("no flow %(flow)s") % {"flow": _flow(reason.subject)}
    if c == "no_host":
        return _("application %(app)s has no host") % {"app": reason.subject}
    # A cause this page does not know yet: the engine's own English sentence says it.
    return reason.text()


def chain_text(chain: tuple[tuple[str, str], ...]) -> str:
    """``EHR unavailable from ARL-WS ← AD unavailable from DC-SRV``."""
    return " ← ".join(
        _("%(app)s unavailable from %(zone)s") % {"app": app, "zone": zone} for app, zone in chain
    )


def reason_html(reason: Reason) -> SafeString:
    """One reason as HTML: the chain of unavailable applications, then the cause in bold."""
    return _chain_and_cause(chain_text(reason.chain), cause_text(reason))


def _chain_and_cause(chain: str, cause: str) -> SafeString:
    return format_html(
        _("{chain}: {cause}"),
        chain=format_html('<span class="chain">{}</span>', chain),
        cause=format_html("<strong>{}</strong>", cause),
    )


#: Causes that hold in normal times too (the map has no such flow or host): they explain
#: why other copies of an application cannot stand in, not what went wrong tonight.
STRUCTURAL = frozenset({"no_flow", "no_host"})


@dataclass(frozen=True)
class ReasonLine:
    html: SafeString
    structural: bool


def reason_lines(reasons: tuple[Reason, ...]) -> list[ReasonLine]:
    """A service's reasons for reading: what went wrong first, then the structural causes,
    with the missing flows from one zone gathered on one line ("no flow to A, B, C")."""
    lines: list[ReasonLine] = []
    missing: dict[tuple, list[str]] = {}
    for r in reasons:
        if r.cause == "no_flow":
            source, _sep, target = r.subject.partition("->")
            missing.setdefault((r.chain, source), []).append(target)
        elif r.cause not in STRUCTURAL:
            lines.append(ReasonLine(reason_html(r), False))
    for (chain, _source), targets in missing.items():
        cause = _("no flow to %(zones)s") % {"zones": ", ".join(targets)}
        lines.append(ReasonLine(_chain_and_cause(chain_text(chain), cause), True))
    lines.extend(ReasonLine(reason_html(r), True) for r in reasons if r.cause == "no_host")
    return lines


def missing_apps(reasons: tuple[Reason, ...], gm: GroupMap) -> list[tuple[str, str]]:
    """The service's unavailable needs, once each, in reason order: (app id, app name)."""
    seen: dict[str, str] = {}
    for r in reasons:
        if r.app not in seen:
            seen[r.app] = gm.application(r.app).name if gm.has("applications", r.app) else r.app
    return list(seen.items())
