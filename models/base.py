from odoo import SUPERUSER_ID, _, api, models
from odoo.exceptions import AccessError
from odoo.tools import pycompat

from ..orm_guards.secret_fields import (
    carries_a_live_token, hide_secrets, is_exact_token_match, secret_field_names, secret_names_in_path,
    user_private_fields,
)
from ..request_layer.current_call import current_api_key_id, current_api_key_user_id

MAIL_SENDING_FIELDS = frozenset(["state", "failure_reason", "message_id"])  # what sending a mail writes


def _field_name(spec):
    """The field that a group-by, an order part or a read_group field names: "password_crypt:day desc" -> ..."""
    words = spec.split() if isinstance(spec, pycompat.string_types) else []
    return words[0].strip('"').split(":")[0] if words else None


class Base(models.AbstractModel):
    """Every model's generic read paths: a call authenticated by an API key
    never reads a secret (secret_fields.py), nor sorts, groups or filters on
    one, which would tell it bit by bit; and no client sorts or groups users
    by their password hashes (Odoo 11 checks read_group's group-by as a raw
    string, so "password_crypt:day" went through, and never checks its domain
    nor any order), nor by a secret it may not read."""

    _inherit = "base"

    @api.multi
    def _read_from_database(self, field_names, inherited_field_names=()):
        result = super(Base, self)._read_from_database(field_names, list(inherited_field_names or []))
        if current_api_key_id():
            hide_secrets(self, list(field_names) + list(inherited_field_names or []))
        return result

    @api.multi
    def write(self, vals):
        """Odoo 11 lets every employee write mail.mail: a key's call would send a
        queued reset or invitation mail, and its token, to an address of its own.
        Sending it as it is (its state, its outcome) stays allowed."""
        if current_api_key_id() and set(vals) - MAIL_SENDING_FIELDS and carries_a_live_token(self):
            raise AccessError(_("An API key cannot change a mail that carries a sign-up or reset link."))
        return super(Base, self).write(vals)

    @api.model
    def _where_calc(self, domain, active_test=True):
        self._refuse_secrets_in_domain(domain)
        return super(Base, self)._where_calc(domain, active_test=active_test)

    @api.model
    def _generate_order_by_inner(self, alias, order_spec, query, reverse_direction=False, seen=None):
        self._refuse_secrets_named(_field_name(part) for part in (order_spec or "").split(","))
        return super(Base, self)._generate_order_by_inner(
            alias, order_spec, query, reverse_direction=reverse_direction, seen=seen)

    @api.model
    def _read_group_raw(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        groupbys = [groupby] if isinstance(groupby, pycompat.string_types) else list(groupby or [])
        orders = orderby.split(",") if isinstance(orderby, pycompat.string_types) else []
        self._refuse_secrets_named(_field_name(spec) for spec in groupbys + list(fields or []) + orders)
        return super(Base, self)._read_group_raw(
            domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)

    def _refuse_secrets_named(self, names):
        """What this call may not sort or group this model on: password hashes
        never, no secret with a key, and without a key no secret the caller may
        not read (Odoo 11's read_group ignores field groups: any employee grouped
        partners by their sign-up token, a field for Access Rights users)."""
        named = set(names)
        secrets = named & secret_field_names(self)
        if not current_api_key_id():
            secrets = [name for name in secrets if not self._may_read_field(name)]
        if secrets or (self._name == "res.users" and named & user_private_fields()):
            raise AccessError(_("Invalid 'group by' or 'order' parameter: it names a password or a secret."))

    def _may_read_field(self, name):
        groups = self._fields[name].groups
        return self._uid == SUPERUSER_ID or not groups or self.user_has_groups(groups)

    def _refuse_secrets_in_domain(self, domain):
        """A domain term on a secret, directly or through a path, bisects it.
        Odoo 11 refuses password fields in res.users' own searches except for the
        superuser, but not read_group's domain: here for every caller but the
        superuser's own code. A key's call never names a secret, unless the
        server searches as superuser on behalf of a key of another user, or for
        a random token by its exact value."""
        key_user_id = current_api_key_user_id()
        keys_call = bool(current_api_key_id()) and (self._uid != SUPERUSER_ID or key_user_id == SUPERUSER_ID)
        if not keys_call and self._uid == SUPERUSER_ID:
            return
        private = {"res.users.%s" % name for name in user_private_fields()}
        for term in domain or ():
            if isinstance(term, (list, tuple)) and term and isinstance(term[0], pycompat.string_types):
                named = secret_names_in_path(self, term[0])
                if keys_call and len(named) == 1 and is_exact_token_match(term):
                    continue
                if named if keys_call else set(named) & private:
                    raise AccessError(_("Invalid search criterion: it names a password or a secret."))
