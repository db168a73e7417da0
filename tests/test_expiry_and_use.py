from odoo.exceptions import AccessError, UserError
from odoo.tests.common import TransactionCase

from .test_res_users_apikeys import in_days


class TestExpiryLimitsAndUse(TransactionCase):
    """Keys that expire, within limits set per group; when a key was last used; keys made for others."""

    def setUp(self):
        super(TestExpiryLimitsAndUse, self).setUp()
        self.keys = self.env["res.users.apikeys"]
        self.demo = self.env.ref("base.user_demo")
        self.admin = self.env.ref("base.user_root")

    def test_expired_key_is_refused_and_deleted_by_the_daily_job(self):
        expired = self.keys.sudo(self.demo)._generate(None, "expired", in_days(1))
        valid = self.keys.sudo(self.demo)._generate(None, "valid", in_days(1))
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = now() at time zone 'utc' - interval '1 second' "
            "WHERE name = 'expired'"
        )
        self.assertFalse(self.keys._check_credentials("rpc", expired))
        self.assertEqual(self.keys._check_credentials("rpc", valid), self.demo.id)
        self.assertEqual(self.keys._gc_expired(), 1)
        self.assertEqual(self.keys.sudo().search([("user_id", "=", self.demo.id)]).mapped("name"), ["valid"])

    def test_internal_users_keys_last_90_days_at_most(self):
        self.assertEqual(self.env.ref("base.group_user").api_key_duration, 90)
        self.assertTrue(self.keys.sudo(self.demo)._generate(None, "ok", in_days(89.9)))
        with self.assertRaises(UserError):
            self.keys.sudo(self.demo)._generate(None, "too long", in_days(91))
        with self.assertRaises(UserError):
            self.keys.sudo(self.demo)._generate(None, "forever", None)

    def test_the_largest_group_duration_applies(self):
        group = self.env["res.groups"].create({"name": "Integrators", "api_key_duration": 365})
        self.demo.groups_id = [(4, group.id)]
        self.assertTrue(self.keys.sudo(self.demo)._generate(None, "a year", in_days(364)))

    def test_without_any_group_duration_keys_last_one_day(self):
        self.env.ref("base.group_user").api_key_duration = 0
        self.assertEqual(self.demo._api_key_max_days(), 1)
        with self.assertRaises(UserError):
            self.keys.sudo(self.demo)._generate(None, "two days", in_days(2))

    def test_only_administrators_make_keys_that_never_expire(self):
        key = self.keys.sudo(self.admin)._generate(None, "forever", None)
        self.assertEqual(self.keys._check_credentials("rpc", key), self.admin.id)

    def test_expiry_must_be_in_the_future(self):
        with self.assertRaises(UserError):
            self.keys.sudo(self.admin)._generate(None, "past", in_days(-1))

    def test_last_use_is_recorded_with_the_address_at_most_once_a_minute(self):
        self.keys.sudo(self.demo)._generate(None, "used", in_days(1))
        key = self.keys.sudo().search([("name", "=", "used")])
        self.assertFalse(key.last_used_at)
        self.keys._record_use(key.id)
        key.invalidate_cache()
        first = key.last_used_at
        self.assertTrue(first)
        self.assertEqual(key.last_used_ip, "n/a")  # no client address outside a request
        self.env.cr.execute("UPDATE res_users_apikeys SET last_used_ip = 'before' WHERE id = %s", [key.id])
        self.keys._record_use(key.id)
        key.invalidate_cache()
        self.assertEqual(key.last_used_ip, "before", "a second use within the minute writes nothing")

    def test_administrator_makes_a_key_for_an_integration_user(self):
        robot = self.env["res.users"].create({"name": "Robot", "login": "robot@example.com"})
        key = self.keys.sudo(self.admin)._generate(None, "for robot", in_days(30), user=robot)
        self.assertEqual(self.keys._check_credentials("rpc", key), robot.id)
        record = self.keys.sudo().search([("name", "=", "for robot")])
        self.assertEqual((record.user_id, record.creator_id), (robot, self.admin))

    def test_ordinary_user_cannot_make_keys_for_others(self):
        with self.assertRaises(AccessError):
            self.keys.sudo(self.demo)._generate(None, "for admin", in_days(1), user=self.admin)
