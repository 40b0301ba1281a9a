"""Outgoing mail: SMTP through Flask-Mail, or the log when MAIL_SERVER is unset."""

import logging
import smtplib

from flask import current_app
from flask_mail import Message

from uzbekhub.dev_mail import keep
from uzbekhub.errors import ServiceUnavailable
from uzbekhub.extensions import mail

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text mail. Without MAIL_SERVER it goes to the log (development)."""
    keep(to, subject, body)
    if not current_app.config.get("MAIL_SERVER"):
        if current_app.config.get("APP_ENV") == "production":
            # Mails carry codes and reset links: never into a production log.
            log.error("MAIL_SERVER is unset; mail to %s not sent: %s", to, subject)
            return
        log.warning(
            "MAIL_SERVER is unset; mail to %s not sent.\nSubject: %s\n\n%s", to, subject, body
        )
        return
    try:
        mail.send(Message(subject=subject, recipients=[to], body=body))
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send mail to %s: %s", to, exc)
        raise ServiceUnavailable("The mail could not be sent. Try again shortly.") from exc
