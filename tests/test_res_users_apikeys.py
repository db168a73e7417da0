import re
from datetime import datetime, timedelta

from passlib.hash import pbkdf2_sha512

from odoo import fields
from odoo.exceptions import MissingError
from odoo.tests.common import TransactionCase


def in_days(days):
    return fields.Datetime.to_string(datetime.utcnow() + timedelta(days=days))


class TestApiKeyStore(TransactionCase):
    """The key store as the rest of Odoo sees it: generation, hashing, lookup."""

    def setUp(self):
        super(TestApiKeyStore, self).setUp()
        self.demo = self.env.ref("base.user_demo")
        self.keys = self.env["res.users.apikeys"]

    def generate(self, user=None, name="test key"):
        return self.keys.sudo(user or self.demo)._generate(None, name, in_days(30))

    def stored_row(self, key):
        self.env.cr.execute("SELECT index, key FROM res_users_apikeys WHERE index = %s", [key[:8]])
        return self.env.cr.fetchone()

    def test_key_is_40_lowercase_hex_characters(self):
        key = self.generate()
        self.assertTrue(re.match(r"^[0-9a-f]{40}$", key), key)
        self.assertNotEqual(key, self.generate(), "two keys must differ")

    def test_key_is_stored_as_pbkdf2_sha512_hash_indexed_by_its_first_8_characters(self):
        key = self.generate()
        index, hashed = self.stored_row(key)
        self.assertEqual(index, key[:8])
        self.assertNotIn(key, hashed)
        self.assertTrue(pbkdf2_sha512.identify(hashed))
        self.assertIn("$6000$", hashed)
        self.assertTrue(pbkdf2_sha512.verify(key, hashed))

    def test_key_belongs_to_the_user_who_generated_it(self):
        self.generate(name="my script")
        key = self.keys.sudo().search([("user_id", "=", self.demo.id)])
        self.assertEqual(key.name, "my script")
        self.assertFalse(key.scope)
        self.assertTrue(key.create_date)

    def test_check_credentials_returns_the_owner(self):
        key = self.generate()
        self.assertEqual(self.keys._check_credentials("rpc", key), self.demo.id)

    def test_wrong_truncated_and_altered_keys_are_refused(self):
        key = self.generate()
        altered = key[:-1] + ("0" if key[-1] != "0" else "1")
        for candidate in (key[:39], key[:8], altered, key.upper(), key + "0", "0" * 40, ""):
            self.assertFalse(self.keys._check_credentials("rpc", candidate), candidate)

    def test_keys_sharing_an_index_are_each_accepted(self):
        first = self.generate()
        # A second key with the same 8-character index (1 in 4 billion by chance).
        second = first[:8] + "f" * 32 if first[8:] != "f" * 32 else first[:8] + "e" * 32
        self.env.cr.execute(
            "INSERT INTO res_users_apikeys (name, user_id, index, key) VALUES (%s, %s, %s, %s)",
            ["twin", self.env.ref("base.user_root").id, second[:8], pbkdf2_sha512.using(rounds=6000).hash(second)],
        )
        self.assertEqual(self.keys._check_credentials("rpc", first), self.demo.id)
        self.assertEqual(self.keys._check_credentials("rpc", second), self.env.ref("base.user_root").id)

    def test_deleted_key_is_refused_even_after_it_was_accepted(self):
        key = self.generate()
        self.assertEqual(self.keys._check_credentials("rpc", key), self.demo.id)
        self.keys.sudo(self.demo).search([])._remove()
        self.assertFalse(self.keys._check_credentials("rpc", key))

    def test_archived_user_key_is_refused(self):
        key = self.generate()
        self.assertEqual(self.keys._check_credentials("rpc", key), self.demo.id)
        self.demo.active = False
        self.assertFalse(self.keys._check_credentials("rpc", key))

    def test_key_of_another_scope_is_refused(self):
        key = self.keys.sudo(self.demo)._generate("some.other.scope", "scoped", in_days(1))
        self.assertFalse(self.keys._check_credentials("rpc", key))
        self.assertEqual(self.keys._check_credentials("some.other.scope", key), self.demo.id)

    def test_deleting_a_user_deletes_their_keys(self):
        user = self.env["res.users"].create({"name": "Leaving", "login": "leaving@example.com"})
        key = self.generate(user)
        user.unlink()
        self.assertIsNone(self.stored_row(key))

    def test_owner_removes_own_key_but_not_another_users(self):
        self.generate()
        admin_key = self.keys.sudo(self.env.ref("base.user_root"))._generate(None, "admin key", in_days(1))
        admin_row = self.keys.sudo().search([("user_id", "=", self.env.ref("base.user_root").id)])
        with self.assertRaises(MissingError):  # as if it did not exist
            admin_row.sudo(self.demo)._remove()
        self.assertEqual(self.keys._check_credentials("rpc", admin_key), self.env.ref("base.user_root").id)
        own = self.keys.sudo(self.demo).search([])
        own._remove()
        self.assertFalse(own.exists())

    def test_the_hash_is_not_an_orm_field(self):
        self.generate()
        self.assertNotIn("key", self.keys.fields_get())
        self.assertNotIn("index", self.keys.fields_get())
        record = self.keys.sudo(self.demo).search([])
        self.assertNotIn("key", record.read()[0])

    def test_secret_columns_stay_not_null_after_an_update(self):
        self.keys._check_removed_columns(log=False)
        self.env.cr.execute(
            "SELECT column_name, is_nullable FROM information_schema.columns "
            "WHERE table_name = 'res_users_apikeys' AND column_name IN ('index', 'key')"
        )
        self.assertEqual(dict(self.env.cr.fetchall()), {"index": "NO", "key": "NO"})
