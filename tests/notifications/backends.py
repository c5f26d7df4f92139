"""Mail backends for the tests: one that always fails like a refusing SMTP
server, and one that fails until told to recover."""

from __future__ import annotations

import smtplib

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FailingSMTPBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPException("421 Service not available, closing transmission channel")


class FlakySMTPBackend(LocmemBackend):
    """Fails while ``FlakySMTPBackend.down`` is true, then delivers to the
    locmem outbox."""

    down = True

    def send_messages(self, messages):
        if FlakySMTPBackend.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def outbox() -> list:
    return mail.outbox
