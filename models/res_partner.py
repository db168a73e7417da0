from odoo import api, models

from ..rpc_patches import KEY_FORBIDDEN_FIELDS, current_api_key_id


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.multi
    def _read_from_database(self, field_names, inherited_field_names=None):
        """A call authenticated by an API key never reads a sign-up or reset
        token (auth_signup's signup_token, also the one inside signup_url):
        with it, the key's holder would set the user's password."""
        result = super(ResPartner, self)._read_from_database(field_names, list(inherited_field_names or []))
        hidden = KEY_FORBIDDEN_FIELDS.intersection(field_names)
        if hidden and current_api_key_id():
            for partner in self:
                for name in hidden:
                    partner._cache[name] = False
        return result
