"""Ask for the user's password again before sensitive actions, as native Odoo 14+ does."""
import functools
import json
import time

from odoo import _, api, fields, models
from odoo.exceptions import AccessDenied, UserError
from odoo.http import request

from ..request_layer.current_call import current_api_key_id, is_rpc_call
from ..request_layer.errors import LoginCooldownError

IDENTITY_CHECK_SECONDS = 10 * 60  # a confirmed password is trusted this long, as in native Odoo
SESSION_KEY = "auth_apikeys.identity_checked"


def remember_identity_checked(env):
    """Note in the web session that its user just typed their password."""
    if request and not is_rpc_call() and not current_api_key_id():
        request.session[SESSION_KEY] = {"db": env.cr.dbname, "uid": env.uid, "sid": request.session.sid,
                                        "at": time.time()}


def identity_checked_recently(env):
    """True if this web session's user confirmed their password in it, on this
    database, within ten minutes. Never over RPC nor for a request a key
    authenticated (a bearer route), whatever cookie it sends."""
    if not request or is_rpc_call() or current_api_key_id():
        return False
    checked = request.session.get(SESSION_KEY)
    return (
        isinstance(checked, dict)
        and (checked.get("db"), checked.get("uid"), checked.get("sid")) == (env.cr.dbname, env.uid, request.session.sid)
        and checked.get("at", 0) > time.time() - IDENTITY_CHECK_SECONDS
    )


def check_identity(method):
    """Run `method` only if the user confirmed their password in this web
    session within the last ten minutes; otherwise ask for it first and run
    `method` afterwards."""

    @functools.wraps(method)
    def wrapper(self):
        if identity_checked_recently(self.env):
            return method(self)
        return self.env["res.users.identitycheck"]._ask_before(self, method.__name__)

    wrapper.requires_identity_check = True
    return wrapper


class ResUsersIdentitycheck(models.TransientModel):
    _name = "res.users.identitycheck"
    _description = "Password Check"

    res_model = fields.Char(required=True, readonly=True)
    res_ids = fields.Char(required=True, readonly=True, help="JSON list of the records to act on")
    method = fields.Char(required=True, readonly=True)
    back_to = fields.Char(readonly=True, help="Where the key dialogs lead once done (see res.users)")
    # Never stored: checked by the inverse as the wizard is saved, then forgotten.
    password = fields.Char(compute="_compute_password", inverse="_inverse_password")

    @api.model
    def _ask_before(self, records, method):
        """Return the password dialog that runs `method` on `records` once confirmed."""
        wizard = self.create({"res_model": records._name, "res_ids": json.dumps(records.ids), "method": method,
                              "back_to": self.env.context.get("apikeys_back_to")})
        return {
            "type": "ir.actions.act_window",
            "name": _("Security Control"),
            "res_model": self._name,
            "res_id": wizard.id,
            "views": [(False, "form")],
            "target": "new",
        }

    @api.depends()
    def _compute_password(self):
        for wizard in self:
            wizard.password = False

    def _inverse_password(self):
        for wizard in self:
            wizard._confirm_password(wizard.password)

    @api.multi
    def _confirm_password(self, password):
        """Check the user's own password (never an API key, never empty) and
        remember it in this web session only. Failures count towards the login
        cooldown: a stolen session cannot guess the password."""
        try:
            self.env["res.users"]._check_typed_password(password)  # as the user: env.user is sudo()ed
        except LoginCooldownError:
            raise UserError(_("Too many failed attempts from your address: try again later."))
        except AccessDenied:
            raise UserError(_("Incorrect password, try again."))
        remember_identity_checked(self.env)

    @api.multi
    def run_check(self):
        """Button "Confirm Password": run the action the password was asked for."""
        self.ensure_one()
        records = self.env[self.res_model].with_context(apikeys_back_to=self.back_to).browse(json.loads(self.res_ids))
        method = getattr(type(records), self.method, None)
        if not getattr(method, "requires_identity_check", False):
            raise UserError(_("This action cannot be confirmed with a password."))
        self.unlink()
        return getattr(records, method.__name__)()
