from odoo.exceptions import AccessError, MissingError
from odoo.tests.common import TransactionCase

from .test_res_users_apikeys import in_days


class TestApiKeyAccess(TransactionCase):
    """Who sees and deletes which keys, through the ORM as the restricted users."""

    def setUp(self):
        super(TestApiKeyAccess, self).setUp()
        self.keys = self.env["res.users.apikeys"]
        self.demo = self.env.ref("base.user_demo")
        self.admin = self.env.ref("base.user_root")
        self.other = self.env["res.users"].create(
            {"name": "Other", "login": "other@example.com", "groups_id": [(6, 0, [self.env.ref("base.group_user").id])]}
        )
        for user in (self.demo, self.other, self.admin):
            self.keys.sudo(user)._generate(None, "key of %s" % user.login, in_days(30))

    def test_user_sees_only_own_keys(self):
        seen = self.keys.sudo(self.demo).search([])
        self.assertEqual(seen.mapped("user_id"), self.demo)
        self.assertEqual(self.demo.sudo(self.demo).api_key_ids, seen)

    def test_another_users_keys_read_by_id_look_deleted(self):
        others = self.keys.sudo().search([("user_id", "=", self.other.id)])
        self.assertEqual(others.sudo(self.demo).read(["name"]), [])
        self.assertFalse(others.sudo(self.demo).exists())

    def test_user_cannot_create_write_or_unlink_keys_directly(self):
        own = self.keys.sudo(self.demo).search([])
        with self.assertRaises(AccessError):
            own.write({"name": "renamed"})
        with self.assertRaises(AccessError):
            own.unlink()
        with self.assertRaises(AccessError):
            self.keys.sudo(self.demo).create({"name": "forged", "user_id": self.demo.id})

    def test_admin_sees_every_users_keys(self):
        self.assertEqual(
            self.keys.sudo(self.admin).search([]).mapped("user_id"), self.demo | self.other | self.admin
        )
        self.assertEqual(len(self.other.sudo(self.admin).api_key_ids), 1)

    def test_admin_removes_another_users_key(self):
        key = self.other.api_key_ids
        key.sudo(self.admin)._remove()
        self.assertFalse(key.exists())

    def test_user_cannot_remove_another_users_key(self):
        key = self.other.api_key_ids
        with self.assertRaises(MissingError):  # as if it did not exist
            key.sudo(self.demo)._remove()
        self.assertTrue(key.exists())

    def test_searching_users_by_keys_finds_only_the_searching_user(self):
        other_key = self.other.api_key_ids
        users = self.env["res.users"].sudo(self.demo)
        self.assertEqual(users.search([("api_key_ids", "!=", False)]), self.demo)
        self.assertFalse(users.search([("api_key_ids", "in", other_key.ids)]))
        self.assertFalse(users.search([("api_key_ids", "=", False)]))
        admins = self.env["res.users"].sudo(self.admin)
        self.assertEqual(admins.search([("api_key_ids", "in", other_key.ids)]), self.other)
        self.assertIn(self.other, admins.search([("api_key_ids", "!=", False)]))
        self.assertNotIn(self.other, admins.search([("api_key_ids", "=", False)]))
