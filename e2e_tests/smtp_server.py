"""A real SMTP server for the end-to-end tests (issue 17): Odoo's security e-mails go
through its ir.mail_server and smtplib as in production, and the tests read what arrived.

aiosmtpd's Controller runs the server in a thread of the test process, on 127.0.0.1."""
import asyncio
import dataclasses
import email
import email.message
import email.policy
import logging
import threading

from aiosmtpd.controller import Controller

from odoo_servers import free_port

MAIL_SERVER_NAME = "Tests' SMTP server"
# aiosmtpd logs every SMTP command at INFO: where Odoo's tests have set up logging, that buried their output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclasses.dataclass(frozen=True)
class Received:
    """One message as the server received it."""

    mail_from: str
    rcpt_tos: list
    raw: bytes  # the DATA as received, so that tests can check the encoding Odoo chose
    message: email.message.EmailMessage

    @property
    def subject(self):
        return self.message["Subject"]

    @property
    def text(self):
        """The plain-text body, decoded, with Python's line ends ("" if the message has none)."""
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content().replace("\r\n", "\n") if body is not None else ""


class SmtpServer:
    """An SMTP server that keeps every message it accepts, or refuses them all while
    `refusing` is true (a 451 to every recipient: smtplib raises SMTPRecipientsRefused),
    taking `delay` seconds over each message's data (a slow server).

    The port is chosen once: after stop(), start() listens on the same port again, so an
    Odoo mail server pointed at it (point_odoo_at) reaches it again."""

    REFUSAL = "451 4.3.0 The tests' SMTP server refuses every message"

    def __init__(self, port=None):
        self.port = port or free_port()
        self.refusing = False
        self.delay = 0  # seconds the server takes to accept a message's data: a slow server
        self._received = []
        self._changed = threading.Condition()
        self._controller = None

    def start(self):
        # A Controller closes its event loop when it stops: a new one each time.
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        """Stop listening and free the port (no-op if not running)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # aiosmtpd's handler hooks, called in the Controller's thread.
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refusing:
            return self.REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._changed:
            self._received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, message))
            self._changed.notify_all()
        return "250 OK"

    @property
    def messages(self):
        """A snapshot of the messages received so far, oldest first."""
        with self._changed:
            return list(self._received)

    def clear(self):
        with self._changed:
            self._received.clear()

    def wait_for(self, predicate, timeout=30):
        """The first message received that `predicate` accepts, waiting up to `timeout` seconds
        for it (Odoo may send after its reply, from a cron or a post-commit hook)."""
        with self._changed:
            found = self._changed.wait_for(lambda: next((m for m in self._received if predicate(m)), None), timeout)
            if found is None:
                raise AssertionError("no matching message within %ss; received: %s" % (
                    timeout, [(m.rcpt_tos, m.subject) for m in self._received] or "nothing"))
            return found


def point_odoo_at(server, smtp):
    """Make Odoo `server` (an OdooServer) send its e-mails to `smtp` first, through one
    ir.mail_server record, made or updated (so calling it twice is harmless); its id."""
    values = {
        "name": MAIL_SERVER_NAME, "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_encryption": "none",
        "smtp_user": False, "smtp_pass": False, "sequence": 1,
    }
    ids = server.admin("ir.mail_server", "search", [("name", "=", MAIL_SERVER_NAME)], limit=1)
    if ids:
        server.admin("ir.mail_server", "write", ids, values)
        return ids[0]
    return server.admin("ir.mail_server", "create", values)
