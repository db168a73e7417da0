from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests.common import TransactionCase


def in_days(days, hours=0):
    return fields.Datetime.to_string(datetime.utcnow() + timedelta(days=days, hours=hours))


class TestKeyEvents(TransactionCase):
    """The audit trail and the e-mails it queues, as the key store writes them."""

    def setUp(self):
        super(TestKeyEvents, self).setUp()
        self.demo = self.env.ref("base.user_demo")
        self.demo.email = "demo@example.com"
        self.keys = self.env["res.users.apikeys"]
        self.events = self.env["res.users.apikeys.event"]
        self.notices = self.env["res.users.apikeys.notice"]

    def generate(self, name, days=30):
        key = self.keys.sudo(self.demo)._generate(None, name, in_days(days))
        return key, self.keys.search([("name", "=", name), ("user_id", "=", self.demo.id)])

    def trail(self, key_record_id):
        return self.events.search([("key_id", "=", key_record_id)], order="id")

    def emails_to(self, address):
        return self.notices.search([("email_to", "=", address)], order="id")

    def test_making_a_key_records_it_and_queues_one_email_naming_it_without_the_key(self):
        key, record = self.generate("made in a test")
        made = self.trail(record.id)
        self.assertEqual(made.mapped("event"), ["created"])
        self.assertEqual((made.user_id, made.actor_id, made.key_name), (self.demo, self.demo, "made in a test"))
        email = self.emails_to("demo@example.com")
        self.assertEqual(email.mapped("subject"), ["New API key on your account"])
        self.assertIn("Key: made in a test, made on %s UTC" % record.create_date, email.body)
        self.assertNotIn(key[:8], email.body + email.subject)

    def test_a_rotation_is_one_event_and_one_email(self):
        _key, old = self.generate("to rotate")
        new = self.keys.browse(self.keys.sudo(self.demo)._make(None, "rotated", in_days(30), self.demo)[1])
        self.events.sudo()._record_rotated(new, old, self.demo)
        self.assertEqual(self.trail(new.id).mapped("event"), ["rotated"])
        self.assertEqual(self.trail(new.id).previous_key_name, "to rotate")
        self.assertEqual(self.emails_to("demo@example.com").mapped("subject"),
                         ["New API key on your account", "API key rotated"])

    def test_deletions_are_named_and_only_someone_elses_is_emailed(self):
        _key, own = self.generate("own")
        _key, other = self.generate("other")
        own.sudo(self.demo)._remove()
        other._remove()  # as the superuser, an administrator
        self.assertEqual(self.trail(own.id).mapped("how"), [False, "preferences"])
        self.assertEqual(self.trail(other.id).mapped("how"), [False, "administrator"])
        self.assertEqual(self.emails_to("demo@example.com").mapped("subject"),
                         ["New API key on your account"] * 2 + ["API key deleted"])

    def test_expiry_warnings_come_once_each_and_not_when_past_at_making(self):
        _key, record = self.generate("expiring")
        self.env.cr.execute("UPDATE res_users_apikeys SET create_date = %s, expiration_date = %s WHERE id = %s",
                            [in_days(-20), in_days(6), record.id])
        self.keys._warn_of_expiry()
        self.keys._warn_of_expiry()
        _key, short = self.generate("short-lived", days=7)  # its 7-day warning is due as it is made
        self.keys._warn_of_expiry()
        warnings = self.events.search([("event", "=", "expiry_warning")])
        self.assertEqual(warnings.mapped("key_name"), ["expiring"])
        self.assertIn("API key expires in 7 day(s)", self.emails_to("demo@example.com").mapped("subject"))
        # A day later for the short-lived key: its 1-day warning is due.
        self.env.cr.execute("UPDATE res_users_apikeys SET expiration_date = %s WHERE id = %s",
                            [in_days(0, hours=20), record.id])
        self.env.cr.execute("UPDATE res_users_apikeys SET create_date = %s, expiration_date = %s WHERE id = %s",
                            [in_days(-6), in_days(0, hours=20), short.id])
        self.keys._warn_of_expiry()
        self.keys._warn_of_expiry()
        self.assertEqual(self.events.search([("event", "=", "expiry_warning")], order="id").mapped("key_name"),
                         ["expiring", "expiring", "short-lived"])

    def test_nobody_edits_the_trail_through_the_orm_even_the_superuser(self):
        _key, record = self.generate("kept")
        event = self.trail(record.id)
        for change in (lambda: event.write({"key_name": "rewritten"}), event.unlink,
                       lambda: self.events.create({"event": "deleted"})):
            with self.assertRaises(AccessError):
                change()

    def test_old_events_are_forgotten_after_the_retention(self):
        _key, record = self.generate("old")
        self.env["ir.config_parameter"].set_param("auth_apikeys.event_retention_days", "30")
        self.env.cr.execute("UPDATE res_users_apikeys_event SET create_date = %s WHERE key_id = %s",
                            [in_days(-31), record.id])
        self.events._forget_old()
        self.assertFalse(self.trail(record.id))

    def test_an_event_nobody_could_be_told_of_is_not_marked_emailed(self):
        self.demo.email = False
        self.env.ref("base.group_system").users.write({"email": False})
        _key, record = self.generate("nobody to tell")
        self.assertEqual(self.trail(record.id).mapped("emailed"), [False])
        self.assertFalse(self.notices.search([]).filtered(lambda notice: "nobody to tell" in notice.body))

    def test_emails_given_up_are_forgotten_after_30_days(self):
        self.generate("given up long ago")
        self.generate("given up lately")
        self.generate("still queued")
        for name, state, days in (("given up long ago", "failed", -31), ("given up lately", "failed", -29),
                                  ("still queued", "queued", -31)):
            self.env.cr.execute("UPDATE res_users_apikeys_notice SET state = %s, write_date = %s WHERE body LIKE %s",
                                [state, in_days(days), "%" + name + "%"])
        self.events._forget_old()
        left = self.emails_to("demo@example.com")
        self.assertEqual([name for name in ("given up long ago", "given up lately", "still queued")
                          if any(name in body for body in left.mapped("body"))], ["given up lately", "still queued"])
