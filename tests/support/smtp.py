"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""

import email
import re
import threading
from email.message import Message

from aiosmtpd.controller import Controller

CODE_RE = re.compile(r"(?<!\d)(\d{5})(?!\d)")


class _Handler:
    def __init__(self, inbox: list[Message], lock: threading.Lock):
        self.inbox = inbox
        self.lock = lock

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.inbox.append(message)
        return "250 Message accepted for delivery"


class MailCatcher:
    def __init__(self, port: int):
        self.port = port
        self.inbox: list[Message] = []
        self._lock = threading.Lock()
        self._controller = Controller(
            _Handler(self.inbox, self._lock), hostname="127.0.0.1", port=port
        )

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        with self._lock:
            self.inbox.clear()

    def messages_to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m in self.inbox if address.lower() in m["X-Envelope-To"].lower()]

    def last_to(self, address: str) -> Message:
        found = self.messages_to(address)
        assert found, f"no mail was sent to {address}"
        return found[-1]

    @staticmethod
    def body_of(message: Message) -> str:
        if message.is_multipart():
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    return part.get_payload(decode=True).decode()
        return message.get_payload(decode=True).decode()

    def code_for(self, address: str) -> str:
        """The standalone 5-digit code in the plain-text body of the last mail to `address`."""
        found = CODE_RE.findall(self.body_of(self.last_to(address)))
        assert len(found) == 1, f"expected one code in the mail, found {found}"
        return found[0]
