import binascii
import contextlib
import hashlib
import logging
import os

from passlib.context import CryptContext

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools.lru import LRU

from ..rpc_patches import remote_address
from ..wizards.res_users_identitycheck import check_identity

_logger = logging.getLogger(__name__)

API_KEY_SIZE = 20  # bytes of os.urandom, shown as 40 lowercase hex characters
INDEX_SIZE = 8  # hex characters of the key stored in clear to find its row: 32 of its 160 bits
# A key is 160 random bits, so no dictionary attack applies: far fewer rounds
# than a password hash, same scheme and rounds as native Odoo 14+.
KEY_CRYPT_CONTEXT = CryptContext(["pbkdf2_sha512"], pbkdf2_sha512__rounds=6000)

# (database, sha256 of a key) -> id of the key row it was verified against.
# Spares the slow hash on every RPC call; the row is still re-read each time,
# so a deleted key is refused at once in every process.
_verified_keys = LRU(8192)


def _forget(cache_key):
    with contextlib.suppress(KeyError):  # another thread may have forgotten it first
        _verified_keys.pop(cache_key)


class ResUsersApikeys(models.Model):
    _name = "res.users.apikeys"
    _description = "User API Key"
    _auto = False  # the table is made in init(): its `key` hash column must stay out of the ORM
    _order = "create_date desc, id desc"

    name = fields.Char("Description", required=True, readonly=True)
    user_id = fields.Many2one("res.users", "User", required=True, readonly=True, index=True, ondelete="cascade")
    scope = fields.Char(readonly=True)
    create_date = fields.Datetime("Created on", readonly=True)

    @api.model_cr
    def init(self):
        # Same table as native Odoo 14+, so keys survive an upgrade. Only a constant is formatted in.
        self.env.cr.execute(  # pylint: disable=sql-injection
            """
            CREATE TABLE IF NOT EXISTS res_users_apikeys (
                id serial PRIMARY KEY,
                name varchar NOT NULL,
                user_id integer NOT NULL REFERENCES res_users(id) ON DELETE CASCADE,
                scope varchar,
                index varchar({size}) NOT NULL CHECK (char_length(index) = {size}),
                key varchar NOT NULL,
                create_date timestamp without time zone DEFAULT (now() at time zone 'utc')
            );
            CREATE INDEX IF NOT EXISTS res_users_apikeys_user_id_index_idx ON res_users_apikeys (user_id, index);
            CREATE INDEX IF NOT EXISTS res_users_apikeys_index_idx ON res_users_apikeys (index);
            """.format(size=INDEX_SIZE)
        )

    @api.model_cr
    def _check_removed_columns(self, log=False):
        """Keep NOT NULL on `index` and `key`: they are left out of the ORM on purpose."""

    @api.model
    def _generate(self, scope, name):
        """Make a key for the current user and return it: the only time it exists in clear."""
        key = binascii.hexlify(os.urandom(API_KEY_SIZE)).decode()
        self.env.cr.execute(
            """
            INSERT INTO res_users_apikeys (name, user_id, scope, index, key)
            VALUES (%s, %s, %s, %s, %s) RETURNING id
            """,
            [name, self.env.uid, scope, key[:INDEX_SIZE], KEY_CRYPT_CONTEXT.hash(key)],
        )
        key_id = self.env.cr.fetchone()[0]
        _logger.info(
            "API key #%s created for %s (#%s) from %s", key_id, self.env.user.login, self.env.uid, remote_address()
        )
        return key

    @api.model
    def _check_credentials(self, scope, key):
        """Return the id of the active user who owns `key` for `scope`, or None."""
        match = self._match(scope, key)
        return match and match[1]

    @api.model
    def _match(self, scope, key, verified_before=False):
        """Return (key id, user id) of the valid key `key` for `scope`, or None.

        With `verified_before`, only a key this process already verified can match."""
        cache_key = (self.env.cr.dbname, hashlib.sha256(key.encode()).digest())
        key_id = _verified_keys.get(cache_key)
        if key_id:
            rows = self._fetch_valid(scope, "k.id = %s", key_id)
            if rows:
                return rows[0][:2]
            _forget(cache_key)
            return None
        if verified_before:
            return None
        for key_id, user_id, hashed in self._fetch_valid(scope, "k.index = %s", key[:INDEX_SIZE]):
            if KEY_CRYPT_CONTEXT.verify(key, hashed):
                _verified_keys[cache_key] = key_id
                return key_id, user_id
        return None

    def _fetch_valid(self, scope, condition, value):
        """Rows (id, user_id, key hash) of keys meeting `condition` that an active user may use for `scope`."""
        self.env.cr.execute(
            """
            SELECT k.id, k.user_id, k.key
              FROM res_users_apikeys k
              JOIN res_users u ON u.id = k.user_id
             WHERE {condition} AND u.active AND (k.scope IS NULL OR k.scope = %s)
            """.format(condition=condition),
            [value, scope],
        )
        return self.env.cr.fetchall()

    @api.multi
    @check_identity
    def remove(self):
        """Delete keys from the list (the trash button): asks for the password first."""
        return self._remove()

    @api.multi
    def _remove(self):
        """Delete keys: the owner's own, or any for an administrator."""
        if not (self.env.user.has_group("base.group_system") or self.mapped("user_id") <= self.env.user):
            raise AccessError(_("You can only delete your own API keys."))
        for key in self:
            _logger.info(
                "API key #%s of %s (#%s) deleted by %s (#%s) from %s",
                key.id, key.user_id.login, key.user_id.id, self.env.user.login, self.env.uid, remote_address(),
            )
        self.sudo().unlink()
        return {"type": "ir.actions.act_window_close"}
