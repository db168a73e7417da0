from odoo import _, api, fields, models


class ResUsersApikeysShow(models.AbstractModel):
    """Shows a new key once. Abstract, so the key never reaches a table: it
    travels to the dialog in the action's context, as the field's default."""

    _name = "res.users.apikeys.show"
    _description = "Show API Key"

    key = fields.Char(readonly=True)

    @api.model
    def _action_show(self, key):
        return {
            "type": "ir.actions.act_window",
            "name": _("API Key Ready"),
            "res_model": self._name,
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_key": key},
        }
