from odoo import api, models

from ..orm_guards import mail_aliases, template_rendering


class IrTranslation(models.Model):
    """Translations of e-mail templates are template code too (mail renders
    the translated subject and body): the same rule as for mail.template."""

    _inherit = "ir.translation"

    def _register_hook(self):
        """Once every model of the database is loaded, whether or not mail is
        installed: the addon does not depend on mail, and hardens it where it is
        (template_rendering.py, mail_aliases.py)."""
        super(IrTranslation, self)._register_hook()
        template_rendering.apply(self.env)
        mail_aliases.apply(self.env)

    @api.model
    def create(self, vals):
        self._check_template_code([vals])
        return super(IrTranslation, self).create(vals)

    @api.multi
    def write(self, vals):
        self._check_template_code([dict({"name": translation.name, "value": translation.value}, **vals)
                                   for translation in self])
        return super(IrTranslation, self).write(vals)

    @api.model
    def _check_template_code(self, translations):
        if "mail.template" in self.env:
            template_rendering.check_template_code(self.env, [
                values.get("value") for values in translations
                if values.get("name") in template_rendering.TRANSLATION_NAMES
            ])
