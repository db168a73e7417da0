from odoo import api, models

from ..orm_guards.secret_fields import revealed


class IrConfigParameter(models.Model):
    _inherit = "ir.config_parameter"

    @api.model
    def _get_param(self, key):
        """Its result is cached for the whole process: read in a key's call, a masked
        secret would be cached for every later caller (a database.secret of False
        signs tokens that anyone forges). Callers still need read access, as in Odoo 11."""
        with revealed():
            return super(IrConfigParameter, self)._get_param(key)
