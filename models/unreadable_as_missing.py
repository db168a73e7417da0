from odoo import _, api, models, SUPERUSER_ID
from odoo.exceptions import MissingError
from odoo.osv import expression


class UnreadableAsMissing(models.AbstractModel):
    """For records that tell about someone's credentials (keys, their events):
    an id the caller cannot read answers as one that does not exist, by every
    route, so that nobody learns which ids exist."""

    _name = "auth_apikeys.unreadable.as.missing"
    _description = "Records unreadable to the caller answer as missing"

    @api.multi
    def exists(self):
        """Odoo 11 reads the table itself here, past the record rules: whatever
        tells existing from deleted records (read, name_get, copy, export ...)
        would tell which ids exist."""
        existing = super(UnreadableAsMissing, self).exists()
        if self.env.uid == SUPERUSER_ID or not existing:
            return existing
        readable = existing & self._readable_by_the_caller(existing)
        # as Odoo 11 marks deleted records, so that reading them fails the same way
        self.env.cache.set_failed(existing - readable, self._fields.values(),
                                  MissingError(_("Record does not exist or has been deleted.")))
        return readable

    @api.model
    def _readable_by_the_caller(self, records):
        """The subset of `records` that the record rules let the caller read."""
        if not self.check_access_rights("read", raise_exception=False):
            return self.browse()
        domain = self.env["ir.rule"]._compute_domain(self._name, "read") or []
        return self.browse(records.sudo().search(expression.AND([domain, [("id", "in", records.ids)]])).ids)

    @api.multi
    def get_metadata(self):
        """Only of records the caller may read (Odoo 11 reads any row)."""
        readable = self.exists()
        return super(UnreadableAsMissing, readable).get_metadata() if readable else []

    def _check_record_rules_result_count(self, result_ids, operation):
        """Odoo 11 tells ids hidden by the record rules from deleted ones: answer for them as for deleted ones."""
        if self.env.uid == SUPERUSER_ID or set(self.ids) <= set(result_ids):
            return super(UnreadableAsMissing, self)._check_record_rules_result_count(result_ids, operation)
        if operation not in ("read", "unlink"):  # Odoo 11's own words for deleted records
            raise MissingError(_("Missing document(s)") + ":" + _(
                "One of the documents you are trying to access has been deleted, please try again after refreshing."))
        return None
