import functools
import json
import time

from odoo import _, api, fields, models
from odoo.exceptions import AccessDenied, UserError
from odoo.http import request

IDENTITY_CHECK_SECONDS = 10 * 60  # a confirmed password is trusted this long, as in native Odoo
_SESSION_KEY = "auth_apikeys.identity_checked_at"


def check_identity(method):
    """Run `method` only if the user confirmed their password in this web
    session within the last ten minutes; otherwise ask for it first and run
    `method` afterwards. Without a web session (RPC), always ask."""

    @functools.wraps(method)
    def wrapper(self):
        checked_at = request.session.get(_SESSION_KEY, 0) if request else 0
        if checked_at > time.time() - IDENTITY_CHECK_SECONDS:
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
    # Never stored: checked by the inverse as the wizard is saved, then forgotten.
    password = fields.Char(compute="_compute_password", inverse="_inverse_password")

    @api.model
    def _ask_before(self, records, method):
        """Return the password dialog that runs `method` on `records` once confirmed."""
        wizard = self.create({"res_model": records._name, "res_ids": json.dumps(records.ids), "method": method})
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
        """Check the user's own password (never an API key) and remember it in the web session."""
        try:
            self.env["res.users"].check_credentials(password or "")  # as the user: env.user is sudo()ed
        except AccessDenied:
            raise UserError(_("Incorrect password, try again."))
        if request:
            request.session[_SESSION_KEY] = time.time()

    @api.multi
    def run_check(self):
        """Button "Confirm Password": run the action the password was asked for."""
        self.ensure_one()
        records = self.env[self.res_model].browse(json.loads(self.res_ids))
        method = getattr(type(records), self.method, None)
        if not getattr(method, "requires_identity_check", False):
            raise UserError(_("This action cannot be confirmed with a password."))
        self.unlink()
        return getattr(records, method.__name__)()
