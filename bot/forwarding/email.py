"""Sending a report to a body by email (aiosmtplib): the subject names the public id and the
category, the plain-text body says it in Bulgarian and then in English (description,
address, district, map link, the report's public link), the photos are attached.

    result = await send(report, to="district@sofia.bg", smtp=SmtpConfig.from_settings(s),
                        photos=photo_store, translator=translator)

Raises RetryableError (timeouts, connection problems, SMTP 4xx) or PermanentError (SMTP 5xx:
a recipient refused, the login refused, the message refused). The SMTP password is only
handed to aiosmtplib; it is never logged nor put in an error.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from pydantic import SecretStr

from bot.config import Settings
from bot.forwarding.errors import PermanentError, RetryableError
from bot.forwarding.report import LANGUAGES, ForwardedReport
from bot.i18n import Translator
from bot.media.store import PhotoStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        if not settings.smtp_host or not settings.smtp_from:
            raise PermanentError("SMTP_HOST and SMTP_FROM are needed to send email")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )


@dataclass(frozen=True, slots=True)
class EmailResult:
    message_id: str  # the Message-ID header: a reply from the body refers to it
    recipients: tuple[str, ...]


def _both(names: list[str]) -> str:
    return names[0] if names[0] == names[1] else " / ".join(names)


def subject(report: ForwardedReport, translator: Translator | None = None) -> str:
    categories = _both([report.category_names[lang] for lang in LANGUAGES])
    if report.reopened is not None and translator is not None:
        said = _both([translator.translate(lang, "forward.email_not_fixed") for lang in LANGUAGES])
        return f"[{report.public_id}] {said}: {categories}"
    return f"[{report.public_id}] {categories}"


def body(report: ForwardedReport, translator: Translator) -> str:
    """The text in each language, Bulgarian first, separated by a line."""
    parts = []
    for lang in LANGUAGES:

        def t(key: str, /, language: str = lang, **values: object) -> str:
            return translator.translate(language, key, **values)

        if report.reopened is not None:
            intro = t(
                "forward.email_not_fixed_intro",
                id=report.public_id,
                when=report.reopened,
                filed=report.filed,
            )
            lines = [intro, "", t("forward.email_not_fixed_words"), report.reopened_words or "—"]
            lines += ["", t("forward.email_category", category=report.category_names[lang])]
        else:
            lines = [
                t("forward.email_intro", id=report.public_id, when=report.filed),
                "",
                t("forward.email_category", category=report.category_names[lang]),
            ]
        if report.address:
            lines.append(t("forward.email_address", address=report.address))
        if report.district_names:
            lines.append(t("forward.email_district", district=report.district_names[lang]))
        if report.map_url:
            lines.append(t("forward.email_map", url=report.map_url))
        lines.append(t("forward.email_link", url=report.public_url))
        if report.photos:
            count = len(report.photos)
            lines.append(translator.translate_n(lang, "forward.email_photos", count, count=count))
        if report.reopened is not None:
            lines += ["", t("forward.email_first_description"), report.description, ""]
        else:
            lines += ["", t("forward.email_description"), report.description, ""]
        lines.append(t("forward.email_reply", id=report.public_id))
        parts.append("\n".join(lines))
    return "\n\n----------\n\n".join(parts) + "\n"


async def build_message(
    report: ForwardedReport,
    *,
    to: str | tuple[str, ...],
    sender: str,
    translator: Translator,
    photos: PhotoStore | None = None,
) -> EmailMessage:
    recipients = (to,) if isinstance(to, str) else to
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject(report, translator)
    message["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(idstring=report.public_id, domain=domain)
    message.set_content(body(report, translator))
    if photos is not None:
        for number, name in enumerate(report.photos, start=1):
            try:
                content = await photos.read(name)
            except (FileNotFoundError, ValueError):
                log.warning("photo %d of report %s is missing", number, report.public_id)
                continue
            message.add_attachment(
                content,
                maintype="image",
                subtype="jpeg",
                filename=f"{report.public_id}-{number}.jpg",
            )
    return message


async def send(
    report: ForwardedReport,
    *,
    to: str | tuple[str, ...],
    smtp: SmtpConfig,
    translator: Translator,
    photos: PhotoStore | None = None,
) -> EmailResult:
    """Send the report to `to` (one address or several). Raises RetryableError or
    PermanentError (bot/forwarding/errors.py)."""
    message = await build_message(
        report, to=to, sender=smtp.sender, translator=translator, photos=photos
    )
    recipients = (to,) if isinstance(to, str) else tuple(to)
    import aiosmtplib  # with the first email: most cities forward none (idle RSS)

    try:
        refused, _ = await aiosmtplib.send(
            message,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password.get_secret_value() if smtp.password else None,
            start_tls=smtp.starttls,
            tls_context=ssl.create_default_context() if smtp.starttls else None,
            timeout=smtp.timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        error = RetryableError if all(400 <= c < 500 for c in codes) else PermanentError
        raise error(f"{report.public_id}: recipients refused ({codes})") from None
    except aiosmtplib.SMTPResponseException as exc:
        error = RetryableError if 400 <= exc.code < 500 else PermanentError
        raise error(f"{report.public_id}: SMTP {exc.code} {exc.message[:200]}") from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise RetryableError(f"{report.public_id}: {type(exc).__name__}: {exc}") from None
    if refused:
        # Some recipients took it: a retry would send it twice to them.
        log.warning("report %s: %d recipient(s) refused the email", report.public_id, len(refused))
    message_id = str(message["Message-ID"])
    log.info("report %s emailed (%s)", report.public_id, message_id)
    return EmailResult(message_id=message_id, recipients=recipients)
