"""The audit trail of API keys: what happened to each key, by whom, from where.

Events are written in SQL by the key store, never through the ORM's create,
write or unlink, so that no client (not even the admin user, who is Odoo 11's
superuser) makes, edits or deletes one; they keep the key's id and
description, not a foreign key, so that they outlive it. An event that
concerns its user also e-mails them (res.users.apikeys.notice)."""
import logging
import re

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..request_layer.current_call import remote_address

_logger = logging.getLogger(__name__)

EVENTS = [
    ("created", "Made"),
    ("rotated", "Rotated"),
    ("used", "Used from an address"),
    ("deleted", "Deleted"),
    ("expired", "Expired"),
    ("expiry_warning", "Expiry warning"),
    ("cooldown", "Login cooldown"),
    ("revoked_key_used", "Revoked key presented"),
]
HOWS = [
    ("preferences", "Preferences"),
    ("administrator", "By an administrator"),
    ("revoke_current", "revoke_current over RPC"),
    ("rotation", "Rotation"),
    ("cleanup", "Daily clean-up"),
    ("user_archived", "User archived"),
    ("user_deleted", "User deleted"),
    ("server_code", "Server code"),
]
# The columns _insert may fill: an event is only ever written from these values.
COLUMNS = ("event", "how", "key_id", "key_name", "key_created_on", "user_id", "user_login", "actor_id", "address",
           "scope", "expiration_date", "previous_key_id", "previous_key_name", "attempts")
ADDRESSES_A_DAY = 20  # "used from an address" events recorded per key and day, at most
# Deletions that the key's user did not do themself, and which they are told about.
TOLD_DELETIONS = ("administrator", "server_code", "cleanup")
# E-mails about one user's keys, per hour at most: a key holder rotating in a loop cannot flood its
# owner, or the administrators. The revoked-key alarm, which also goes to every administrator, has its
# own bounds: once a day per key, and ALARMS_A_DAY a day about one user's keys (a stolen key can
# rotate itself into many revoked keys).
EMAILS_AN_HOUR = 10
ALARMS_A_DAY = 10
# What a value printed in an e-mail cannot contain: line breaks and other control characters would
# let a key's description, or a user's name, add lines that look like the server's own; direction
# overrides and invisible characters would make it read as other text than it is.
NOT_PRINTED = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+")
PRINTED_LENGTH = 200


