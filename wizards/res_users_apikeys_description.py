from odoo import api, fields, models

from .res_users_identitycheck import check_identity


class ResUsersApikeysDescription(models.TransientModel):
    _name = "res.users.apikeys.description"
    _description = "API Key Description"

    name = fields.Char("Description", required=True, help="What the key is for, e.g. the script or service using it")

    @api.multi
    @check_identity
    def make_key(self):
        """Button "Generate Key": make the key and show it once."""
        self.ensure_one()
        key = self.env["res.users.apikeys"]._generate(None, self.name)
        return self.env["res.users.apikeys.show"]._action_show(key)
