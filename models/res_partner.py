from odoo import _, api, models
from odoo.exceptions import AccessError

from ..request_layer.current_call import current_api_key_user_id


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.multi
    def write(self, vals):
        """A password reset goes to the e-mail address of the user's partner: a
        call authenticated by an API key never changes that of its own user
        (it would send itself a reset link, and set the password)."""
        key_user_id = current_api_key_user_id()
        if key_user_id and "email" in vals and self._includes_partner_of(key_user_id):
            raise AccessError(_("An API key cannot change the e-mail address of its user: a password reset "
                                "goes there."))
        return super(ResPartner, self).write(vals)

    @api.multi
    def _includes_partner_of(self, user_id):
        return self.env["res.users"].sudo().browse(user_id).partner_id.id in self.ids
