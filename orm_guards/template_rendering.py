"""Template code a caller wrote never runs as somebody else (issue 15, item 2).

Odoo 11's ``mail`` renders e-mail templates with jinja's sandbox, which lets
``object.sudo()``, ``.env``, ``user`` (bound to the superuser in Odoo 11) and
every public method through, and ``mail.template.render_template`` renders any
text a caller sends. Every employee may write ``mail.template``, and the
composer renders its own subject and body in mass-mail mode. So:

- Only Settings users (and the superuser) may write template code into
  ``mail.template`` (and its translations) or have code of their own rendered.
  Code is told from text by jinja's own lexer, with mail's delimiters. Code
  that a stored template holds was written by a Settings user: anyone may
  reword the text around it, and it renders as Odoo renders it, for everyone
  (the quotation e-mail, the invitation, the password reset ...).
- Code that is not stored in a template (a Settings user's own text) renders in
  a stricter sandbox: records are read as the caller, through their
  non-secret fields only; no method (``sudo``, ``with_context``, ``write`` ...),
  no ``env``, no environment, cursor or registry.

``mail`` is optional: ``apply(env)`` runs from a ``_register_hook`` (see
models/ir_translation.py), once every model of the database is loaded. It
wraps the methods of that database's own ``mail.template`` class (Odoo builds
one class per model and registry), so a database without the addon, or without
``mail``, is not touched. mail's jinja environments are module globals: they
are replaced once by the same environments with ``CallerCodeSandbox``'s class,
which behaves exactly as before unless a wrapped ``render_template`` has made
the current render strict.
"""
import copy
import threading

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from odoo import SUPERUSER_ID, _
from odoo.api import Environment
from odoo.exceptions import AccessError
from odoo.models import BaseModel
from odoo.modules.registry import Registry
from odoo.sql_db import Cursor
from odoo.tools import ustr

from ..request_layer.patching import patch
from .secret_fields import secret_field_names

# The mail.template fields that mail renders (generate_email, get_email_template,
# the report's file name); their translations are in ir_translation.
RENDERED_FIELDS = (
    "subject", "body_html", "email_from", "email_to", "partner_to", "email_cc", "reply_to", "scheduled_date",
    "lang", "report_name",
)
TRANSLATION_NAMES = tuple("mail.template,%s" % name for name in RENDERED_FIELDS)
RECORD_ATTRIBUTES = frozenset(["ids"])  # what a record offers beyond its fields
TEXT_TOKENS = frozenset(["data", "comment_begin", "comment", "comment_end", "linecomment_begin", "linecomment",
                         "linecomment_end"])
_render = threading.local()


def code_tokens(text):
    """The code in `text` as jinja's lexer reads it with mail's delimiters: its
    tokens, without the text and comments between them. None if it cannot lex it."""
    from odoo.addons.mail.models.mail_template import mako_template_env

    try:
        tokens = mako_template_env.lex(ustr(text or ""))
        return tuple((kind, value) for _line, kind, value in tokens if kind not in TEXT_TOKENS)
    except TemplateSyntaxError:
        return None


def is_template_code(text):
    """True when `text` holds anything for jinja to evaluate; text it cannot read counts as code."""
    return code_tokens(text) != ()


def is_stored_template_code(cr, text):
    """True when the code in `text` is, token for token, the code of a rendered
    field of a stored template or of its translation: code that a Settings user
    wrote (the text around it may differ: a user may reword a mail, not its code)."""
    columns = ", ".join(RENDERED_FIELDS)
    cr.execute(  # the common case, a stored template rendering its own fields, without lexing them all
        "SELECT 1 FROM mail_template WHERE %%(text)s IN (%s) UNION ALL "
        "SELECT 1 FROM ir_translation WHERE name IN %%(names)s AND value = %%(text)s LIMIT 1" % columns,
        {"text": ustr(text), "names": TRANSLATION_NAMES},
    )
    if cr.fetchone():
        return True
    code = code_tokens(text)
    if code is None:
        return False
    cr.execute(
        "SELECT unnest(ARRAY[%s]) FROM mail_template UNION "
        "SELECT value FROM ir_translation WHERE name IN %%(names)s" % columns, {"names": TRANSLATION_NAMES},
    )
    return any(stored and code_tokens(stored) == code for stored, in cr.fetchall())


def is_callers_code(cr, text):
    """Template code that no stored template holds: the caller wrote it."""
    return is_template_code(text) and not is_stored_template_code(cr, text)