class ResUsersApikeysEvent(models.Model):
    _name = "res.users.apikeys.event"
    _inherit = ["auth_apikeys.unreadable.as.missing"]
    _description = "API Key Event"
    _order = "create_date desc, id desc"
    _rec_name = "event"

    create_date = fields.Datetime("When", readonly=True, index=True)
    event = fields.Selection(EVENTS, required=True, readonly=True, index=True)
    how = fields.Selection(HOWS, readonly=True)
    key_id = fields.Integer("Key ID", readonly=True, index=True, group_operator=False)
    key_name = fields.Char("Key", readonly=True)
    key_created_on = fields.Datetime("Key made on", readonly=True)
    user_id = fields.Many2one("res.users", "User", readonly=True, index=True, ondelete="set null")
    user_login = fields.Char("Login", readonly=True, help="The user's login then: kept if the user is deleted")
    actor_id = fields.Many2one("res.users", "By", readonly=True, ondelete="set null")
    address = fields.Char("Address", readonly=True, index=True)
    scope = fields.Char(readonly=True)
    expiration_date = fields.Datetime("Expires on", readonly=True)
    previous_key_id = fields.Integer("Replaces key ID", readonly=True, group_operator=False)
    previous_key_name = fields.Char("Replaces key", readonly=True)
    attempts = fields.Integer("Failed attempts", readonly=True, group_operator=False)
    emailed = fields.Boolean("E-mailed", readonly=True, help="Whether the key's user (or the administrators) "
                             "were e-mailed about it")

    # -- Nobody changes the trail through the ORM: these refuse, by design, and never reach Odoo's --

    @api.model
    def create(self, values):  # pylint: disable=method-required-super
        raise AccessError(_("API key events are recorded by the server only."))

    @api.multi
    def write(self, values):  # pylint: disable=method-required-super
        raise AccessError(_("API key events cannot be changed."))

    @api.multi
    def unlink(self):  # pylint: disable=method-required-super
        raise AccessError(_("API key events cannot be deleted; old ones are forgotten by a scheduled action."))

    @api.model
    def _insert(self, values):
        """Write one event in SQL (see the module's docstring)."""
        columns = [column for column in COLUMNS if values.get(column) not in (None, False)]
        self.env.cr.execute(
            "INSERT INTO res_users_apikeys_event ({columns}, create_date, write_date, create_uid, write_uid) "
            "VALUES ({values}, now() at time zone 'utc', now() at time zone 'utc', %s, %s) RETURNING id".format(
                columns=", ".join(columns), values=", ".join(["%s"] * len(columns))),
            [values[column] for column in columns] + [self.env.uid, self.env.uid],
        )
        return self.browse(self.env.cr.fetchone()[0])

    # -- What the key store records --

    @api.model
    def _record_made(self, key, actor):
        """A key was made for `key.user_id` by `actor`: they are told."""
        self._insert(self._about(key, actor, event="created", scope=key.scope,
                                 expiration_date=key.expiration_date))._tell_owner()

    @api.model
    def _record_rotated(self, new_key, old_key, actor):
        """One event and one e-mail for a rotation: the new key, and the key it replaces."""
        self._insert(self._about(new_key, actor, event="rotated", scope=new_key.scope,
                                 expiration_date=new_key.expiration_date, previous_key_id=old_key.id,
                                 previous_key_name=old_key.name))._tell_owner()

    @api.model
    def _record_deleted(self, keys, how, actor):
        """Keys (read as superuser) are about to be deleted `how`, by `actor` (None for the clean-up)."""
        for key in keys:
            event = self._insert(self._about(key, actor, event="expired" if how == "cleanup" else "deleted", how=how))
            if how in TOLD_DELETIONS and actor != key.user_id:
                event._tell_owner()

    @api.model
    def _record_expiry_warning(self, key, days):
        """The key expires in `days` days: its user is told."""
        self._insert(self._about(key, None, event="expiry_warning", expiration_date=key.expiration_date,
                                 address=False))._tell_owner(days_left=days)

    @api.model
    def _record_use(self, key_id, address):
        """The key was used from `address`, its first use from there today; in
        its own transaction (the call's may be rolled back). At most
        ADDRESSES_A_DAY addresses a day per key: a key holder spraying source
        addresses does not grow the table without bound."""
        self.env.cr.execute(
            """
            INSERT INTO res_users_apikeys_event (event, key_id, key_name, key_created_on, user_id, user_login,
                                                 address, scope, create_date, write_date, create_uid, write_uid)
            SELECT 'used', k.id, k.name, k.create_date, k.user_id, u.login, %(address)s, k.scope,
                   now() at time zone 'utc', now() at time zone 'utc', %(uid)s, %(uid)s
              FROM res_users_apikeys k JOIN res_users u ON u.id = k.user_id
             WHERE k.id = %(key_id)s AND NOT EXISTS (
                   SELECT 1 FROM res_users_apikeys_event
                    WHERE key_id = %(key_id)s AND address = %(address)s AND event = 'used'
                      AND create_date > (now() at time zone 'utc') - interval '1 day')
               AND (SELECT count(*) FROM res_users_apikeys_event
                     WHERE key_id = %(key_id)s AND event = 'used'
                       AND create_date > (now() at time zone 'utc') - interval '1 day') < %(most)s
            """,
            {"key_id": key_id, "address": address, "uid": self.env.uid, "most": ADDRESSES_A_DAY},
        )

    @api.model
    def _record_cooldown(self, address, attempts):
        """An address starts a login cooldown after `attempts` failures. No key is named:
        during a cooldown no key it sends is checked."""
        self._insert({"event": "cooldown", "address": address, "attempts": attempts})

    @api.model
    def _record_revoked_key_used(self, revoked):
        """A key deleted or expired lately was presented (a row of res_users_apikeys_revoked):
        its owner and the administrators are told."""
        owner = self.env["res.users"].sudo().browse(revoked["user_id"]).exists()
        event = self._insert({
            "event": "revoked_key_used", "key_id": revoked["key_id"], "key_name": revoked["name"],
            "key_created_on": revoked["created_on"], "user_id": owner.id, "user_login": owner.login,
            "address": remote_address(),
        })
        _logger.warning("Revoked API key #%s of %s presented from %s", revoked["key_id"], owner.login or "?",
                        remote_address())
        event._tell_owner(with_administrators=True, revoked_on=revoked["revoked_on"])

    @api.model
    def _about(self, key, actor, **values):
        """The values of an event about `key`, done by `actor` from the current address."""
        about = {"key_id": key.id, "key_name": key.name, "key_created_on": key.create_date,
                 "user_id": key.user_id.id, "user_login": key.user_id.login, "actor_id": actor and actor.id,
                 "address": remote_address()}
        about.update(values)
        return about

    # -- Telling people --

    @api.multi
    def _tell_owner(self, with_administrators=False, **details):
        """E-mail the key's user (the administrators if they have no address), each in their language."""
        self.ensure_one()
        sent, bound = self._emails_lately(alarm=with_administrators)
        if sent >= bound:
            _logger.info("API key event #%s not e-mailed: %s such e-mails about keys of %s lately already",
                         self.id, sent, self.user_login)
            return
        recipients = self.user_id.filtered("email")
        if with_administrators or not recipients:
            recipients |= self._administrators()
        if not recipients:
            _logger.warning("API key event #%s e-mailed to nobody: neither %s nor any administrator has an "
                            "e-mail address", self.id, self.user_login)
            return
        self.env.cr.execute("UPDATE res_users_apikeys_event SET emailed = true WHERE id = %s", [self.id])
        details["last_one"] = sent == bound - 1
        for recipient in recipients:
            notice = self.sudo().with_context(lang=recipient.lang)._compose(recipient, **details)
            self.env["res.users.apikeys.notice"]._queue(recipient.email, *notice)

    @api.multi
    def _emails_lately(self, alarm):
        """(e-mails about keys of this event's user lately, how many are allowed): revoked-key
        alarms in the last day, other e-mails in the last hour."""
        self.env.cr.execute(
            """
            SELECT count(*) FROM res_users_apikeys_event
             WHERE user_login IS NOT DISTINCT FROM %s AND emailed AND (event = 'revoked_key_used') = %s
               AND create_date > (now() at time zone 'utc') - %s * interval '1 hour'
            """,
            [self.user_login or None, alarm, 24 if alarm else 1],
        )
        return self.env.cr.fetchone()[0], ALARMS_A_DAY if alarm else EMAILS_AN_HOUR

    @api.model
    def _administrators(self):
        return self.env.ref("base.group_system").sudo().users.filtered(lambda user: user.active and user.email)

    @api.multi
    def _compose(self, recipient, revoked_on=None, days_left=None, last_one=False):
        """(subject, body) of the e-mail telling `recipient` of this event, in the context's language.
        It names the key by its description and creation date: never the key, nor its index. Each
        value is printed on one line (see NOT_PRINTED)."""
        printed = self._printed
        what = {
            "created": (_("New API key on your account"), _("An API key was made for your account.")),
            "rotated": (_("API key rotated"), _("An API key of your account was rotated: a new key replaces it.")),
            "deleted": (_("API key deleted"), _("An API key of your account was deleted.")),
            "expired": (_("API key expired"), _("An API key of your account expired and was deleted.")),
            "expiry_warning": (_("API key expires in %s day(s)") % days_left,
                               _("An API key of your account expires in %s day(s): make a new one before then "
                                 "for the scripts that use it.") % days_left),
            "revoked_key_used": (
                _("A deleted API key is still being used"),
                _("An API key deleted on %(revoked_on)s is still being used from %(address)s. "
                  "It was refused.") % {"revoked_on": revoked_on, "address": printed(self.address)}),
        }[self.event]
        lines = [_("Hello %s,") % printed(recipient.name), "", what[1], "",
                 _("Key: %(name)s, made on %(made_on)s UTC") % {
                     "name": printed(self.key_name), "made_on": self.key_created_on}]
        if self.user_id and self.user_id != recipient:
            lines.append(_("User: %(name)s (%(login)s)") % {
                "name": printed(self.user_id.name), "login": printed(self.user_login)})
        if self.previous_key_name:
            lines.append(_("Replaces: %s") % printed(self.previous_key_name))
        if self.event in ("created", "rotated", "expiry_warning"):
            lines.append(_("Expires on: %s") % (self.expiration_date and self.expiration_date + " UTC" or _("never")))
        if self.actor_id:
            lines.append(_("By: %(name)s (%(login)s)") % {
                "name": printed(self.actor_id.name), "login": printed(self.actor_id.login)})
        if self.address:
            lines.append(_("From: %s") % printed(self.address))
        lines += [_("When: %s UTC") % self.create_date, ""] + self._where_to_review(recipient)
        if last_one and self.event == "revoked_key_used":
            lines += ["", _("This is the last e-mail today about deleted keys of this account still in use: "
                            "the audit trail records the rest (Preferences, Account Security; for "
                            "administrators, Settings, Users, API Key Events).")]
        elif last_one:
            lines += ["", _("This is the last e-mail about the keys of this account this hour: the audit trail "
                            "records the rest (Preferences, Account Security).")]
        return printed(what[0]), "\n".join(lines)

    @staticmethod
    def _printed(value):
        """`value` on one line, of reasonable length: what an e-mail prints of data others chose."""
        return NOT_PRINTED.sub(" ", "%s" % (value or ""))[:PRINTED_LENGTH]

    @api.multi
    def _where_to_review(self, recipient):
        """The lines that send `recipient` to the keys: their own Preferences (the web client's
        user menu opens them with their id), or the user's form for an administrator told of
        another user's key."""
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
        if self.user_id and self.user_id != recipient:
            return [_("If you did not expect this, review this user's API keys in Settings, Users, Account "
                      "Security:"),
                    "%s/web#action=base.action_res_users&id=%s&view_type=form" % (base_url, self.user_id.id)]
        return [_("If you did not expect this, review your API keys in Preferences, Account Security:"),
                "%s/web#action=base.action_res_users_my&id=%s" % (base_url, recipient.id)]

    @api.model
    def _forget_old(self):
        """Daily scheduled action: forget events older than auth_apikeys.event_retention_days (365),
        the hashes of keys revoked 90 days ago and e-mails given up 30 days ago."""
        try:
            days = max(1, int(self.env["ir.config_parameter"].sudo().get_param(
                "auth_apikeys.event_retention_days", 365)))
        except ValueError:
            days = 365
        self.env.cr.execute(
            "DELETE FROM res_users_apikeys_event"
            " WHERE create_date <= (now() at time zone 'utc') - %s * interval '1 day'",
            [days],
        )
        self.env["res.users.apikeys.revoked"]._forget_old()
        self.env["res.users.apikeys.notice"]._forget_given_up()
