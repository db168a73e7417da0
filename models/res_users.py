import logging
import re

from odoo import _, api, fields, models, SUPERUSER_ID
from odoo.http import request

from ..wizards.res_users_identitycheck import check_identity
from .res_users_apikeys import remote_address

_logger = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"[0-9a-f]{40}\Z")
RPC_SCOPE = "rpc"  # native Odoo's scope for keys used over XML-RPC and JSON-RPC
RPC_HTTP_PATHS = ("/jsonrpc",)  # XML-RPC never goes through odoo.http, so it has no request


def is_api_key_allowed():
    """Keys are for RPC only: refuse them to every web-client route (/web/login, sessions ...)."""
    return not request or request.httprequest.path in RPC_HTTP_PATHS


def looks_like_api_key(credential):
    return isinstance(credential, str) and KEY_PATTERN.match(credential) is not None


class ResUsers(models.Model):
    _inherit = "res.users"

    api_key_ids = fields.One2many("res.users.apikeys", "user_id", string="API Keys")

    def __init__(self, pool, cr):
        """Let users read their own key list from the Preferences dialog."""
        init_res = super(ResUsers, self).__init__(pool, cr)
        type(self).SELF_READABLE_FIELDS = type(self).SELF_READABLE_FIELDS + ["api_key_ids"]
        return init_res

    @classmethod
    def _login(cls, db, login, password):
        """`common.authenticate` and `common.login`: try a key first, it costs no password hash."""
        if is_api_key_allowed() and looks_like_api_key(password):
            uid = cls._login_with_api_key(db, login, password)
            if uid:
                return uid
        return super(ResUsers, cls)._login(db, login, password)

    @classmethod
    def _login_with_api_key(cls, db, login, key):
        with cls.pool.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            match = env["res.users.apikeys"]._match(RPC_SCOPE, key)
            if not match or env["res.users"].browse(match[1]).login != login:
                return False
            _logger.info(
                "Login successful with API key #%s for db:%s login:%s from %s", match[0], db, login, remote_address()
            )
            return match[1]

    @classmethod
    def check(cls, db, uid, passwd):
        """Every `object.execute(_kw)` call: accept the user's own valid key.

        Keys never enter Odoo's per-process password cache, so a deleted key
        is refused on the very next call in every worker."""
        if is_api_key_allowed() and looks_like_api_key(passwd) and cls._check_api_key(uid, passwd):
            return
        return super(ResUsers, cls).check(db, uid, passwd)

    @classmethod
    def _check_api_key(cls, uid, key):
        with cls.pool.cursor() as cr:
            match = api.Environment(cr, SUPERUSER_ID, {})["res.users.apikeys"]._match(RPC_SCOPE, key)
            return bool(match) and match[1] == uid

    @api.multi
    @check_identity
    def api_key_wizard(self):
        """Button "New API Key": ask what the key is for."""
        return {
            "type": "ir.actions.act_window",
            "name": _("New API Key"),
            "res_model": "res.users.apikeys.description",
            "views": [(False, "form")],
            "target": "new",
        }
