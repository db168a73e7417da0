import logging
import re

from odoo import _, api, fields, models, SUPERUSER_ID
from odoo.exceptions import AccessDenied
from odoo.http import request

from ..identity_check import check_identity
from ..login_cooldown import LoginCooldown, LoginCooldownError, read_settings
from ..rpc_patches import is_object_call, remote_address, set_current_api_key
from .res_users_apikeys import READ_ONLY_SCOPE, RPC_SCOPES, verified_key

_logger = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"[0-9a-f]{40}\Z")
RPC_HTTP_PATHS = ("/jsonrpc",)  # XML-RPC never goes through odoo.http, so it has no request
MAX_CREDENTIAL_LENGTH = 4096  # passlib raises an error beyond this


def is_rpc_call():
    """True for XML-RPC and /jsonrpc; False for every web-client route (/web/login, sessions ...)."""
    return not request or request.httprequest.path in RPC_HTTP_PATHS


def looks_like_api_key(credential):
    return isinstance(credential, str) and KEY_PATTERN.match(credential) is not None


def is_usable_credential(credential):
    """Odoo 11 answers other types, a NUL byte or a huge string with a traceback: refuse them plainly."""
    return isinstance(credential, str) and len(credential) <= MAX_CREDENTIAL_LENGTH and "\x00" not in credential


class ResUsers(models.Model):
    _inherit = "res.users"

    api_key_ids = fields.One2many("res.users.apikeys", "user_id", string="API Keys")

    def __init__(self, pool, cr):
        """Let users read their own key list from the Preferences dialog."""
        super(ResUsers, self).__init__(pool, cr)
        type(self).SELF_READABLE_FIELDS = type(self).SELF_READABLE_FIELDS + ["api_key_ids"]

    # -- Authentication: common.authenticate / common.login, and web logins --

    @classmethod
    def _login(cls, db, login, password):
        """Try a key first (over RPC only): it costs no password hash."""
        address = remote_address()
        if cls._cooldown_seconds_left(address):
            return cls._refuse_in_cooldown(address)
        uid = False
        if is_usable_credential(password):
            if is_rpc_call() and looks_like_api_key(password):
                uid = cls._login_with_api_key(db, login, password)
            uid = uid or super(ResUsers, cls)._login(db, login, password)
        if not uid:
            cls._record_failure(address)
        return uid

    @classmethod
    def _login_with_api_key(cls, db, login, key):
        with cls.pool.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            match = env["res.users.apikeys"]._match(key, RPC_SCOPES)
            if not match or env["res.users"].browse(match[1]).login != login:
                return False
            env["res.users.apikeys"]._record_use(match[0])
            _logger.info(
                "Login successful with API key #%s for db:%s login:%s from %s", match[0], db, login, remote_address()
            )
            return match[1]

    # -- Every object.execute / execute_kw call, and every web session request --

    @classmethod
    def check(cls, db, uid, passwd):
        """Accept the user's own valid key over RPC.

        Keys never enter Odoo's per-process password cache, so a deleted key
        is refused on the very next call in every worker. From an address in
        cooldown, only keys this process verified before still pass."""
        if not is_rpc_call():
            return super(ResUsers, cls).check(db, uid, passwd)
        if not is_usable_credential(passwd):
            raise AccessDenied()
        address = remote_address()
        in_cooldown = bool(cls._cooldown_seconds_left(address))
        set_current_api_key(None)
        if looks_like_api_key(passwd):
            verified = verified_key(cls.pool.db_name, passwd)
            if verified and verified[1] == uid and is_object_call():
                # The hot path: no query here; the call re-reads the key in its own transaction.
                set_current_api_key(verified[0], read_only=verified[2] == READ_ONLY_SCOPE, recheck=True)
                return
            if cls._check_api_key(uid, passwd, verified_before=in_cooldown):
                return
        if in_cooldown:
            return cls._refuse_in_cooldown(address)
        try:
            return super(ResUsers, cls).check(db, uid, passwd)
        except AccessDenied:
            cls._record_failure(address)
            raise

    @classmethod
    def _check_api_key(cls, uid, key, verified_before=False):
        """True if `key` is a valid key of `uid`; tells the RPC layer which key and whether it is read-only."""
        with cls.pool.cursor() as cr:
            keys = api.Environment(cr, SUPERUSER_ID, {})["res.users.apikeys"]
            match = keys._match(key, RPC_SCOPES, verified_before=verified_before)
            if not match or match[1] != uid:
                return False
            keys._record_use(match[0])
        set_current_api_key(match[0], read_only=match[2] == READ_ONLY_SCOPE, recheck=False)
        return True

    # -- Login cooldown (login_cooldown.py) --

    @classmethod
    def _login_cooldown(cls):
        if not hasattr(cls.pool, "_auth_apikeys_cooldown"):
            cls.pool._auth_apikeys_cooldown = LoginCooldown()
        return cls.pool._auth_apikeys_cooldown

    @classmethod
    def _cooldown_seconds_left(cls, address):
        return cls._login_cooldown().blocked_for(address)

    @classmethod
    def _refuse_in_cooldown(cls, address):
        """Over RPC, say why; a web login just fails (Odoo 11's login page shows no other error)."""
        _logger.warning("Login cooldown: refused an attempt from %s", address)
        if not is_rpc_call():
            return False
        raise LoginCooldownError(
            _("Too many failed logins from your address: try again in %s seconds.")
            % cls._cooldown_seconds_left(address)
        )

    @classmethod
    def _record_failure(cls, address):
        with cls.pool.cursor() as cr:
            settings = read_settings(api.Environment(cr, SUPERUSER_ID, {}))
        cls._login_cooldown().record_failure(address, settings)

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
            "context": {"default_user_id": self.id},
        }

    @api.multi
    def _api_key_max_days(self):
        """The longest lifetime the user's groups allow their keys: 1 day if none sets one."""
        self.ensure_one()
        return max(self.groups_id.mapped("api_key_duration") or [0]) or 1
