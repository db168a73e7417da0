import contextlib
import logging

from odoo import _, api, fields, models, SUPERUSER_ID
from odoo.addons.base.res.res_users import USER_PRIVATE_FIELDS
from odoo.exceptions import AccessDenied, AccessError
from odoo.osv.expression import NEGATIVE_TERM_OPERATORS

from ..request_layer.auth_rules import (
    READ_ONLY_SCOPE, RECOVERY_FIELDS, RPC_SCOPES, is_usable_credential, key_may_authenticate, looks_like_api_key,
)
from ..request_layer.current_call import (
    CallKey, current_api_key_user_id, door_rechecks_key, is_rpc_call, remote_address, set_current_api_key,
)
from ..request_layer.errors import LoginCooldownError
from ..wizards.res_users_identitycheck import check_identity
from .res_users_apikeys import verified_key
from .res_users_login_cooldown import remembered_cooldown

_logger = logging.getLogger(__name__)
EVENTS_SHOWN = 20  # in Preferences; Settings > Users > API Key Events has them all


class ResUsers(models.Model):
    """Where every credential is checked: keys stand for the password only for
    the RPC call they come with (request_layer/auth_rules.py); every
    password check counts its failures towards the login cooldown."""

    _inherit = "res.users"

    # Computed, not stored: Odoo 11 resolves a domain on a stored one2many in SQL,
    # without record rules, so searching on it would tell anyone who holds keys.
    api_key_ids = fields.One2many(
        "res.users.apikeys", "user_id", string="API Keys", compute="_compute_api_key_ids",
        search="_search_api_key_ids",
    )
    api_key_event_ids = fields.One2many(
        "res.users.apikeys.event", "user_id", string="API Key Events", compute="_compute_api_key_event_ids",
        help="The latest events of the user's keys",
    )

    def __init__(self, pool, cr):
        """Let users read their own key list from the Preferences dialog."""
        super(ResUsers, self).__init__(pool, cr)
        type(self).SELF_READABLE_FIELDS = type(self).SELF_READABLE_FIELDS + ["api_key_ids", "api_key_event_ids"]

    # -- The credentials of an RPC call: common.authenticate / common.login --

    @classmethod
    def authenticate(cls, db, login, password, user_agent_env):
        """A key logs in without Odoo 11's side effect for the superuser (setting
        web.base.url from `user_agent_env`): that is the web client's business."""
        if key_may_authenticate() and looks_like_api_key(password):
            return cls._login(db, login, password)
        return super(ResUsers, cls).authenticate(db, login, password, user_agent_env)

    @classmethod
    def _login(cls, db, login, password):
        """Try a key first where a key may stand for the password: it costs no
        password hash. During a cooldown, only a key this process verified before."""
        address = remote_address()
        as_key = key_may_authenticate() and looks_like_api_key(password)
        if as_key and verified_key(cls.pool.db_name, password):
            uid = cls._login_with_api_key(db, login, password, address)  # no hash: a cooldown spares it
            if uid:
                return uid
            as_key = False  # its row is gone or not this login's: hashing it again cannot help
        if cls._remembered_cooldown(address):
            return cls._refuse_login_in_cooldown(address)
        with cls._judging(address) as cooldown:
            if cooldown._seconds_left(address):
                return cls._refuse_login_in_cooldown(address)
            uid = as_key and cls._login_with_api_key(db, login, password, address)
            if not uid and is_usable_credential(login) and is_usable_credential(password):
                uid = super(ResUsers, cls)._login(db, login, password)
                if not uid:
                    cooldown.env["res.users"]._hash_as_if_the_login_existed(login)
            if not uid:
                cooldown._record_failure(address)
        return uid

    @api.model
    def _hash_as_if_the_login_existed(self, login):
        """Odoo 11 hashes nothing for a login that does not exist (or whose user is
        archived): spend the time a wrong password takes, so that the answer's
        delay does not tell which logins exist."""
        if hasattr(self, "_crypt_context") and not self.search([("login", "=", login)]):
            self._crypt_context().dummy_verify()

    @classmethod
    def _login_with_api_key(cls, db, login, key, address):
        with cls.pool.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            match = env["res.users.apikeys"]._match(key, RPC_SCOPES)
            if not match or env["res.users"].browse(match[1]).login != login:
                return False
            env["res.users.apikeys"]._record_use(match[0])
            _logger.info(
                "Login successful with API key #%s for db:%s login:%s from %s", match[0], db, login, address
            )
            return match[1]

    # -- JSON-2 and bearer routes: a key in the Authorization header, never a password --

    @classmethod
    def _check_bearer_key(cls, token):
        """The CallKey of the valid key `token`, sent as a bearer token; else
        AccessDenied (LoginCooldownError in a cooldown). Anything else there,
        a password first, is a failed credential and counts as one. From an
        address in cooldown, only keys this process verified before still pass."""
        address = remote_address()
        call_key = looks_like_api_key(token) and verified_key(cls.pool.db_name, token) and cls._bearer_call_key(token)
        if call_key:  # no hash: a cooldown spares it
            return call_key
        if cls._remembered_cooldown(address):
            raise cls._cooldown_error(address)
        with cls._judging(address) as cooldown:
            if cooldown._seconds_left(address):
                raise cls._cooldown_error(address)
            call_key = looks_like_api_key(token) and cls._bearer_call_key(token)
            if not call_key:
                cooldown._record_failure(address)
                raise AccessDenied()
        return call_key

    @classmethod
    def _bearer_call_key(cls, key):
        """The CallKey of the valid `key`, or None. A key this process verified
        costs no query: the door re-checks its row in the call's transaction."""
        verified = verified_key(cls.pool.db_name, key)
        if verified:
            return CallKey(verified[0], verified[1], verified[2] == READ_ONLY_SCOPE, True)
        return cls._checked_call_key(key)

    @classmethod
    def _checked_call_key(cls, key, uid=None):
        """The CallKey of the valid `key` (of `uid` if given), its row read and its use
        recorded in a transaction of its own; else None."""
        with cls.pool.cursor() as cr:
            keys = api.Environment(cr, SUPERUSER_ID, {})["res.users.apikeys"]
            match = keys._match(key, RPC_SCOPES)
            if not match or uid not in (None, match[1]):
                return None
            keys._record_use(match[0])
        return CallKey(match[0], match[1], match[2] == READ_ONLY_SCOPE, False)

    # -- Every other credential check: each RPC call's, change_password's old password, the password dialog --

    @classmethod
    def check(cls, db, uid, passwd):
        """Accept the user's own valid key only for the RPC call it came with;
        check a password everywhere else, counting failures, refused in a cooldown.

        Keys never enter Odoo's per-process password cache, so a deleted key
        is refused on the very next call in every worker. From an address in
        cooldown, only keys this process verified before still pass."""
        if not is_usable_credential(passwd):
            raise AccessDenied()
        address = remote_address()
        as_key = key_may_authenticate() and looks_like_api_key(passwd)
        if as_key and verified_key(cls.pool.db_name, passwd):
            if cls._check_api_key_of_the_call(uid, passwd):  # no hash: a cooldown spares it
                return
            as_key = False  # its row is gone or not this user's: hashing it again cannot help
        if cls._remembered_cooldown(address):
            raise cls._cooldown_error(address)
        if cls._password_is_cached(uid, passwd):
            return super(ResUsers, cls).check(db, uid, passwd)  # no hash: nothing to judge
        with cls._judging(address) as cooldown:
            if cooldown._seconds_left(address):
                raise cls._cooldown_error(address)
            if as_key and cls._check_api_key_of_the_call(uid, passwd):
                return
            try:
                super(ResUsers, cls).check(db, uid, passwd)
            except AccessDenied:
                cooldown._record_failure(address)
                raise

    @classmethod
    def _check_api_key_of_the_call(cls, uid, key):
        """True if `key` is a valid key of `uid`; tells the RPC layer which key and whether it is read-only."""
        verified = verified_key(cls.pool.db_name, key)
        if verified and verified[1] == uid and door_rechecks_key():
            # The hot path: no query here; the call re-checks the key after Odoo's signaling check.
            set_current_api_key(CallKey(verified[0], uid, verified[2] == READ_ONLY_SCOPE, True))
            return True
        call_key = cls._checked_call_key(key, uid)
        if not call_key:
            return False
        set_current_api_key(call_key)
        return True

    @classmethod
    def _password_is_cached(cls, uid, passwd):
        """True if Odoo 11's check() would take `passwd` from the last good
        password it keeps per process (base's private __uid_cache): no hash."""
        return cls._Users__uid_cache[cls.pool.db_name].get(uid) == passwd

    @api.model
    def _check_typed_password(self, password):
        """The current user's own password, typed in a dialog: never a key, never
        empty, failures counted. Raises AccessDenied (LoginCooldownError in a cooldown)."""
        self.check(self.env.cr.dbname, self.env.uid, password)

    @api.multi
    def write(self, values):
        """A call authenticated by an API key never sets its own user's password
        (nor its hash), nor where a password reset goes: a key must not become
        the password."""
        key_user_id = current_api_key_user_id()
        if key_user_id and str(key_user_id) in map(str, self._ids):
            if set(values) & set(USER_PRIVATE_FIELDS):
                raise AccessError(_("An API key cannot change the password of its user."))
            if set(values) & RECOVERY_FIELDS:
                raise AccessError(_("An API key cannot change the login, e-mail address or sign-in accounts of "
                                    "its user: they decide where a password reset goes."))
        if "active" in values:
            self.env["res.users.apikeys"]._distrust_rows()
            if not values["active"]:
                self._delete_api_keys("user_archived")
        if "password" in values:
            return self._write_password_hashed(values)
        return super(ResUsers, self).write(values)

    @api.model
    def create(self, values):
        """As write: the new password's hash, never the password, goes to SQL."""
        if "password" not in values:
            return super(ResUsers, self).create(values)
        values = dict(values)
        password = values.pop("password")
        user = super(ResUsers, self).create(values)
        user._set_encrypted_password(user._crypt_context().encrypt(password or ""))
        user.invalidate_cache(["password", "password_crypt"], user.ids)
        return user

    @api.multi
    def _write_password_hashed(self, values):
        """Odoo 11 writes a new password in clear into res_users.password, then
        auth_crypt hashes it: when that UPDATE met a concurrent update of the
        row, Odoo and PostgreSQL logged it with the password. Here each user's
        hash goes in its place, in the one UPDATE of the row, once this
        transaction holds the rows: the statement that fails on a concurrent
        update is the lock, which carries no credential."""
        values = dict(values)
        password = values.pop("password") or ""
        if self.ids:
            self.env.cr.execute("SELECT id FROM res_users WHERE id IN %s FOR NO KEY UPDATE", [tuple(self.ids)])
        result = True
        for user in self:
            hashed = user._crypt_context().encrypt(password)
            result = super(ResUsers, user).write(dict(values, password_crypt=hashed))
        return result

    @api.multi
    def unlink(self):
        """Their keys go with them, recorded in the audit trail."""
        self._delete_api_keys("user_deleted")
        return super(ResUsers, self).unlink()

    @api.multi
    def _delete_api_keys(self, how):
        """An archived or deleted user's keys are deleted, never to come back with the user."""
        keys = self.env["res.users.apikeys"].sudo().search([("user_id", "in", self.ids)])
        keys._delete(how, self.env.user)

    def _register_hook(self):
        """Odoo 11 joins the target of an auto_join field in SQL, past res.users'
        refusal to search on password fields: `user_ids.password_crypt` on a
        partner let any user bisect any password hash. Without auto_join such a
        path goes through res.users' own search, which refuses it."""
        super(ResUsers, self)._register_hook()
        for model in self.env.registry.values():
            for field in model._fields.values():
                if field.type in ("many2one", "one2many", "many2many") and field.comodel_name == self._name:
                    field.auto_join = False

    # -- The key list --

    def _compute_api_key_ids(self):
        """The keys the reader may see (record rules): their own, or all for an administrator."""
        keys = self.env["res.users.apikeys"]
        for user in self:
            user.api_key_ids = keys.search([("user_id", "=", user.id)])

    def _compute_api_key_event_ids(self):
        """The latest events the reader may see (record rules) of the user's keys."""
        events = self.env["res.users.apikeys.event"]
        for user in self:
            user.api_key_event_ids = events.search([("user_id", "=", user.id)], limit=EVENTS_SHOWN)

    def _search_api_key_ids(self, operator, value):
        """Users holding (or not) the keys that `operator` and `value` select, as
        a one2many domain means; a non-administrator finds only themself."""
        keys = self.env["res.users.apikeys"].sudo()
        if value is False or value is None:
            selected = keys.search([])
        elif isinstance(value, str):
            positive = operator[4:] if operator.startswith("not ") else "=" if operator == "!=" else operator
            selected = keys.search([("name", positive, value)])
        else:
            ids = value if isinstance(value, (list, tuple)) else [value]
            selected = keys.browse([key_id for key_id in ids if isinstance(key_id, int)]).exists()
        holds = (operator in NEGATIVE_TERM_OPERATORS) == (value is False or value is None)
        domain = [("id", "in" if holds else "not in", selected.mapped("user_id").ids)]
        if not self.env["res.users.apikeys"]._by_administrator():
            domain = ["&", ("id", "=", self.env.uid)] + domain
        return domain

    # -- Login cooldown (res_users_login_cooldown.py) --

    @classmethod
    def _remembered_cooldown(cls, address):
        """Seconds left in a cooldown this process knows of: no query."""
        return remembered_cooldown(cls.pool.db_name, address)

    @classmethod
    @contextlib.contextmanager
    def _judging(cls, address):
        """The cooldown of `address`, held for one attempt in a transaction of its
        own (the call's own may be rolled back): the attempt's failure is
        committed before the next attempt from the address is judged."""
        with cls.pool.cursor() as cr:
            cooldown = api.Environment(cr, SUPERUSER_ID, {})["res.users.login.cooldown"]
            cooldown._judge_one_at_a_time(address)
            try:
                yield cooldown
            finally:
                cr.commit()  # the failure counted, even as the refusal is raised

    @classmethod
    def _cooldown_error(cls, address):
        _logger.warning("Login cooldown: refused an attempt from %s", address)
        seconds_left = cls._remembered_cooldown(address)
        return LoginCooldownError(
            _("Too many failed logins from your address: try again in %s seconds.") % seconds_left, seconds_left)

    @classmethod
    def _refuse_login_in_cooldown(cls, address):
        """Over RPC, say why; a web login just fails (Odoo 11's login page shows no other error)."""
        error = cls._cooldown_error(address)
        if is_rpc_call():
            raise error
        return False

    # -- Preferences > Account Security --

    @api.multi
    @check_identity
    def api_key_wizard(self):
        """Button "New API Key": ask what the key is for. On another user's form
        (administrators only), the key is for that user, e.g. an integration user."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("New API Key"),
            "res_model": "res.users.apikeys.description",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_user_id": self.id, "apikeys_back_to": self.env.context.get("apikeys_back_to")},
        }

    @api.model
    def _action_back_to_api_keys(self):
        """Where the key dialogs lead once done: the Preferences dialog again
        (its first tab is Account Security), or the user form an administrator
        came from, which reloads as the dialog closes."""
        if self.env.context.get("apikeys_back_to") != "preferences":
            return {"type": "ir.actions.act_window_close"}
        action = self.action_get().read()[0]
        action["res_id"] = self.env.uid
        return action

    @api.multi
    def _api_key_max_days(self):
        """The longest lifetime the user's groups allow their keys: 1 day if none sets one."""
        self.ensure_one()
        return max(self.sudo().groups_id.mapped("api_key_duration") or [0]) or 1