def refuse_callers_code_unless_settings(env):
    if not (env.uid == SUPERUSER_ID or env.user.has_group("base.group_system")):
        raise AccessError(_("Only administrators (Settings access) may write or render template code of their "
                            "own (placeholders such as ${...}, or <% ... %> blocks)."))


def check_template_code(env, texts):
    """A user without Settings access may not bring template code of their own:
    `texts` may only hold code that a stored template already holds."""
    if any(is_callers_code(env.cr, text) for text in texts):
        refuse_callers_code_unless_settings(env)


class CallerCodeSandbox(SandboxedEnvironment):
    """mail's sandbox; while a caller's own code renders (``_render.caller_uid``
    is set), records are read as that caller and through their non-secret
    fields only, and nothing leads to an environment, a cursor or a registry."""

    @classmethod
    def harden(cls, environment):
        hardened = copy.copy(environment)  # as mail makes its own "safe" variant
        hardened.__class__ = cls
        return hardened

    def is_safe_attribute(self, obj, attr, value):
        if not super(CallerCodeSandbox, self).is_safe_attribute(obj, attr, value):
            return False
        caller_uid = getattr(_render, "caller_uid", None)
        if caller_uid is None:
            return True
        if isinstance(value, (Environment, Cursor, Registry)):
            return False
        if isinstance(obj, BaseModel):
            return obj.env.uid == caller_uid and self._is_readable_field(obj, attr)
        return True

    @staticmethod
    def _is_readable_field(records, name):
        """Never a secret (secret_fields.py), whoever the caller: they are, or lead to, a password."""
        return (name in records._fields or name in RECORD_ATTRIBUTES) and name not in secret_field_names(records)

    @staticmethod
    def _as_caller(obj):
        """Odoo 11's `user` is bound to the superuser: read every record as the caller."""
        caller_uid = getattr(_render, "caller_uid", None)
        if caller_uid is not None and isinstance(obj, BaseModel) and obj.env.uid != caller_uid:
            return obj.sudo(caller_uid)
        return obj

    def getattr(self, obj, attribute):
        obj = self._as_caller(obj)
        if isinstance(obj, BaseModel) and getattr(_render, "caller_uid", None) is not None:
            if not self._is_readable_field(obj, attribute):  # refused before it is read
                return self.unsafe_undefined(obj, attribute)
        return super(CallerCodeSandbox, self).getattr(obj, attribute)

    def getitem(self, obj, argument):
        obj = self._as_caller(obj)
        if isinstance(obj, BaseModel) and getattr(_render, "caller_uid", None) is not None:
            if not isinstance(argument, (int, slice)):
                return self.getattr(obj, argument)  # a field by name: the same checks
        return super(CallerCodeSandbox, self).getitem(obj, argument)


def _render_callers_code_strictly(render_template):
    def wrapper(self, template_txt, model, res_ids, post_process=False):
        if is_callers_code(self.env.cr, template_txt):
            refuse_callers_code_unless_settings(self.env)
            previous, _render.caller_uid = getattr(_render, "caller_uid", None), self.env.uid
            try:
                return render_template(self, template_txt, model, res_ids, post_process=post_process)
            finally:
                _render.caller_uid = previous
        return render_template(self, template_txt, model, res_ids, post_process=post_process)

    return wrapper


def _checked_template_values(values):
    return [value for name, value in values.items() if name in RENDERED_FIELDS and isinstance(value, str)]


def _refuse_callers_template_code(create_or_write):
    def wrapper(self, vals):
        check_template_code(self.env, _checked_template_values(vals))
        return create_or_write(self, vals)

    return wrapper


def apply(env):
    """Harden this database's mail.template, if mail is installed (see the module's docstring)."""
    if "mail.template" not in env.registry:
        return
    from odoo.addons.mail.models import mail_template

    if not isinstance(mail_template.mako_template_env, CallerCodeSandbox):
        mail_template.mako_template_env = CallerCodeSandbox.harden(mail_template.mako_template_env)
        mail_template.mako_safe_template_env = CallerCodeSandbox.harden(mail_template.mako_safe_template_env)
    template_class = type(env["mail.template"])
    patch(template_class, "render_template", _render_callers_code_strictly)
    patch(template_class, "create", _refuse_callers_template_code)
    patch(template_class, "write", _refuse_callers_template_code)
