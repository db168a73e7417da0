from odoo import _, api, fields, models


class ResUsersApikeysShow(models.TransientModel):
    """Shows a new key once. The key travels to the dialog in the action's
    context only: the field is computed from it and never stored, so the
    record that "Done" saves holds nothing."""

    _name = "res.users.apikeys.show"
    _description = "Show API Key"

    key = fields.Char(compute="_compute_key")

    @api.depends()
    def _compute_key(self):
        for wizard in self:
            wizard.key = self.env.context.get("default_key")

    @api.model
    def _action_show(self, key):
        return {
            "type": "ir.actions.act_window",
            "name": _("API Key Ready"),
            "res_model": self._name,
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_key": key, "apikeys_back_to": self.env.context.get("apikeys_back_to")},
        }

    @api.multi
    def action_done(self):
        """Button "Done": back to the key list, the new key in it."""
        return self.env["res.users"]._action_back_to_api_keys()
