"""Patient notification: messages in the patient's language, sent through a real SMTP
server and a real HTTP "SMS gateway" that the tests start on the loopback, each sent once
whatever happens (a second run, a server down then back, two senders at once, a sender
that died), and the encrypted call lists for the patients to phone."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import icalendar
import pikepdf
import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from crisiscell.continuity import call_list, messages, notify
from crisiscell.continuity.models import (
    Appointment,
    AppointmentImport,
    Notification,
    Plan,
    PlanRow,
)
from crisiscell.documents import protect
from tests.web.conftest import DOC, import_doc

BRUSSELS = ZoneInfo("Europe/Brussels")
#: Monday 7 December 2026, 09:30 in Brussels, moved to Tuesday 15 December, 10:00.
OLD = datetime(2026, 12, 7, 9, 30, tzinfo=BRUSSELS)
NEW = datetime(2026, 12, 15, 10, 0, tzinfo=BRUSSELS)
DIRECT = "063 55 41 20"


# ---------------------------------------------------------------------------
# Loopback servers, started by the tests
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A real SMTP server (aiosmtpd) on the loopback; `stop` and `start` again on the same
    port play a mail server that goes down and comes back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.delay = 0.0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            time.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class Gateway:
    """An SMS gateway: an HTTP server that Apprise's ``json://`` posts to."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                size = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(size))
                if gateway.status == 200:
                    gateway.received.append({"path": self.path, **payload})
                self.send_response(gateway.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


@pytest.fixture
def urls(smtp, gateway) -> dict[str, str]:
    return {
        "email": f"mailto://127.0.0.1:{smtp.port}?from=rdv@hopital.example&to={{to}}"
        "&mode=insecure&name=Groupe+de+test",
        "sms": f"json://127.0.0.1:{gateway.port}/sms?:to={{to}}",
    }


# ---------------------------------------------------------------------------
# An approved plan: four languages, SMS and e-mail, a fixed line, one kept
# ---------------------------------------------------------------------------

PATIENTS = [
    # code, name, phone, email, language, channel
    ("A-FR", "Jeanne Dupont", "0470 12 34 56", "", "fr", "sms"),
    ("A-NL", "Pieter Claes", "+32 471 00 00 01", "", "nl", "sms"),
    ("A-DE", "Anna Schmidt", "", "anna.schmidt@example.org", "de", "email"),
    ("A-EN", "John Smith", "", "john.smith@example.org", "en", "email"),
    ("A-PH", "Marie Lambert", "063 22 11 00", "", "fr", "phone"),
]


def make_plan(status: str = "approved", patients=PATIENTS) -> Plan:
    from crisiscell.directory.models import Contact
    from crisiscell.inventory.models import CareService, Site

    site = Site.objects.get(code="ARL")
    Contact.objects.get_or_create(
        code="ARL-RAD-SEC",
        defaults={
            "kind": "internal",
            "site": site,
            "service": CareService.objects.get(code="ARL-RAD"),
            "name": "Secrétariat de radiologie",
            "phone": DIRECT,
        },
    )
    batch = AppointmentImport.objects.create(at=timezone.now(), source="test.csv", count=0)
    now = timezone.now()
    plan = Plan.objects.create(
        status=status,
        today=OLD.date(),
        crisis_until=OLD.date(),
        created_at=now,
        approved_at=now if status == "approved" else None,
    )
    for code, name, phone, mail, language, channel in patients:
        a = Appointment.objects.create(
            code=f"{code}-{plan.pk}",
            patient_id=f"P-{code}",
            patient_name=name,
            phone=phone,
            email=mail,
            language=language,
            service="ARL-RAD",
            kind="imaging",
            start=OLD,
            duration_min=30,
            urgency=3,
            imported=batch,
        )
        PlanRow.objects.create(
            plan=plan,
            appointment=a,
            decision="moved",
            original_start=OLD,
            new_start=NEW,
            delay_days=8,
            notified_by=channel,
        )
    kept = Appointment.objects.create(
        code=f"A-KEPT-{plan.pk}",
        patient_id="P-KEPT",
        patient_name="Kept Patient",
        phone="0470 99 99 99",
        service="ARL-RAD",
        kind="imaging",
        start=OLD,
        duration_min=30,
        urgency=3,
        imported=batch,
    )
    PlanRow.objects.create(
        plan=plan, appointment=kept, decision="kept", original_start=OLD, new_start=OLD,
        delay_days=0, notified_by="sms",
    )  # fmt: skip
    return plan


@pytest.fixture
def group(db):
    from crisiscell.web import impact_cache

    impact_cache.clear()
    import_doc(DOC)
    yield
    impact_cache.clear()


@pytest.fixture
def plan(group) -> Plan:
    return make_plan()


@pytest.fixture
def crisis(cast, group):
    from crisiscell.crisis.actions import open_crisis

    return open_crisis(cast.director, "Rançongiciel")


def by_code(plan: Plan, code: str) -> Notification:
    return Notification.objects.get(row__plan=plan, row__appointment__code=f"{code}-{plan.pk}")


def calendar_of(message: email.message.EmailMessage) -> icalendar.Calendar:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    assert parts[0].get_filename().endswith(".ics")
    assert parts[0].get_param("charset") == "utf-8"
    return icalendar.Calendar.from_ical(parts[0].get_content())


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# ---------------------------------------------------------------------------
# The texts
# ---------------------------------------------------------------------------


def a_letter(language: str, **changes) -> messages.Letter:
    values = {
        "language": language,
        "old_start": OLD,
        "new_start": NEW,
        "duration_min": 45,
        "place": messages.Place("Radiologie", "Hôpital d'Arlon", DIRECT),
        "sender": "Groupe de test",
        "uid": messages.event_uid("A-1"),
        "sequence": 3,
        "tz": BRUSSELS,
    }
    return messages.Letter(**{**values, **changes})


WORDED = {
    "fr": ("mardi 15 décembre 2026 à 10h00", "07/12 à 09h30", "déplacé"),
    "nl": ("dinsdag 15 december 2026 om 10.00 uur", "07/12 om 09.30 uur", "verplaatst"),
    "de": ("Dienstag, 15. Dezember 2026, um 10:00 Uhr", "07.12. um 09:30 Uhr", "verschoben"),
    "en": ("Tuesday 15 December 2026 at 10:00", "07/12 at 09:30", "moved"),
}


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_the_sms_says_when_where_and_whom_to_call_in_the_patients_language(language):
    new, old, moved = WORDED[language]
    text = messages.sms(a_letter(language))
    assert new in text and old in text and moved in text
    assert "Radiologie, Hôpital d'Arlon" in text and DIRECT in text
    assert text.startswith("Groupe de test – ")
    assert len(text) <= messages.SMS_MAX_CHARS


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_the_email_says_the_same_with_the_old_date_in_full(language):
    new, _old, moved = WORDED[language]
    subject, body = messages.email(a_letter(language))
    assert new in subject and moved in subject
    assert new in body and DIRECT in body and "Radiologie, Hôpital d'Arlon" in body
    assert messages.long_date(OLD, language, BRUSSELS) in body
    assert ".ics" in body and "\n\n\n" not in body


def test_french_is_the_default_and_the_first_of_the_month_is_1er():
    assert messages.language_of("it") == "fr" and messages.language_of("") == "fr"
    assert messages.language_of("NL") == "nl"
    first = datetime(2026, 10, 1, 8, 5, tzinfo=BRUSSELS)
    assert messages.long_date(first, "fr", BRUSSELS) == "jeudi 1er octobre 2026 à 08h05"


def test_an_sms_with_long_names_stays_within_two_messages_and_keeps_date_and_number():
    long = messages.Place("Service de " + "chirurgie " * 40, "Site " + "très long " * 30, DIRECT)
    for language in messages.LANGUAGES:
        text = messages.sms(a_letter(language, place=long, sender="Groupe " * 20))
        assert len(text) <= messages.SMS_MAX_CHARS, len(text)
        assert WORDED[language][0] in text and DIRECT in text and "…" in text


def test_with_no_number_anywhere_the_sms_leaves_the_question_line_out():
    text = messages.sms(a_letter("fr", place=messages.Place("Radiologie", "Arlon", "")))
    assert "Questions" not in text and "mardi 15 décembre" in text


def test_the_calendar_event_is_rfc5545_in_utc_and_escaped():
    place = messages.Place("Radiologie; étage 2", "Hôpital d'Arlon, aile B", DIRECT)
    raw = messages.calendar(a_letter("fr", place=place), now=datetime(2026, 12, 2, tzinfo=UTC))
    text = raw.decode()
    assert "\r\n" in text and all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "DTSTART:20261215T090000Z" in text and "DTEND:20261215T094500Z" in text
    assert "DTSTAMP:20261202T000000Z" in text
    assert "LOCATION:Radiologie\\; étage 2\\, Hôpital d'Arlon\\, aile B" in text
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert event.decoded("dtstart") == NEW
    assert str(event["uid"]) == messages.event_uid("A-1") and "A-1" not in str(event["uid"])
    assert str(event["summary"]) == "Rendez-vous : Radiologie; étage 2"
    assert int(event["sequence"]) == 3


def test_ical_of_a_row_uses_the_directory_number(plan):
    row = PlanRow.objects.get(plan=plan, appointment__code=f"A-DE-{plan.pk}")
    event = icalendar.Calendar.from_ical(messages.ical(row)).walk("VEVENT")[0]
    assert event.decoded("dtstart") == NEW
    assert DIRECT in str(event["description"]) and "Termin: Radiologie" in str(event["summary"])


def test_the_number_falls_back_from_service_to_site_to_switchboard(group, settings):
    from crisiscell.directory.models import Contact
    from crisiscell.inventory.models import Site

    settings.SWITCHBOARD_PHONE = "063 55 00 00"
    assert messages.places(["ARL-URG"])["ARL-URG"].phone == "063 55 00 00"
    Contact.objects.create(
        code="ARL-ACC", kind="internal", site=Site.objects.get(code="ARL"),
        name="Accueil", phone="063 55 11 11",
    )  # fmt: skip
    place = messages.places(["ARL-URG"])["ARL-URG"]
    assert place == messages.Place("Urgences", "Hôpital d'Arlon", "063 55 11 11")


def test_sms_numbers_are_sent_in_international_form():
    assert notify.sms_number("0470 12 34 56", "BE") == "+32470123456"
    assert notify.sms_number("+32 (0)470", "BE") == "+320470"
    assert notify.sms_number("0032 470 12", "BE") == "+3247012"
    assert notify.sms_number("06 12 34 56 78", "FR") == "+33612345678"
    assert notify.sms_number("", "BE") == ""


# ---------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------


def test_queueing_gives_each_moved_row_one_notification_once(plan):
    assert notify.queue_notifications(plan) == 5
    assert notify.queue_notifications(plan) == 0
    channels = dict(
        Notification.objects.filter(row__plan=plan).values_list("row__appointment__code", "channel")
    )
    assert sorted(channels.values()) == ["email", "email", "phone", "sms", "sms"]
    assert f"A-KEPT-{plan.pk}" not in channels


def test_a_plan_not_approved_tells_nobody(cast, group, urls, smtp, gateway):
    from django.core.exceptions import ValidationError

    ready = make_plan(status="ready")
    with pytest.raises(ValidationError):
        notify.send_pending(cast.scheduler, ready, urls)
    assert not Notification.objects.exists() and not smtp.received and not gateway.received


def test_messages_arrive_by_email_with_the_appointment_and_by_sms(
    cast, crisis, plan, urls, smtp, gateway
):
    from crisiscell.crisis.models import LogEntry

    report = notify.send_pending(cast.scheduler, plan, urls)
    assert (report.sent, report.failed, report.skipped) == (4, 0, 0)

    mails = {tuple(to): m for to, m in smtp.received}
    assert set(mails) == {("anna.schmidt@example.org",), ("john.smith@example.org",)}
    german = mails[("anna.schmidt@example.org",)]
    assert german["Subject"] == "Ihr Termin wurde verschoben auf " + WORDED["de"][0]
    assert "rdv@hopital.example" in german["From"]
    body = text_of(german)
    assert WORDED["de"][0] in body and DIRECT in body and "Radiologie, Hôpital d'Arlon" in body
    event = calendar_of(german).walk("VEVENT")[0]
    assert event.decoded("dtstart") == NEW.astimezone(UTC)
    assert event.decoded("dtend") == NEW.astimezone(UTC) + timedelta(minutes=30)
    assert str(event["location"]) == "Radiologie, Hôpital d'Arlon"
    english = calendar_of(mails[("john.smith@example.org",)]).walk("VEVENT")[0]
    assert str(english["summary"]) == "Appointment: Radiologie"

    sms = {m["to"]: m for m in gateway.received}
    assert set(sms) == {"+32470123456", "+32471000001"}
    assert WORDED["fr"][0] in sms["+32470123456"]["message"]
    assert WORDED["nl"][0] in sms["+32471000001"]["message"]
    assert all(DIRECT in m["message"] for m in sms.values())
    assert all(m["path"] == "/sms" for m in sms.values())

    for code in ("A-FR", "A-NL", "A-DE", "A-EN"):
        n = by_code(plan, code)
        assert (n.status, n.attempts, n.last_error) == ("sent", 1, "")
        assert n.sent_at is not None and WORDED[messages.language_of(code[2:])][0] in n.message
    assert by_code(plan, "A-PH").status == "queued"  # the call list's, never sent

    entry = LogEntry.objects.filter(crisis=crisis).order_by("-seq").first()
    text = entry.text.replace("\xa0", " ")  # the log is written in French, with no-break spaces
    assert f"plan de reprogrammation n°{plan.pk} :" in text and "envoyés : 4," in text
    for _code, name, _phone, mail, *_ in PATIENTS:
        assert name not in entry.text and (not mail or mail not in entry.text)


def test_running_send_twice_sends_nothing_the_second_time(cast, plan, urls, smtp, gateway):
    assert notify.send_pending(cast.scheduler, plan, urls).sent == 4
    again = notify.send_pending(cast.scheduler, plan, urls)
    assert (again.sent, again.failed) == (0, 0)
    assert len(smtp.received) == 2 and len(gateway.received) == 2
    assert set(Notification.objects.filter(channel="sms").values_list("attempts", flat=True)) == {1}


def test_smtp_down_fails_with_its_error_and_a_retry_sends_exactly_once(
    cast, plan, urls, smtp, gateway
):
    smtp.stop()
    report = notify.send_pending(cast.scheduler, plan, urls)
    assert (report.sent, report.failed) == (2, 2)  # the SMS went, the e-mails did not
    for code in ("A-DE", "A-EN"):
        n = by_code(plan, code)
        assert (n.status, n.attempts) == ("failed", 1)
        assert "127.0.0.1" in n.last_error or "onnect" in n.last_error, n.last_error
    # on the call list meanwhile
    assert call_list.listed(plan, "ARL-RAD", to_call_only=True).count() == 3

    smtp.start()
    retry = notify.send_pending(cast.scheduler, plan, urls)
    assert (retry.sent, retry.failed) == (2, 0)
    assert sorted(to for to, _ in smtp.received) == [
        ["anna.schmidt@example.org"],
        ["john.smith@example.org"],
    ]
    assert len(gateway.received) == 2  # the SMS were not sent again
    for code in ("A-DE", "A-EN"):
        n = by_code(plan, code)
        assert (n.status, n.attempts, n.last_error) == ("sent", 2, "")
    assert notify.send_pending(cast.scheduler, plan, urls).sent == 0
    assert len(smtp.received) == 2


def test_a_gateway_refusing_an_sms_leaves_it_failed_for_the_next_run(cast, plan, urls, gateway):
    gateway.status = 500
    notify.send_pending(cast.scheduler, plan, urls)
    n = by_code(plan, "A-FR")
    assert n.status == "failed" and "500" in n.last_error, n.last_error
    gateway.status = 200
    notify.send_pending(cast.scheduler, plan, urls)
    assert by_code(plan, "A-FR").status == "sent" and len(gateway.received) == 2


def test_an_error_never_keeps_the_urls_credentials():
    assert notify._apprise_error(["Could not load mailtos://rdv:s3cret@smtp.example/"], "") == (
        "Could not load mailtos://***@smtp.example/"
    )


def test_with_no_gateway_configured_nothing_is_claimed(cast, plan, urls, smtp):
    report = notify.send_pending(cast.scheduler, plan, {"email": urls["email"]})
    assert (report.sent, report.failed) == (2, 2)
    n = by_code(plan, "A-FR")
    assert (n.status, n.attempts) == ("failed", 0)
    assert "CRISISCELL_NOTIFY_URLS" in n.last_error


def test_a_patient_with_no_address_is_failed_without_an_attempt_and_listed(
    cast, group, urls, smtp, gateway
):
    plan = make_plan(
        patients=[("A-X", "Sans Adresse", "063 22 11 00", "not-an-address", "fr", "email")]
    )
    report = notify.send_pending(cast.scheduler, plan, urls)
    assert (report.sent, report.failed) == (0, 1) and not smtp.received
    n = by_code(plan, "A-X")
    assert (n.status, n.attempts) == ("failed", 0)
    assert list(call_list.listed(plan, "ARL-RAD", to_call_only=True)) == [n]


def test_an_interrupted_send_is_flagged_for_review_and_never_resent(
    cast, plan, urls, smtp, gateway
):
    notify.queue_notifications(plan)
    n = by_code(plan, "A-DE")
    long_ago = timezone.now() - notify.STALE_AFTER - timedelta(minutes=1)
    Notification.objects.filter(pk=n.pk).update(status="sending", attempts=1, claimed_at=long_ago)
    fresh = by_code(plan, "A-EN")  # another sender is on this one right now
    Notification.objects.filter(pk=fresh.pk).update(
        status="sending", attempts=1, claimed_at=timezone.now()
    )
    report = notify.send_pending(cast.scheduler, plan, urls)
    assert (report.sent, report.review) == (2, 1)
    assert smtp.received == []  # neither e-mail was sent by this run
    n.refresh_from_db()
    assert (n.status, n.needs_review, n.attempts) == ("sending", True, 1)
    fresh.refresh_from_db()
    assert (fresh.status, fresh.needs_review) == ("sending", False)
    assert n in call_list.listed(plan, "ARL-RAD", to_call_only=True)
    # a second run neither resends it nor counts it again
    assert notify.send_pending(cast.scheduler, plan, urls).review == 0
    assert smtp.received == []
    notify.mark_reached(cast.scheduler, n.pk, True)
    n.refresh_from_db()
    assert (n.status, n.needs_review, n.reached_by) == ("reached", False, cast.scheduler)


def test_the_claim_lets_one_sender_through(cast, plan, urls, smtp, gateway, monkeypatch):
    """Sequentially, on any database: a second sender arriving between the first one's
    claim and its mark finds the row taken and sends nothing."""
    notify.queue_notifications(plan)
    ctx = notify._Context.for_plan(plan)
    n = by_code(plan, "A-DE")
    inner = []
    real_deliver = notify.Email.deliver

    def deliver_and_race(self, url, address, content):
        inner.append(notify._send_one(n.pk, urls, ctx))  # the other sender, mid-send
        return real_deliver(self, url, address, content)

    monkeypatch.setattr(notify.Email, "deliver", deliver_and_race)
    assert notify._send_one(n.pk, urls, ctx) == "sent"
    assert inner == ["skipped"] and len(smtp.received) == 1


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_message_once(cast, plan, urls, smtp, gateway):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # an in-memory database shares one cache whose table locks do not wait: threads
        # need a file (CRISISCELL_TEST_SQLITE_NAME, WAL and busy timeout) or PostgreSQL
        pytest.skip("two writer threads need SQLite in a file, or PostgreSQL")
    smtp.delay = 0.2  # both senders are mid-run together
    reports, errors = [], []
    start = threading.Barrier(2)

    def sender():
        from django.db import connection as own

        try:
            start.wait(5)
            reports.append(notify.send_pending(cast.scheduler, Plan.objects.get(pk=plan.pk), urls))
        except Exception as exc:  # reported below, with the thread's error
            errors.append(repr(exc))
        finally:
            own.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r.sent for r in reports) == 4
    assert sum(r.skipped for r in reports) + sum(r.sent for r in reports) >= 4
    assert len(smtp.received) == 2 and len(gateway.received) == 2
    assert set(
        Notification.objects.exclude(channel="phone").values_list("attempts", flat=True)
    ) == {1}


