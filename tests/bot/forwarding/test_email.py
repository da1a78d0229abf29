"""Emailing a report to a body through a real SMTP server (aiosmtpd on a free local port, in
its own thread): the subject, the body in both languages, the photo attached, the login,
the password kept out of the logs, and which failures are worth retrying; and the whole way
from filing through the forwarding tick (scheduler/forwarding.py), retried after a refusal."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from pydantic import SecretStr
from sqlmodel import select

from bot.city import CityPack
from bot.city.bodies import EmailDelivery
from bot.forwarding import PermanentError, RetryableError
from bot.forwarding.email import SmtpConfig, send
from bot.i18n import Translator
from bot.media.store import PhotoStore
from scheduler.forwarding import Forwarder
from storage.db import Database
from storage.models import ReportForward
from tests.bot.forwarding.reports import (
    FILED,
    a_report,
    city_with,
    file_reports,
    resolve_then_not_fixed,
)
from tests.conftest import Clock, make_settings

PASSWORD = "s3cret-Pa55word"
TRANSLATOR = Translator()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """The SMTP server's handler: keeps what it accepted; refuses recipients as told."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []
        self.refuse: dict[str, str] = {}  # address → the SMTP answer to RCPT TO
        self.logins: list[tuple[str, str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = (auth_data.login.decode(), auth_data.password.decode())
            self.logins.append(login)
            return AuthResult(success=login == ("bot", PASSWORD), handled=False)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=box.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield box, port
    controller.stop()


def smtp(port: int, **overrides: object) -> SmtpConfig:
    settings = make_settings(
        "sqlite+aiosqlite:///unused.db",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="signali@sofia.example.org",
        smtp_starttls=False,
        smtp_timeout_seconds=5,
        **overrides,
    )
    return SmtpConfig.from_settings(settings)


async def test_the_report_arrives_with_its_photo(mailbox, tmp_path: Path, jpeg: Path, caplog):
    box, port = mailbox
    store = PhotoStore(tmp_path)
    photo = await asyncio.to_thread(jpeg.read_bytes)
    name = await store.save(photo)
    report = a_report((name,))
    caplog.set_level(logging.DEBUG)
    config = smtp(port, smtp_username="bot", smtp_password=PASSWORD)
    result = await send(
        report, to="mladost@sofia.example.org", smtp=config, translator=TRANSLATOR, photos=store
    )

    assert box.logins == [("bot", PASSWORD)]
    (envelope,) = box.received
    assert envelope.mail_from == "signali@sofia.example.org"
    assert envelope.rcpt_tos == ["mladost@sofia.example.org"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "[SOF-2026-000007] Улично осветление / Street lighting"
    assert message["Message-ID"].strip() == result.message_id
    text = message.get_body(("plain",)).get_content()
    assert text.startswith(
        "Здравейте, препращаме Ви сигнал SOF-2026-000007, подаден от гражданин на "
        "27.11.2026 12:00.\n\nКатегория: Улично осветление\n"
        "Адрес: бул. Александър Малинов 12\nРайон: Младост\n"
        "Карта: https://www.openstreetmap.org/?mlat=42.649700&mlon=23.379000"
        "#map=18/42.649700/23.379000\n"
        "Сигналът в мрежата: https://bot.example.org/open311/v2/requests/SOF-2026-000007.json\n"
        "1 прикачена снимка.\n\nОписание:\nУличната лампа пред блок 12 не свети от седмица.\n"
    )
    assert "Hello, we are forwarding report SOF-2026-000007" in text
    assert "Category: Street lighting\n" in text and "District: Mladost\n" in text
    assert "1 photo attached." in text
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "SOF-2026-000007-1.jpg"
    assert attachment.get_content_type() == "image/jpeg"
    assert attachment.get_content() == photo
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(config)


async def test_a_wrong_password_is_permanent_and_not_told(mailbox):
    _, port = mailbox
    config = smtp(port, smtp_username="bot", smtp_password="wrong-one")
    with pytest.raises(PermanentError) as failed:
        await send(a_report(), to="a@sofia.example.org", smtp=config, translator=TRANSLATOR)
    assert "535" in str(failed.value) and "wrong-one" not in str(failed.value)
    assert isinstance(config.password, SecretStr)


@pytest.mark.parametrize(
    ("answer", "error"),
    [("550 5.1.1 No such mailbox", PermanentError), ("451 4.3.0 Try later", RetryableError)],
)
async def test_a_refused_recipient(mailbox, answer: str, error: type[Exception]):
    box, port = mailbox
    box.refuse["gone@sofia.example.org"] = answer
    with pytest.raises(error):
        await send(a_report(), to="gone@sofia.example.org", smtp=smtp(port), translator=TRANSLATOR)
    assert box.received == []


async def test_no_server_is_worth_retrying():
    with pytest.raises(RetryableError):
        await send(
            a_report(), to="a@sofia.example.org", smtp=smtp(free_port()), translator=TRANSLATOR
        )


def test_email_needs_a_host_and_a_sender():
    with pytest.raises(PermanentError, match="SMTP_HOST"):
        SmtpConfig.from_settings(make_settings("sqlite+aiosqlite:///unused.db"))


# -- the whole way: filed in the bot, queued, sent by the forwarding tick ----------------------

MLADOST_MAIL = "mladost@sofia.example.org"


async def test_a_filed_report_is_emailed_after_a_refusal_and_a_retry(
    mailbox, sqlite_templates, tmp_path: Path, jpeg: Path
):
    """Filing queues the forward; the tick sends it; the server's 451 is retried after the
    backoff (not before), then the email arrives once, with its photo."""
    box, port = mailbox
    db = Database(await sqlite_templates.fresh())
    store = PhotoStore(tmp_path)
    photo = await store.save(await asyncio.to_thread(jpeg.read_bytes))
    city = city_with(EmailDelivery(type="email", address=MLADOST_MAIL))
    clock = Clock(FILED)
    forwarder = smtp_forwarder(db, city, store, port, clock)
    try:
        _, (report,) = await file_reports(db, city, photos=(photo,))
        box.refuse[MLADOST_MAIL] = "451 4.3.0 Try later"
        assert await forwarder.tick() == 0
        (row,) = await forwards_of(db)
        assert (row.state, row.attempts, row.how) == ("pending", 1, "email")
        assert row.last_error is not None and "451" in row.last_error
        assert row.next_attempt_at == FILED + timedelta(minutes=1)
        assert report.description not in row.last_error  # no citizen's words kept

        del box.refuse[MLADOST_MAIL]
        assert await forwarder.tick() == 0  # not due yet
        clock.now += timedelta(minutes=1)
        assert await forwarder.tick() == 1
        assert await forwarder.tick() == 0  # sent once
        (envelope,) = box.received
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["Subject"].startswith(f"[{report.public_id}] ")
        assert [a.get_filename() for a in message.iter_attachments()] == [
            f"{report.public_id}-1.jpg"
        ]
        (row,) = await forwards_of(db)
        assert (row.state, row.attempts, row.last_error, row.sent_at) == (
            "sent",
            2,
            None,
            clock.now,
        )
    finally:
        await forwarder.close()
        await db.dispose()


def smtp_forwarder(
    db: Database, city: CityPack, store: PhotoStore, port: int, clock: Clock
) -> Forwarder:
    """The forwarder of a bot whose SMTP server is the test's mailbox on `port`."""
    settings = make_settings(
        "sqlite+aiosqlite:///unused.db",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="signali@sofia.example.org",
        smtp_starttls=False,
        smtp_timeout_seconds=5,
    )
    return Forwarder(
        db=db, city=city, settings=settings, translator=TRANSLATOR, photos=store, clock=clock
    )


async def forwards_of(db: Database) -> list[ReportForward]:
    async with db.sessions() as session:
        return list((await session.exec(select(ReportForward))).all())


async def test_not_fixed_is_emailed_with_the_citizens_words_and_photo(
    mailbox, db: Database, tmp_path: Path, jpeg: Path
):
    """A citizen's "❌ not fixed" on a resolved report of a body that receives by email: an
    email says so, in both languages, with their words and the photo they added (only that
    one), and the forwarding job is woken for it."""
    box, port = mailbox
    store = PhotoStore(tmp_path)
    first = await store.save(await asyncio.to_thread(jpeg.read_bytes))
    answer_photo = await store.save(await asyncio.to_thread(jpeg.read_bytes))
    city = city_with(EmailDelivery(type="email", address=MLADOST_MAIL))
    forwarder = smtp_forwarder(db, city, store, port, Clock(FILED))
    try:
        citizen, (report,) = await file_reports(db, city, photos=(first,))
        assert await forwarder.tick() == 1  # the report itself
        words = "Still dark: the lamp went out again the next evening."
        woken = await resolve_then_not_fixed(db, city, report, citizen, words, photo=answer_photo)
        assert woken == ["forwarding"]
        assert await forwarder.tick() == 1
        assert await forwarder.tick() == 0
        _, envelope = box.received
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message["Subject"] == (
            f"[{report.public_id}] Не е отстранен / Not fixed: Улично осветление / Street lighting"
        )
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert text.count(words) == 2  # in Bulgarian and in English
        assert "wrote on 27.11.2026 12:00 that it is not fixed" in text
        assert "ни съобщи на 27.11.2026 12:00, че проблемът не е отстранен" in text
        assert report.description in text
        (attachment,) = message.iter_attachments()
        assert attachment.get_filename() == f"{report.public_id}-1.jpg"
        assert attachment.get_content() == await store.read(answer_photo)
        found = sorted(await forwards_of(db), key=lambda r: r.id or 0)
        assert [(r.kind, r.state) for r in found] == [("report", "sent"), ("reopened", "sent")]
    finally:
        await forwarder.close()
