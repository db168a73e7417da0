"""Refuse authentication attempts from an address that failed too often, in
every process of every server that shares the database.

As Odoo 16's login cooldown, but counted in PostgreSQL, the one thing all
processes share: after `auth_apikeys.login_cooldown_after` failures within
`auth_apikeys.login_cooldown_window` seconds, attempts from that address are
refused for `auth_apikeys.login_cooldown_duration` seconds, without checking
them, so guessing stops paying off. A process reads the table only where it
would hash a credential or count a failure, and remembers a cooldown it read
until it ends: a cached password or key costs no query.

Attempts from one address are judged one at a time, in every process of every
server (a transaction-level advisory lock on the address): guesses sent at the
same instant would otherwise all pass the check before any of them is counted.
"""
import logging
import threading
import time

from odoo import api, fields, models

from ..request_layer.auth_rules import COOLDOWN_DEFAULTS

_logger = logging.getLogger(__name__)

ADVISORY_LOCK_CLASS = 0x61706B  # first key of the addon's advisory locks ("apk"); the second is the address's hash
MAX_REMEMBERED = 10000  # cooldowns remembered per process; beyond this, those that ended are forgotten
_remembered = {}  # (database, address) -> time.time() at which its cooldown ends
_remembered_lock = threading.Lock()


def remembered_cooldown(dbname, address):
    """Seconds left in a cooldown of `address` that this process knows of, or 0: no query."""
    ends = _remembered.get((dbname, address), 0)
    return max(0, int(ends - time.time() + 0.999))


def _remember(dbname, address, seconds_left):
    with _remembered_lock:
        if len(_remembered) > MAX_REMEMBERED:
            now = time.time()
            for known, ends in list(_remembered.items()):
                if ends <= now:
                    del _remembered[known]
        _remembered[(dbname, address)] = time.time() + seconds_left


class ResUsersLoginCooldown(models.Model):
    """Failure counts per client address: a row exists only while an address
    failed within the window or is in its cooldown."""

    _name = "res.users.login.cooldown"
    _description = "Login Cooldown"
    _log_access = False

    address = fields.Char(required=True, readonly=True)
    failures = fields.Integer(readonly=True)
    window_start = fields.Datetime(readonly=True)
    blocked_until = fields.Datetime(readonly=True)

    _sql_constraints = [("address_unique", "unique(address)", "One row per address.")]

    @api.model
    def _settings(self):
        """The thresholds from the system parameters, falling back to the defaults."""
        get = self.env["ir.config_parameter"].sudo().get_param
        settings = {}
        for name, default in COOLDOWN_DEFAULTS.items():
            try:
                settings[name] = max(1, int(get("auth_apikeys.login_cooldown_%s" % name, default)))
            except ValueError:
                settings[name] = default
        return settings

    @api.model
    def _judge_one_at_a_time(self, address):
        """Hold `address` until this transaction ends: a concurrent attempt from it
        waits here, then sees the failures counted before it (read committed; no
        serialization error can lose one). Success writes nothing, the lock is
        not a row; the caller's own transaction is never involved."""
        self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [ADVISORY_LOCK_CLASS, address])

    @api.model
    def _seconds_left(self, address):
        """Seconds left in the cooldown of `address`, read from the table (one
        indexed query) and remembered by this process until it ends."""
        self.env.cr.execute(
            """
            SELECT ceil(extract(epoch FROM blocked_until - (now() at time zone 'utc')))
              FROM res_users_login_cooldown
             WHERE address = %s AND blocked_until > (now() at time zone 'utc')
            """,
            [address],
        )
        row = self.env.cr.fetchone()
        if row:
            _remember(self.env.cr.dbname, address, row[0])
        return int(row[0]) if row else 0

    @api.model
    def _record_failure(self, address):
        """Count a failure of `address`; start its cooldown at the threshold.
        Only this address's row is locked: other addresses never wait."""
        settings = self._settings()
        self.env.cr.execute(
            """
            INSERT INTO res_users_login_cooldown AS c (address, failures, window_start)
            VALUES (%(address)s, 1, now() at time zone 'utc')
            ON CONFLICT (address) DO UPDATE SET
                failures = CASE WHEN c.window_start < (now() at time zone 'utc') - %(window)s * interval '1 second'
                                THEN 1 ELSE c.failures + 1 END,
                window_start = CASE WHEN c.window_start < (now() at time zone 'utc') - %(window)s * interval '1 second'
                                    THEN now() at time zone 'utc' ELSE c.window_start END
            RETURNING failures, coalesce(blocked_until > (now() at time zone 'utc'), false)
            """,
            dict(settings, address=address),
        )
        failures, blocked = self.env.cr.fetchone()
        if failures >= settings["after"] and not blocked:
            self.env.cr.execute(
                """
                UPDATE res_users_login_cooldown
                   SET blocked_until = (now() at time zone 'utc') + %(duration)s * interval '1 second',
                       failures = 0, window_start = now() at time zone 'utc'
                 WHERE address = %(address)s
                """,
                dict(settings, address=address),
            )
            _remember(self.env.cr.dbname, address, settings["duration"])
            self.env["res.users.apikeys.event"]._record_cooldown(address, failures)
            _logger.warning(
                "Login cooldown: %s failed %s times within %ss, refused for %ss",
                address, settings["after"], settings["window"], settings["duration"],
            )
        self._forget_idle(settings["window"])

    @api.model
    def _forget_idle(self, window):
        """Keep the table bounded: drop addresses whose window and cooldown are
        over. Rows another transaction holds are left for next time."""
        self.env.cr.execute(
            """
            DELETE FROM res_users_login_cooldown WHERE id IN (
                SELECT id FROM res_users_login_cooldown
                 WHERE window_start < (now() at time zone 'utc') - %s * interval '1 second'
                   AND (blocked_until IS NULL OR blocked_until <= (now() at time zone 'utc'))
                 LIMIT 1000 FOR UPDATE SKIP LOCKED)
            """,
            [window],
        )
