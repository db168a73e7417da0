"""The tests' SMTP server (smtp_server.py) itself, with Python's smtplib as the client: no Odoo."""
import email.message
import smtplib
import uuid

import pytest


def send(smtp, to=("alice@example.com", "bob@example.com"), body="Clé révoquée.\n"):
    """Send one message to `smtp` as Odoo would (quoted-printable UTF-8); its unique subject."""
    subject = "Votre clé %s" % uuid.uuid4().hex[:8]
    message = email.message.EmailMessage()
    message["From"] = "odoo@example.com"
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body, cte="quoted-printable")
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
        client.send_message(message)
    return subject


def test_a_message_arrives_as_sent(smtp):
    subject = send(smtp)
    received = smtp.wait_for(lambda m: m.subject == subject, timeout=10)
    assert received.mail_from == "odoo@example.com"
    assert received.rcpt_tos == ["alice@example.com", "bob@example.com"]
    assert received.text == "Clé révoquée.\n"
    assert b"Content-Transfer-Encoding: quoted-printable" in received.raw
    assert received in smtp.messages


def test_wait_for_says_what_arrived(smtp):
    smtp.clear()
    subject = send(smtp, to=("carol@example.com",))
    with pytest.raises(AssertionError) as error:
        smtp.wait_for(lambda m: False, timeout=0.2)
    assert "carol@example.com" in str(error.value) and subject in str(error.value)
    assert "Clé" not in str(error.value)  # recipients and subjects only, never a body


def test_stopped_then_started_on_the_same_port(smtp):
    port = smtp.port
    smtp.stop()
    try:
        with pytest.raises(ConnectionRefusedError):
            smtplib.SMTP("127.0.0.1", port, timeout=10)
    finally:
        smtp.start()
    assert smtp.port == port
    subject = send(smtp)
    smtp.wait_for(lambda m: m.subject == subject, timeout=10)


def test_a_refusing_server(smtp):
    smtp.refusing = True
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(smtp, to=("dave@example.com",))
        assert refused.value.recipients["dave@example.com"][0] == 451
    finally:
        smtp.refusing = False
    assert not any(m.rcpt_tos == ["dave@example.com"] for m in smtp.messages)
    subject = send(smtp, to=("dave@example.com",))
    smtp.wait_for(lambda m: m.subject == subject, timeout=10)
