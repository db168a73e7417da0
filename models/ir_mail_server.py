from odoo import models

from ..orm_guards.secret_fields import revealed


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    def connect(self, *args, **kwargs):
        """A mail sent during a key's call logs in to the SMTP server with its
        password: it goes to that server only, never to the caller."""
        with revealed():
            return super(IrMailServer, self).connect(*args, **kwargs)
