"""Keys deleted or expired in the last 90 days, kept by their hash alone, so
that one presented again is recognised: a forgotten script, or an attacker
who copied it. Never by the index alone: anyone can forge 8 hex characters."""
import contextlib

from psycopg2.extensions import TransactionRollbackError

from odoo import api, models

from .res_users_apikeys import INDEX_SIZE, KEY_CRYPT_CONTEXT

KEPT_DAYS = 90


class ResUsersApikeysRevoked(models.AbstractModel):
    """SQL only, as the key store: the hashes stay out of the ORM and of every
    access right; only the clean-up and the failure path of a key read them."""

    _name = "res.users.apikeys.revoked"
    _description = "Revoked API Keys"

    @api.model_cr
    def init(self):
        # Only a constant is formatted in.
        self.env.cr.execute(  # pylint: disable=sql-injection
            """
            CREATE TABLE IF NOT EXISTS res_users_apikeys_revoked (
                key_id integer PRIMARY KEY,
                user_id integer,
                name varchar,
                index varchar({size}) NOT NULL,
                key varchar NOT NULL,
                created_on timestamp without time zone,
                revoked_on timestamp without time zone NOT NULL DEFAULT (now() at time zone 'utc'),
                alarm_on timestamp without time zone
            );
            CREATE INDEX IF NOT EXISTS res_users_apikeys_revoked_index_idx ON res_users_apikeys_revoked (index);
            """.format(size=INDEX_SIZE)
        )

    @api.model_cr
    def _check_removed_columns(self, log=False):
        """Keep the table as init() made it: its columns are left out of the ORM on purpose."""

    @api.model
    def _keep(self, key_ids):
        """Keep the hashes of keys about to be deleted."""
        self.env.cr.execute(
            """
            INSERT INTO res_users_apikeys_revoked (key_id, user_id, name, index, key, created_on)
            SELECT id, user_id, name, index, key, create_date FROM res_users_apikeys WHERE id IN %s
            ON CONFLICT (key_id) DO NOTHING
            """,
            [tuple(key_ids)],
        )

    @api.model
    def _recognise(self, key):
        """If `key` was deleted or expired lately, record it and tell its owner and the
        administrators, once a day per key. The caller is refused as for any wrong key."""
        self.env.cr.execute(
            """
            SELECT key_id, key FROM res_users_apikeys_revoked
             WHERE index = %s AND revoked_on > (now() at time zone 'utc') - %s * interval '1 day'
            """,
            [key[:INDEX_SIZE], KEPT_DAYS],
        )
        for key_id, hashed in self.env.cr.fetchall():
            if KEY_CRYPT_CONTEXT.verify(key, hashed):
                self._sound_alarm(key_id)
                return

    @api.model
    def _sound_alarm(self, key_id):
        """Once a day per key. Concurrent presentations neither wait for each other nor
        fail (a failure would tell the caller the key once existed): the one that
        takes the row sounds the alarm, the others find it locked or just updated."""
        row = None
        with contextlib.suppress(TransactionRollbackError), self.env.cr.savepoint():
            self.env.cr.execute(
                """
                UPDATE res_users_apikeys_revoked SET alarm_on = now() at time zone 'utc'
                 WHERE key_id IN (SELECT key_id FROM res_users_apikeys_revoked
                                   WHERE key_id = %s AND (alarm_on IS NULL
                                         OR alarm_on < (now() at time zone 'utc') - interval '1 day')
                                     FOR UPDATE SKIP LOCKED)
                RETURNING key_id, user_id, name, created_on, revoked_on
                """,
                [key_id],
                log_exceptions=False,
            )
            row = self.env.cr.dictfetchone()
        if row:
            self.env["res.users.apikeys.event"]._record_revoked_key_used(row)

    @api.model
    def _forget_old(self):
        """Part of the daily clean-up: hashes are kept for KEPT_DAYS."""
        self.env.cr.execute(
            "DELETE FROM res_users_apikeys_revoked"
            " WHERE revoked_on <= (now() at time zone 'utc') - %s * interval '1 day'",
            [KEPT_DAYS],
        )
