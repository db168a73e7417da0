import binascii
import contextlib
import hashlib
import logging
import os
import time
from datetime import datetime, timedelta, timezone

from passlib.context import CryptContext
from psycopg2.extensions import TransactionRollbackError

from odoo import _, api, fields, models, SUPERUSER_ID
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.tools.lru import LRU

from ..request_layer.auth_rules import READ_ONLY_SCOPE, RPC_SCOPES
from ..request_layer.current_call import current_api_key_id, distrust_rows_once_committed, remote_address
from ..wizards.res_users_identitycheck import check_identity
from .res_users_apikeys_event import ADDRESSES_A_DAY

_logger = logging.getLogger(__name__)

API_KEY_SIZE = 20  # bytes of os.urandom, shown as 40 lowercase hex characters
INDEX_SIZE = 8  # hex characters of the key stored in clear to find its row: 32 of its 160 bits
# A key is 160 random bits, so no dictionary attack applies: far fewer rounds
# than a password hash, same scheme and rounds as native Odoo 14+.
KEY_CRYPT_CONTEXT = CryptContext(["pbkdf2_sha512"], pbkdf2_sha512__rounds=6000)

# (database, sha256 of a key) -> (key id, key hash) of the row it was verified
# against. Spares the slow hash on every RPC call.
_verified_keys = LRU(8192)
# (database, key id) -> (user id, scope, key hash) of the row as this process
# verified it: when the row is read again with any of them changed (its owner,
# its scope, its hash), the process forgets it and verifies the key again.
_verified_rows = LRU(8192)
# (database, key id) -> (cache token, read at, expires at or None): the key's row as
# this process last read it. Trusted without a query until the registry's caches are
# cleared (a key deleted, or a user archived, through Odoo: Odoo signals it to every
# process before its answer leaves, and each process clears its caches before
# serving its next call), until the key expires, or ROW_TRUST_SECONDS after the
# read (a change made in SQL, which signals nothing).
_trusted_rows = LRU(8192)
ROW_TRUST_SECONDS = 10
CACHE_TOKEN = ("auth_apikeys", "trusted rows")  # its entry in the registry's cache: gone when that is cleared
# (database, key id) -> when this process last recorded the key's use: at most
# one write a minute per key keeps the hot path cheap and rows uncontended.
_use_recorded_at = LRU(8192)
LAST_USE_INTERVAL = 60  # seconds
# (database, key id, address) -> when this process last saw the key used from the
# address: the audit trail records a key's first use from an address each day.
_addresses_seen = LRU(8192)
ADDRESS_INTERVAL = 86400  # seconds
# (database, key id, day) -> how many addresses this process saw the key used from that day.
_addresses_noted = LRU(8192)
EXPIRY_WARNINGS = (7, 1)  # days before a key expires that its user is warned
# A warning due less than this after the key was made is not sent: its user just chose that lifetime.
WARNING_MARGIN = timedelta(hours=1)


def _cache_key(dbname, key):
    return dbname, hashlib.sha256(key.encode()).digest()


def verified_key(dbname, key):
    """(key id, user id, scope) if this process already verified `key`, else None. No database access:
    the caller must still make sure the key's row is valid and unchanged (see ResUsersApikeys._row_unchanged)."""
    verified = _verified_keys.get(_cache_key(dbname, key))
    row = verified and _verified_rows.get((dbname, verified[0]))
    if row and row[2] == verified[1]:
        return verified[0], row[0], row[1]
    return None


def _cache_token(registry):
    token = registry.cache.get(CACHE_TOKEN)
    if token is None:
        token = registry.cache[CACHE_TOKEN] = object()
    return token


def row_trusted(registry, key_id):
    """True if this process read the key's row as valid recently enough to skip a query (see _trusted_rows)."""
    row = _trusted_rows.get((registry.db_name, key_id))
    now = time.time()
    return bool(row) and row[0] is _cache_token(registry) and now - row[1] < ROW_TRUST_SECONDS and (
        row[2] is None or row[2] > now)


def use_due(dbname, key_id):
    """True if the key's last use should be recorded now (at most once a minute): no query."""
    return time.time() - _use_recorded_at.get((dbname, key_id), 0) >= LAST_USE_INTERVAL


