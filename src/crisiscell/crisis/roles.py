"""The roles of a crisis cell, as Django groups, and what each may change.

A user's role is the group they belong to; `role_of` names it for the crisis log.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

NETWORK = "inventory.change_network_state"
RUN_CRISIS = "crisis.run_crisis"
WRITE_LOG = "crisis.write_log"
MANAGE_TASKS = "crisis.manage_tasks"
APPROVE_CUTS = "containment.approve_containment"
APPOINTMENTS = "continuity.manage_appointments"
APPROVE_PLAN = "continuity.approve_plan"
KITS = "kits.manage_kits"
KIT_PASSWORDS = "kits.print_kit_passwords"

#: role name -> permissions ("app_label.codename"), in order of precedence
ROLES: dict[str, tuple[str, ...]] = {
    "crisis_director": (
        NETWORK,
        APPROVE_CUTS,
        RUN_CRISIS,
        WRITE_LOG,
        MANAGE_TASKS,
        "directory.edit_directory",
        KITS,
        KIT_PASSWORDS,
    ),
    "medical_director": (RUN_CRISIS, WRITE_LOG, MANAGE_TASKS, APPOINTMENTS, APPROVE_PLAN, KITS),
    "it_lead": (NETWORK, WRITE_LOG, MANAGE_TASKS, KITS),
    "communication": (WRITE_LOG, MANAGE_TASKS, "directory.edit_directory"),
    "logistics": (WRITE_LOG, MANAGE_TASKS, "directory.edit_directory"),
    "care_manager": (WRITE_LOG, MANAGE_TASKS, APPOINTMENTS, KITS),
    "scheduler": (WRITE_LOG, MANAGE_TASKS, APPOINTMENTS, APPROVE_PLAN),
    "observer": (),
}


def ensure_roles() -> dict[str, Group]:
    """Create the role groups if missing and set exactly their permissions."""
    groups = {}
    for name, perms in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
        groups[name] = group
    return groups


def role_of(user) -> str:
    """The user's role for the log: the first of their groups in ROLES order, else ''."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    names = set(user.groups.values_list("name", flat=True))
    return next((r for r in ROLES if r in names), "")
