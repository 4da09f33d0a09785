"""The one door for every change to the network's state.

Views, the API and commands call these functions; they never save the models directly.
Each checks the user's right, validates, and writes in one short transaction on a row
locked for update, so two people acting at once cannot apply the same change twice; the
change and its entry in the crisis log commit together or not at all.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.engine.groupmap import HOST_STATES

from .models import Flow, Group, Host, Zone

PERMISSION = "inventory.change_network_state"
HIGHEST_PORT = 65535
_PORT_ITEM = re.compile(r"([0-9]{1,5})(?: *- *([0-9]{1,5}))?")


def can_change_network(user) -> bool:
    return bool(user and user.is_active and user.has_perm(PERMISSION))


def _require(user) -> None:
    if not can_change_network(user):
        raise PermissionDenied(_("Your role does not allow changing the network's state."))


def set_host_state(user, host_id: int, state: str) -> Host:
    _require(user)
    if state not in HOST_STATES:
        raise ValidationError(_("Unknown host state %(state)r.") % {"state": state})
    with transaction.atomic():
        host = Host.objects.select_for_update().get(pk=host_id)
        if host.state != state:
            host.state = state
            host.state_changed_at = timezone.now()
            host.state_changed_by = user
            host.save(update_fields=["state", "state_changed_at", "state_changed_by"])
            record_change(
                user,
                log_text(
                    gettext_noop("Host %(host)s: %(state)s"),
                    host=host.code,
                    state=gettext_lazy(state),
                ),
                [f"host:{host.code}", f"zone:{host.zone.code}"],
            )
    return host


def set_zone_isolated(user, zone_id: int, isolated: bool) -> Zone:
    _require(user)
    with transaction.atomic():
        zone = Zone.objects.select_for_update().get(pk=zone_id)
        if zone.isolated != isolated:
            zone.isolated = isolated
            zone.save(update_fields=["isolated"])
            record_change(
                user,
                log_text(
                    gettext_noop("Zone %(zone)s isolated")
                    if isolated
                    else gettext_noop("Zone %(zone)s reconnected"),
                    zone=zone.code,
                ),
                [f"zone:{zone.code}"] + ([f"site:{zone.site.code}"] if zone.site_id else []),
            )
    return zone


def set_flow_blocked(user, flow_id: int, blocked: bool) -> Flow:
    _require(user)
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow_id)
        if flow.blocked != blocked:
            flow.blocked = blocked
            flow.save(update_fields=["blocked"])
            key = f"{flow.source.code}->{flow.target.code}"
            record_change(
                user,
                log_text(
                    gettext_noop("Flow %(flow)s blocked")
                    if blocked
                    else gettext_noop("Flow %(flow)s reopened"),
                    flow=key,
                ),
                [f"flow:{key}"],
            )
    return flow


def set_internet_cut(user, cut: bool) -> Group:
    _require(user)
    with transaction.atomic():
        group = Group.objects.select_for_update().first()
        if group is None:
            raise ValidationError(_("No group map has been imported yet."))
        if group.internet_cut != cut:
            group.internet_cut = cut
            group.save(update_fields=["internet_cut"])
            record_change(
                user,
                log_text(
                    gettext_noop("Internet cut") if cut else gettext_noop("Internet restored")
                ),
            )
    return group


def set_host_states(user, states: dict[str, str], source: str = "") -> list[str]:
    """Several hosts at once (a list from an EDR report, a name pattern): all or none.

    Every name is checked before anything changes; the hosts whose state changes are
    written in one transaction with one log entry that names each of them and says where
    the list came from. Returns the codes of the hosts that changed."""
    _require(user)
    bad = sorted({s for s in states.values() if s not in HOST_STATES})
    if bad:
        raise ValidationError(_("Unknown host state %(state)r.") % {"state": bad[0]})
    with transaction.atomic():
        hosts = {
            h.code: h
            for h in Host.objects.select_for_update().filter(code__in=list(states)).order_by("id")
        }
        unknown = sorted(set(states) - set(hosts))
        if unknown:
            raise ValidationError(
                _("Unknown host(s): %(hosts)s.") % {"hosts": ", ".join(unknown[:20])}
            )
        now = timezone.now()
        changed = [h for code, h in hosts.items() if h.state != states[code]]
        for host in changed:
            host.state = states[host.code]
            host.state_changed_at = now
            host.state_changed_by = user
        Host.objects.bulk_update(changed, ["state", "state_changed_at", "state_changed_by"])
        by_state: dict[str, list[str]] = {}
        for host in changed:
            by_state.setdefault(host.state, []).append(host.code)
        for state, codes in sorted(by_state.items()):
            record_change(
                user,
                log_text(
                    gettext_noop("%(count)s host(s) %(state)s (%(source)s): %(hosts)s"),
                    count=len(codes),
                    state=gettext_lazy(state),
                    source=source or gettext_lazy("by hand"),
                    hosts=", ".join(codes),
                ),
                [f"host:{code}" for code in codes],
            )
    return [h.code for h in changed]


# ---------------------------------------------------------------------------
# Port filters: a flow reopened on some of its ports only
# ---------------------------------------------------------------------------


class PortsInvalid(ValueError):
    """A list of ports that cannot be read; the message (translated) names the bad item."""


def parse_ports(text: str) -> tuple[tuple[int, int], ...]:
    """``"443; 8000-8010"`` as ranges ``((443, 443), (8000, 8010))``, in the order given,
    each once. Items are port numbers (1-65535) or ranges, separated by ``;`` or ``,``.
    Empty text: no item. Raises PortsInvalid naming the first item it cannot read."""
    out: list[tuple[int, int]] = []
    for raw in re.split(r"[;,]", text or ""):
        item = raw.strip()
        if not item:
            continue
        match = _PORT_ITEM.fullmatch(item)
        low = int(match.group(1)) if match else 0
        high = int(match.group(2) or low) if match else 0
        if not (match and 1 <= low <= high <= HIGHEST_PORT):
            raise PortsInvalid(
                _("“%(item)s” is not a port (1 to %(max)d) or a range of ports such as 8000-8010.")
                % {"item": item[:40], "max": HIGHEST_PORT}
            )
        if (low, high) not in out:
            out.append((low, high))
    return tuple(out)


def ports_text(ranges: tuple[tuple[int, int], ...]) -> str:
    """Ranges as a filter is written: ``443;8000-8010``."""
    return ";".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


def ports_outside(wanted: tuple[tuple[int, int], ...], mapped: str) -> list[str]:
    """The items of `wanted` that the flow's mapped ports do not cover. A flow whose map
    lists no ports, or lists them in a form this reader does not know, covers any."""
    try:
        allowed = parse_ports(mapped)
    except PortsInvalid:
        return []
    if not allowed:
        return []
    outside = []
    for lo, hi in wanted:
        port = lo
        # Walk the range across the mapped ranges (they may touch: 80;81-90).
        while port <= hi:
            cover = next((h for low, h in allowed if low <= port <= h), None)
            if cover is None:
                outside.append(ports_text(((lo, hi),)))
                break
            port = cover + 1
    return outside


def set_flow_filter(user, flow_id: int, ports: str) -> Flow:
    """Narrow what a flow lets through to `ports` (a subset of its mapped ports), or lift
    the filter with "" (the mapped ports again). Validated before anything is written."""
    _require(user)
    try:
        wanted = parse_ports(ports)
    except PortsInvalid as exc:
        raise ValidationError(_("Ports: %(problem)s") % {"problem": exc}) from None
    text = ports_text(wanted)
    if len(text) > Flow._meta.get_field("allowed_ports").max_length:
        raise ValidationError(_("Ports: the filter is too long."))
    with transaction.atomic():
        flow = Flow.objects.select_for_update().select_related("source", "target").get(pk=flow_id)
        key = f"{flow.source.code}->{flow.target.code}"
        outside = ports_outside(wanted, flow.ports)
        if outside:
            raise ValidationError(
                _("Ports: %(ports)s not among the ports of flow %(flow)s (%(mapped)s).")
                % {"ports": ", ".join(outside), "flow": key, "mapped": flow.ports}
            )
        if flow.allowed_ports != text:
            flow.allowed_ports = text
            flow.save(update_fields=["allowed_ports"])
            record_change(
                user,
                log_text(
                    gettext_noop("Flow %(flow)s filtered: only ports %(ports)s")
                    if text
                    else gettext_noop("Flow %(flow)s: filter lifted (all its mapped ports)"),
                    flow=key,
                    ports=text,
                ),
                [f"flow:{key}"],
            )
    return flow