# ---------------------------------------------------------------------------
# The call list
# ---------------------------------------------------------------------------


def test_the_call_list_pdf_is_encrypted_and_lists_the_patients(cast, plan, urls, tmp_path):
    notify.send_pending(cast.scheduler, plan, {})  # no gateway at all: every message failed
    password = protect.new_password()
    assert len(password) == 23 and password.count("-") == 3
    pdf = call_list.render(plan, "ARL-RAD", password, tz=BRUSSELS, language="fr")
    path = tmp_path / "calls.pdf"
    path.write_bytes(pdf)

    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(path)
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(path, password="wrong-password")
    with pikepdf.open(path, password=password) as doc:
        assert doc.is_encrypted and doc.encryption.R == 6
        assert str(doc.encryption.stream_method).endswith("aesv3")  # AES-256
        assert doc.encryption.bits == 256
        assert len(doc.pages) >= 1

    refused = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True)
    assert refused.returncode != 0 and "Jeanne" not in refused.stdout
    text = subprocess.run(
        ["pdftotext", "-upw", password, "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in ("Jeanne Dupont", "Pieter Claes", "Anna Schmidt", "John Smith", "Marie Lambert"):
        assert name in text
    assert "063 22 11 00" in text and DIRECT in text
    text = text.replace("\xa0", " ")  # numbers are kept on one line with no-break spaces
    assert "mardi 15/12/2026" in text and "lundi 07/12/2026" in text
    assert "10:00" in text and "09:30" in text
    assert "Radiologie" in text and "Page 1 / 1" in text
    assert "Kept Patient" not in text


def test_the_call_list_leaves_out_sent_and_reached_patients(cast, plan, urls, smtp, gateway):
    notify.send_pending(cast.scheduler, plan, urls)
    listed = list(call_list.listed(plan, "ARL-RAD", to_call_only=True))
    assert [n.row.appointment.patient_name for n in listed] == ["Marie Lambert"]
    notify.mark_reached(cast.scheduler, listed[0].pk, False)
    assert call_list.listed(plan, "ARL-RAD", to_call_only=True).count() == 1  # call again
    notify.mark_reached(cast.scheduler, listed[0].pk, True)
    assert call_list.listed(plan, "ARL-RAD", to_call_only=True).count() == 0
    data = call_list.document(plan, "ARL-RAD", tz=BRUSSELS, language="en")
    assert data["rows"] == [] and data["labels"]["title"] == "Call list"
    assert call_list.services(plan) == [
        {"code": "ARL-RAD", "name": "Radiologie", "site": "Hôpital d'Arlon", "listed": 1,
         "to_call": 0},
    ]  # fmt: skip


def test_a_sent_message_cannot_be_ticked(cast, plan, urls, smtp, gateway):
    from django.core.exceptions import PermissionDenied, ValidationError

    notify.send_pending(cast.scheduler, plan, urls)
    with pytest.raises(ValidationError):
        notify.mark_reached(cast.scheduler, by_code(plan, "A-FR").pk, True)
    with pytest.raises(PermissionDenied):
        notify.mark_reached(cast.observer, by_code(plan, "A-PH").pk, True)


# ---------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------


@pytest.fixture
def scheduler(client, cast):
    client.force_login(cast.scheduler)
    return client


def test_the_scheduler_sends_from_the_page_and_sees_the_counts(
    scheduler, crisis, plan, urls, smtp, gateway, settings
):
    settings.NOTIFY_URLS = urls
    page = scheduler.get(f"/continuity/notify/plans/{plan.pk}/")
    assert page.status_code == 200 and page.context["pending"] == 4
    assert b"continuity/notify/plans/%d/send" % plan.pk in page.content
    response = scheduler.post(f"/continuity/notify/plans/{plan.pk}/send", follow=True)
    assert response.status_code == 200
    assert "Messages envoyés : 4 ; en échec : 0 ;" in response.content.decode().replace("\xa0", " ")
    assert len(smtp.received) == 2 and len(gateway.received) == 2
    scheduler.post(f"/continuity/notify/plans/{plan.pk}/send")
    assert len(smtp.received) == 2 and len(gateway.received) == 2


def test_the_call_list_page_shows_the_password_once_then_the_pdf_downloads_once(
    scheduler, crisis, plan, tmp_path
):
    from crisiscell.crisis.models import LogEntry

    base = f"/continuity/notify/plans/{plan.pk}/call-list/ARL-RAD"
    page = scheduler.get(base)
    assert page.status_code == 200 and "Marie Lambert" in page.content.decode()
    offer = scheduler.get(base + "?pdf=1")
    html = offer.content.decode()
    password = html.split('id="password"><span class="code">')[1].split("</span>")[0]
    link = html.split(f'href="{base}?download=')[1].split('"')[0]
    pdf = scheduler.get(f"{base}?download={link}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert pdf["Cache-Control"] == "no-store"
    assert password.encode() not in pdf.content
    path = tmp_path / "calls.pdf"
    path.write_bytes(pdf.content)
    with pikepdf.open(path, password=password) as doc:
        assert doc.encryption.R == 6
    again = scheduler.get(f"{base}?download={link}")
    assert again.status_code == 410
    entry = LogEntry.objects.filter(crisis=crisis).order_by("-seq").first()
    assert "ARL-RAD" in entry.text and "Marie" not in entry.text


def test_a_download_link_works_for_its_own_list_only(scheduler, plan):
    base = f"/continuity/notify/plans/{plan.pk}/call-list"
    html = scheduler.get(base + "/ARL-RAD?pdf=1").content.decode()
    token = html.split("?download=")[1].split('"')[0]
    assert scheduler.get(f"{base}/ARL-URG?download={token}").status_code == 410
    assert scheduler.get(f"{base}/ARL-RAD?download={token}").status_code == 410  # used up
    assert scheduler.get(f"{base}/NOWHERE").status_code == 404
    assert scheduler.get("/continuity/notify/plans/999999/call-list/ARL-RAD").status_code == 404


def test_ticking_reached_from_the_page(scheduler, cast, plan):
    notify.queue_notifications(plan)
    n = by_code(plan, "A-PH")
    response = scheduler.post(f"/continuity/notify/messages/{n.pk}/reached", {"outcome": "reached"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/call-list/ARL-RAD#n{n.pk}")
    n.refresh_from_db()
    assert (n.status, n.reached_by) == ("reached", cast.scheduler)
    bad = scheduler.post(f"/continuity/notify/messages/{n.pk}/reached", {"outcome": "maybe"})
    assert bad.status_code == 400
    sent = by_code(plan, "A-FR")
    Notification.objects.filter(pk=sent.pk).update(status="sent")
    refused = scheduler.post(
        f"/continuity/notify/messages/{sent.pk}/reached", {"outcome": "reached"}
    )
    assert refused.status_code == 400
    missing = scheduler.post("/continuity/notify/messages/999999/reached", {"outcome": "reached"})
    assert missing.status_code == 404


def test_a_plan_not_approved_has_no_send_and_no_call_list(scheduler, group):
    ready = make_plan(status="ready")
    assert scheduler.post(f"/continuity/notify/plans/{ready.pk}/send").status_code == 400
    assert (
        scheduler.get(f"/continuity/notify/plans/{ready.pk}/call-list/ARL-RAD").status_code == 400
    )
    assert not Notification.objects.exists()


def test_an_observer_is_refused_everywhere(client, cast, plan, urls, smtp, gateway, settings):
    settings.NOTIFY_URLS = urls
    notify.queue_notifications(plan)
    n = by_code(plan, "A-PH")
    client.force_login(cast.observer)
    base = f"/continuity/notify/plans/{plan.pk}"
    assert client.post(f"{base}/send").status_code == 403
    assert client.get(f"{base}/").status_code == 403
    assert client.get(f"{base}/call-list/ARL-RAD").status_code == 403
    assert client.get(f"{base}/call-list/ARL-RAD?pdf=1").status_code == 403
    assert (
        client.post(
            f"/continuity/notify/messages/{n.pk}/reached", {"outcome": "reached"}
        ).status_code
        == 403
    )
    assert not smtp.received and not gateway.received
    n.refresh_from_db()
    assert n.status == "queued"


def test_an_it_lead_may_not_send_nor_print(client, cast, plan):
    client.force_login(cast.it_lead)
    assert client.post(f"/continuity/notify/plans/{plan.pk}/send").status_code == 403
    assert client.get(f"/continuity/notify/plans/{plan.pk}/call-list/ARL-RAD").status_code == 403


def test_anonymous_goes_to_the_login(client, plan):
    for path in (
        f"/continuity/notify/plans/{plan.pk}/",
        f"/continuity/notify/plans/{plan.pk}/call-list/ARL-RAD?pdf=1",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = client.post(f"/continuity/notify/plans/{plan.pk}/send")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_notify_urls_setting_is_parsed_strictly():
    from django.core.exceptions import ImproperlyConfigured

    from crisiscell.settings import _notify_urls

    both = "email=mailtos://u:p@smtp.example?to={to}\n  sms=json://gw.example/sms?:to={to}"
    assert _notify_urls(both) == {
        "email": "mailtos://u:p@smtp.example?to={to}",
        "sms": "json://gw.example/sms?:to={to}",
    }
    assert _notify_urls("") == {}
    for bad in (
        "fax=json://x/{to}",
        "sms=json://x/fixed",
        "sms=nothing",
        "sms=a://{to} sms=b://{to}",
    ):
        with pytest.raises(ImproperlyConfigured):
            _notify_urls(bad)
