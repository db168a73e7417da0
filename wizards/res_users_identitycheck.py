import json

from odoo import _, api, fields, models
from odoo.exceptions import AccessDenied, UserError

from ..identity_check import remember_identity_checked
from ..models.res_users_login_cooldown import LoginCooldownError


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
