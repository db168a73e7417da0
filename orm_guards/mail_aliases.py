"""A mail alias routes its incoming mail as another user only if a Settings user made it so.

Odoo 11's mail gateway creates or updates a record for each incoming mail sent
to an alias, as the alias's owner (``alias_user_id``) or, with no owner, as
the user who runs the gateway (``message_process``: the mail fetcher, often the
superuser), with the alias's default values (``alias_defaults``, a dict
evaluated server-side). Every employee may write aliases, and
``message_process`` is public: an employee's key set an alias's owner to the
superuser and its defaults to a new partner with a Settings user, sent one
mail through ``message_process``, and logged in as that user. So a user
without Settings access may set an alias's routing (its defaults, model,
target record or owner) only where its mail is then handled with their own
rights: an alias they own, or one without owner, defaults or target record.
Record aliases (sales teams ...) get their defaults from Odoo as the superuser
and keep working.

Applied like template_rendering.py, when mail is installed (models/ir_translation.py).
"""
from odoo import SUPERUSER_ID, _
from odoo.exceptions import AccessError
from odoo.tools.safe_eval import safe_eval

from ..request_layer.patching import patch

ROUTING_FIELDS = frozenset(["alias_defaults", "alias_model_id", "alias_force_thread_id", "alias_user_id"])


def routes_as_another_user(alias, uid):
    """Its mail would create records with someone else's rights and with values chosen in advance:
    another owner, or no owner (the gateway's user) and default values or a target record."""
    if alias.alias_user_id:
        return alias.alias_user_id.id != uid
    try:
        defaults = safe_eval(alias.alias_defaults or "{}")
    except Exception:  # what the gateway cannot evaluate, it does not route
        defaults = {}
    return bool(defaults or alias.alias_force_thread_id)


def check_routing(aliases, vals):
    env = aliases.env
    if not ROUTING_FIELDS.intersection(vals) or env.uid == SUPERUSER_ID or env.user.has_group("base.group_system"):
        return
    if any(routes_as_another_user(alias, env.uid) for alias in aliases):
        raise AccessError(_("Only administrators (Settings access) may give an alias default values or a target "
                            "record, or an owner other than themselves: make yourself its owner."))


def _check_routing_on_create(create):
    def wrapper(self, vals):
        routing = ROUTING_FIELDS.intersection(vals)  # mail's create adds the model to `vals`
        aliases = create(self, vals)
        check_routing(aliases, routing)
        return aliases

    return wrapper


def _check_routing_on_write(write):
    def wrapper(self, vals):
        result = write(self, vals)
        check_routing(self, vals)
        return result

    return wrapper


def apply(env):
    """Guard this database's mail.alias, if mail is installed."""
    if "mail.alias" not in env.registry:
        return
    alias_class = type(env["mail.alias"])
    patch(alias_class, "create", _check_routing_on_create)
    patch(alias_class, "write", _check_routing_on_write)
