"""Roles as Django groups, and what each may change.

The crisis roles of the product (crisis director, medical director, IT lead, …) grow
with each stage; this module is where a role gets its rights.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

#: role name -> permissions ("app_label.codename")
ROLES: dict[str, tuple[str, ...]] = {
    "crisis_director": ("inventory.change_network_state",),
    "it_lead": ("inventory.change_network_state",),
    "medical_director": (),
    "observer": (),
}


def ensure_roles() -> dict[str, Group]:
    """Create the role groups if missing and set exactly their permissions."""
    groups = {}
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
        groups[name] = group
    return groups
