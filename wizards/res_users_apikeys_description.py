from datetime import datetime, timedelta

from odoo import SUPERUSER_ID, api, fields, models

from ..request_layer.auth_rules import READ_ONLY_SCOPE
from .res_users_identitycheck import check_identity

DURATIONS = [
    ("1", "1 day"),
    ("7", "1 week"),
    ("30", "1 month"),
    ("90", "3 months"),
    ("180", "6 months"),
    ("365", "1 year"),
    ("custom", "Custom date"),
    ("none", "No expiry (administrators only)"),
]


class ResUsersApikeysDescription(models.TransientModel):
    _name = "res.users.apikeys.description"
    _description = "API Key Description"

    name = fields.Char("Description", required=True, help="What the key is for, e.g. the script or service using it")
    user_id = fields.Many2one(
        "res.users", "For user", required=True, readonly=True, default=lambda self: self.env.user, ondelete="cascade",
        help="Who the key belongs to: yourself, or for administrators an integration user",
    )
    access = fields.Selection(
        [("full", "Full access"), ("read", "Read only")], required=True, default="full",
        help="A read-only key can only search and read, whatever the client asks for.",
    )
    duration = fields.Selection(DURATIONS, "Expires in", required=True, default="30")
    expiration_date = fields.Datetime("Expires on")
    for_superuser = fields.Boolean(compute="_compute_for_superuser")

    @api.depends("user_id")
    def _compute_for_superuser(self):
        """In Odoo 11 the admin user is the superuser, whom no access right stops."""
        for wizard in self:
            wizard.for_superuser = wizard.user_id.id == SUPERUSER_ID

    @api.multi
    @check_identity
    def make_key(self):
        """Button "Generate Key": make the key and show it once."""
        self.ensure_one()
        scope = READ_ONLY_SCOPE if self.access == "read" else None
        key = self.env["res.users.apikeys"]._generate(scope, self.name, self._expiration_date(), user=self.user_id)
        return self.env["res.users.apikeys.show"]._action_show(key)

    @api.multi
    def _expiration_date(self):
        if self.duration == "none":
            return None
        if self.duration == "custom":
            return self.expiration_date
        return fields.Datetime.to_string(datetime.utcnow() + timedelta(days=int(self.duration)))