def _forget_row(dbname, key_id):
    """The row changed or went: each key verified against it must be verified again."""
    with contextlib.suppress(KeyError):  # another thread may have forgotten it first
        _verified_rows.pop((dbname, key_id))


class ResUsersApikeys(models.Model):
    _name = "res.users.apikeys"
    _inherit = ["auth_apikeys.unreadable.as.missing"]
    _description = "User API Key"
    _auto = False  # the table is made in init(): its `key` hash column must stay out of the ORM
    _order = "create_date desc, id desc"

    name = fields.Char("Description", required=True, readonly=True)
    user_id = fields.Many2one("res.users", "User", required=True, readonly=True, index=True, ondelete="cascade")
    scope = fields.Char(readonly=True)
    create_date = fields.Datetime("Created on", readonly=True)
    # Beyond native Odoo 14: columns added beside the native ones (Odoo 18 also has expiration_date).
    expiration_date = fields.Datetime("Expires on", readonly=True)
    last_used_at = fields.Datetime("Last used", readonly=True)
    last_used_ip = fields.Char("Last used from", readonly=True)
    creator_id = fields.Many2one("res.users", "Created by", readonly=True, ondelete="set null")
    access = fields.Selection(
        [("full", "Full access"), ("read", "Read only")], compute="_compute_access", string="Access"
    )

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
            ALTER TABLE res_users_apikeys
                ADD COLUMN IF NOT EXISTS expiration_date timestamp without time zone,
                ADD COLUMN IF NOT EXISTS last_used_at timestamp without time zone,
                ADD COLUMN IF NOT EXISTS last_used_ip varchar,
                ADD COLUMN IF NOT EXISTS creator_id integer REFERENCES res_users(id) ON DELETE SET NULL,
                ADD COLUMN IF NOT EXISTS expiry_warned_days integer;
            """.format(size=INDEX_SIZE)
        )

    @api.depends("scope")
    def _compute_access(self):
        for key in self:
            key.access = "read" if key.scope == READ_ONLY_SCOPE else "full"

    @api.model_cr
    def _check_removed_columns(self, log=False):
        """Keep NOT NULL on `index` and `key`: they are left out of the ORM on purpose."""

    @api.model
    def _generate(self, scope, name, expiration_date=None, user=None):
        """Make a key and return it: the only time it exists in clear.

        It belongs to `user` (administrators make keys for integration users)
        or to the current user; `expiration_date` (UTC) must respect the
        owner's groups, see _check_expiration_date."""
        key, key_id = self._make(scope, name, expiration_date, user or self.env.user)
        self.env["res.users.apikeys.event"].sudo()._record_made(self.sudo().browse(key_id), self.env.user)
        return key

    @api.model
    def _make(self, scope, name, expiration_date, owner):
        """Check who may make the key, make it and return it with its id."""
        if owner.id != self.env.uid and not self._by_administrator():
            raise AccessError(_("Only administrators can make API keys for other users."))
        self._check_expiration_date(owner, expiration_date)
        key = binascii.hexlify(os.urandom(API_KEY_SIZE)).decode()
        self.env.cr.execute(
            """
            INSERT INTO res_users_apikeys (name, user_id, scope, index, key, expiration_date, creator_id)
            VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id
            """,
            [name, owner.id, scope or None, key[:INDEX_SIZE], KEY_CRYPT_CONTEXT.hash(key), expiration_date or None,
             self.env.uid],
        )
        key_id = self.env.cr.fetchone()[0]
        _logger.info(
            "API key #%s created for %s (#%s) by %s (#%s) from %s, scope %s, expires %s",
            key_id, owner.login, owner.id, self.env.user.login, self.env.uid, remote_address(),
            scope or "all", expiration_date or "never",
        )
        return key, key_id

    @api.model
    def _check_expiration_date(self, owner, expiration_date):
        """Only administrators make keys that never expire or outlive the owner's
        maximum: the largest `api_key_duration` of the owner's groups."""
        if expiration_date and fields.Datetime.from_string(expiration_date) <= datetime.utcnow():
            raise UserError(_("The expiry date of an API key must be in the future."))
        if self._by_administrator():
            return
        if not expiration_date:
            raise UserError(_("Only administrators can make API keys that never expire."))
        max_days = owner._api_key_max_days()
        if fields.Datetime.from_string(expiration_date) > datetime.utcnow() + timedelta(days=max_days):
            raise UserError(
                _("API keys of %(user)s can last %(days)g days at most.") % {"user": owner.name, "days": max_days}
            )

    @api.model
    def _by_administrator(self):
        """Administrators (Settings access) manage everyone's keys, free of the duration limits."""
        return self.env.user.has_group("base.group_system")

    @api.model
    def _check_credentials(self, scope, key):
        """Return the id of the active user who owns the unexpired `key` for `scope`, or None."""
        match = self._match(key, (scope,))
        return match and match[1]

    @api.model
    def _match(self, key, scopes):
        """Return (key id, user id, scope) of the valid key `key` for one of `scopes`, or None."""
        dbname = self.env.cr.dbname
        verified = verified_key(dbname, key)
        if verified:
            if self._row_unchanged(verified[0], scopes):
                return verified
            _forget_row(dbname, verified[0])
        for key_id, user_id, scope, hashed, _expires in self._fetch_valid(scopes, "k.index = %s", key[:INDEX_SIZE]):
            if KEY_CRYPT_CONTEXT.verify(key, hashed):
                _verified_keys[_cache_key(dbname, key)] = (key_id, hashed)
                _verified_rows[(dbname, key_id)] = (user_id, scope, hashed)
                return key_id, user_id, scope
        self.env["res.users.apikeys.revoked"]._recognise(key)
        return None

    @api.model
    def _row_unchanged(self, key_id, scopes):
        """True if the key is still valid (exists, unexpired, its user active) and
        its owner, scope and hash are those it was verified with: one indexed query."""
        rows = self._fetch_valid(scopes, "k.id = %s", key_id)
        return bool(rows) and self._is_verified_row(rows[0])

    def _is_verified_row(self, row):
        """True if a row of _fetch_valid has the owner, scope and hash this process verified its key with."""
        return tuple(row[1:4]) == _verified_rows.get((self.env.cr.dbname, row[0]))

    @api.model
    def _still_valid_for_call(self, call_key):
        """The RPC layer's re-check of a key accepted from the cache (`call_key`,
        request_layer.current_call.CallKey), after the call's check of Odoo's signaling and in
        its own transaction: a query only when the row is not trusted any more
        (see _trusted_rows). A row changed in any way refuses the call."""
        key_id = call_key.key_id
        if not row_trusted(self.env.registry, key_id):
            rows = self._fetch_valid(RPC_SCOPES, "k.id = %s", key_id)
            if not (rows and self._is_verified_row(rows[0]) and rows[0][1] == call_key.user_id
                    and (rows[0][2] == READ_ONLY_SCOPE) == call_key.read_only):
                _forget_row(self.env.cr.dbname, key_id)
                self._alarm_if_revoked(key_id)
                return False
            expires = rows[0][4] and fields.Datetime.from_string(rows[0][4]).replace(tzinfo=timezone.utc).timestamp()
            _trusted_rows[(self.env.cr.dbname, key_id)] = (_cache_token(self.env.registry), time.time(), expires)
        self._record_use(key_id)
        return True

    @api.model
    def _alarm_if_revoked(self, key_id):
        """A key this process had verified by its hash is refused: if it was deleted or expired,
        its alarm sounds now, in a transaction of its own (the call's is rolled back)."""
        with self.env.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["res.users.apikeys.revoked"]._sound_alarm(key_id)

    @api.model
    def _distrust_rows(self):
        """A key was changed or deleted, or its user archived: every process
        re-reads the rows it trusted, now and again once this transaction is committed."""
        self.clear_caches()
        distrust_rows_once_committed()

    @api.multi
    def write(self, values):
        """Only the superuser writes key rows through the ORM (no access right
        allows it), e.g. to narrow a scope or change an owner: it takes effect
        at the next call in every process, as a deletion does."""
        self._distrust_rows()
        return super(ResUsersApikeys, self).write(values)

    @api.multi
    def unlink(self):
        """Keys deleted by server code, e.g. the superuser's (see _delete)."""
        self._note_deletion("server_code", self.env.user)
        return super(ResUsersApikeys, self).unlink()

    @api.multi
    def _delete(self, how, actor):
        """Delete keys `how` (Preferences, rotation, clean-up ...), by `actor`."""
        self._note_deletion(how, actor)
        return super(ResUsersApikeys, self).unlink()

    @api.multi
    def _note_deletion(self, how, actor):
        """However keys are deleted, every process forgets them; the audit trail
        records how and by whom, and their hashes are kept a while, so that
        one presented again is recognised."""
        if self:
            self._distrust_rows()
            self.env["res.users.apikeys.revoked"]._keep(self.ids)
            self.env["res.users.apikeys.event"].sudo()._record_deleted(self.sudo().exists(), how, actor)

    def _fetch_valid(self, scopes, condition, value):
        """Rows (id, user_id, scope, key hash, expiry) of unexpired keys of active users meeting `condition`."""
        self.env.cr.execute(
            """
            SELECT k.id, k.user_id, k.scope, k.key, k.expiration_date
              FROM res_users_apikeys k
              JOIN res_users u ON u.id = k.user_id
             WHERE {condition} AND u.active AND (k.scope IS NULL OR k.scope IN %s)
               AND (k.expiration_date IS NULL OR k.expiration_date > (now() at time zone 'utc'))
            """.format(condition=condition),
            [value, tuple(scopes)],
        )
        return self.env.cr.fetchall()

    @api.model
    def _record_use(self, key_id):
        """Note when and from where the key last authenticated, at most once a minute,
        and, in the audit trail, its first use from an address each day."""
        self._note_address(key_id)
        if not use_due(self.env.cr.dbname, key_id):
            return
        _use_recorded_at[(self.env.cr.dbname, key_id)] = time.time()
        # Concurrent calls of the same key must neither wait for each other nor fail: a row
        # locked by another call is skipped, one it has just updated is a harmless conflict.
        with contextlib.suppress(TransactionRollbackError), self.env.cr.savepoint():
            self.env.cr.execute(
                """
                UPDATE res_users_apikeys SET last_used_at = now() at time zone 'utc', last_used_ip = %s
                 WHERE id IN (SELECT id FROM res_users_apikeys
                               WHERE id = %s AND (last_used_at IS NULL
                                     OR last_used_at < (now() at time zone 'utc') - %s * interval '1 second')
                                 FOR UPDATE SKIP LOCKED)
                """,
                [remote_address(), key_id, LAST_USE_INTERVAL],
                log_exceptions=False,
            )

    @api.model
    def _note_address(self, key_id):
        """In memory on every call; a transaction of its own once a day per key and
        address, for ADDRESSES_A_DAY addresses a day per key at most."""
        address, dbname = remote_address(), self.env.cr.dbname
        if time.time() - _addresses_seen.get((dbname, key_id, address), 0) < ADDRESS_INTERVAL:
            return
        _addresses_seen[(dbname, key_id, address)] = time.time()
        today = (dbname, key_id, datetime.utcnow().date())
        _addresses_noted[today] = _addresses_noted.get(today, 0) + 1
        if _addresses_noted[today] > ADDRESSES_A_DAY:  # the trail records no more today: spare the transaction
            return
        try:
            with self.env.registry.cursor() as cr:
                api.Environment(cr, SUPERUSER_ID, {})["res.users.apikeys.event"]._record_use(key_id, address)
        except Exception as error:  # the trail's line is not worth failing a valid call for: noted next time
            _addresses_seen[(dbname, key_id, address)] = 0
            _addresses_noted[today] = _addresses_noted.get(today, 1) - 1
            _logger.warning("Use of API key #%s from %s not recorded (%s)", key_id, address, type(error).__name__)

    @api.model
    def _gc_expired(self):
        """Daily scheduled action: delete expired keys, telling their users."""
        self.env.cr.execute("SELECT id FROM res_users_apikeys WHERE expiration_date <= (now() at time zone 'utc')")
        expired = self.browse([row[0] for row in self.env.cr.fetchall()])
        expired._delete("cleanup", None)
        _logger.info("Deleted %s expired API key(s) %s", len(expired), expired.ids)
        return len(expired)

    @api.model
    def _warn_of_expiry(self):
        """Scheduled action, hourly: warn users 7 days and 1 day before a key expires. A
        warning whose time had passed when the key was made (or came within the hour)
        is not sent; of two due at once (the action did not run for days), only the nearer one."""
        self.env.cr.execute(
            """
            SELECT id, create_date, expiration_date, expiry_warned_days FROM res_users_apikeys
             WHERE expiration_date > (now() at time zone 'utc')
               AND expiration_date <= (now() at time zone 'utc') + %s * interval '1 day'
            """,
            [max(EXPIRY_WARNINGS)],
        )
        now = datetime.utcnow()
        for key_id, made, expires, warned in self.env.cr.fetchall():
            made, expires = fields.Datetime.from_string(made), fields.Datetime.from_string(expires)
            due = [days for days in EXPIRY_WARNINGS if made + WARNING_MARGIN < expires - timedelta(days=days) <= now
                   and (warned is None or days < warned)]
            if due:
                self._warn_one(key_id, min(due))

    @api.model
    def _warn_one(self, key_id, days):
        self.env.cr.execute("UPDATE res_users_apikeys SET expiry_warned_days = %s WHERE id = %s", [days, key_id])
        self.env["res.users.apikeys.event"].sudo()._record_expiry_warning(self.sudo().browse(key_id), days)

    # -- Rotation over RPC: called with the key being replaced as the credential --

    @api.model
    def rotate(self, revoke=False, name=None):
        """Return a new key for the user of the calling key, with its scope and a
        lifetime like its own (within the user's limit); with `revoke`, also
        delete the calling key, in the same transaction. A read-only key may
        call it: it only ever makes another read-only key."""
        if name is not None and not isinstance(name, str):
            raise UserError(_("The name of a key must be a string."))
        current = self._calling_key()
        readable = current.sudo()  # the caller holds this key, whatever access rights their groups give
        new_key, new_id = self._make(readable.scope, name or readable.name, self._rotated_expiration_date(readable),
                                     self.env.user)
        events = self.env["res.users.apikeys.event"].sudo()
        events._record_rotated(self.sudo().browse(new_id), readable, self.env.user)
        _logger.info("API key #%s of %s (#%s) rotated from %s", current.id, self.env.user.login, self.env.uid,
                     remote_address())
        if revoke:
            current._remove("rotation")
        return new_key

    @api.model
    def revoke_current(self):
        """Delete the calling key."""
        self._calling_key()._remove("revoke_current")
        return True

    @api.model
    def _calling_key(self):
        key_id = current_api_key_id()
        if not key_id:
            raise UserError(_("Call this method over XML-RPC or JSON-RPC with the API key itself as the password."))
        return self.browse(key_id)

    @api.model
    def _rotated_expiration_date(self, key):
        """The old key's lifetime from now, capped by the owner's maximum unless an administrator rotates."""
        if not key.expiration_date:
            if self._by_administrator():
                return None
            lifetime = timedelta(days=self.env.user._api_key_max_days())
        else:
            lifetime = fields.Datetime.from_string(key.expiration_date) - fields.Datetime.from_string(key.create_date)
            if not self._by_administrator():
                lifetime = min(lifetime, timedelta(days=self.env.user._api_key_max_days()))
        return fields.Datetime.to_string(datetime.utcnow() + lifetime)

    # -- Deletion --

    @api.multi
    @check_identity
    def remove(self):
        """Delete keys from the list (the trash button): asks for the password first."""
        return self._remove()

    @api.multi
    def _remove(self, how=None):
        """Delete keys: the owner's own, or any for an administrator. Read as
        superuser, so that users outside the internal group (portal users)
        can delete their own keys too. `how` defaults to Preferences for
        one's own keys, an administrator for another's."""
        keys = self.sudo().exists()
        if not self._by_administrator():
            keys = keys.filtered(lambda key: key.user_id == self.env.user)
        if len(keys) < len(set(self.ids)):  # another user's key answers as one that does not exist
            raise MissingError(_("Record does not exist or has been deleted."))
        for key in keys:
            _logger.info(
                "API key #%s of %s (#%s) deleted by %s (#%s) from %s",
                key.id, key.user_id.login, key.user_id.id, self.env.user.login, self.env.uid, remote_address(),
            )
        own = keys.filtered(lambda key: key.user_id == self.env.user)
        own._delete(how or "preferences", self.env.user)
        (keys - own)._delete(how or "administrator", self.env.user)
        return self.env["res.users"]._action_back_to_api_keys()
