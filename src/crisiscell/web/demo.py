"""`crisiscell demo`: a ready-to-use database with the demo group and demo users."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from crisiscell.continuity import importer
from crisiscell.continuity.models import Appointment, AppointmentImport, Plan
from crisiscell.crisis.roles import ensure_roles
from crisiscell.directory.importer import import_contacts
from crisiscell.directory.models import Contact
from crisiscell.engine import demo_appointments, demo_census, demo_directory, demo_map
from crisiscell.engine.groupmap import parse_map
from crisiscell.inventory.importer import import_map
from crisiscell.kits import census

#: username -> role of the demo cast
DEMO_USERS = {"demo": "crisis_director", "scheduler": "scheduler", "observer": "observer"}
#: calendar days of demo appointments, from the day the demo is loaded
DEMO_APPOINTMENT_DAYS = 14


def load_demo(seed: int = 1, sites: int | None = None) -> Iterator[str]:
    """Migrate, load the demo group map, create the demo users; yield progress lines."""
    db = settings.DATABASES["default"]
    yield f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}"
    call_command("migrate", interactive=False, verbosity=0)
    yield "database migrated"
    gm = parse_map(demo_map.generate(seed=seed, sites=sites))
    Contact.objects.all().delete()  # rebuilt below: its sites may leave the map meanwhile
    counts = import_map(gm)
    yield "demo group loaded: " + ", ".join(f"{n} {k}" for k, n in counts.items())
    directory = import_contacts(demo_directory.generate(gm, seed=seed))
    yield f"demo directory loaded: {directory.created} contacts"
    yield _demo_appointments(gm, seed)
    yield _demo_census(gm, seed)
    yield from create_demo_users()


def _demo_appointments(gm, seed: int) -> str:
    """The demo group's appointments from today, replacing earlier demo ones (and the plans
    made of them)."""
    today = timezone.localdate(timezone=ZoneInfo(gm.group.timezone))
    items = demo_appointments.generate(gm, today, DEMO_APPOINTMENT_DAYS, seed=seed)
    with transaction.atomic():
        Plan.objects.all().delete()
        Appointment.objects.all().delete()
        AppointmentImport.objects.all().delete()
        importer.store(None, items, "demo")
    return f"demo appointments loaded: {len(items)} over {DEMO_APPOINTMENT_DAYS} days"


def _demo_census(gm, seed: int) -> str:
    """The patients present in the demo group's units today (replacing the census)."""
    today = timezone.localdate(timezone=ZoneInfo(gm.group.timezone))
    patients = demo_census.generate(gm, seed=seed, today=today)
    census.store(None, patients, "demo")
    return f"demo census loaded: {len(patients)} patients present"


def create_demo_users() -> Iterator[str]:
    """(Re)create the demo users with fresh random passwords, printed once."""
    User = get_user_model()
    with transaction.atomic():
        groups = ensure_roles()
        for username, role in DEMO_USERS.items():
            password = secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_active = True
            user.save()
            user.groups.set([groups[role]])
            yield f"user {username!r} ({role}) password: {password}"
