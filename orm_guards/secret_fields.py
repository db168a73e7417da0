"""The secrets that no call authenticated by an API key reads, sorts, groups
or searches on: the one place that names them (models/base.py applies it).

A secret is worth a password or opens what one opens: a password hash
(offline-cracked, it is the password), a sign-up or reset token (it sets the
password at /web/reset_password), a mail that carries one, the SMTP password,
the database secret (it signs sessions and tokens), a portal access token
(it opens a document without logging in), a parameter named like a credential.

Password fields are Odoo 11's own: res.users' USER_PRIVATE_FIELDS, as the
installed apps extend it (auth_crypt adds password_crypt, auth_oauth
oauth_access_token), read at each call. A field related to a secret (an
_inherits field, as res.users' signup_token, is one) is a secret too. Models
of apps the addon does not depend on (mail, sale ...) are named, not imported:
a name of a model that is not installed names nothing.
"""
import contextlib
import re
import threading
import weakref

from odoo.addons.base.res import res_users

# Per model, the fields that hold a secret.
SECRET_FIELDS = {
    "res.partner": frozenset(["signup_token", "signup_url"]),  # auth_signup
    "ir.mail_server": frozenset(["smtp_pass"]),
    # base's Change Password wizard keeps the typed passwords in its lines until its button succeeds.
    "change.password.user": frozenset(["new_passwd"]),
    "fetchmail.server": frozenset(["password"]),  # fetchmail: the mailbox's password
    "iap.account": frozenset(["account_token"]),  # iap: spends the company's credits
    "website": frozenset(["google_management_client_secret"]),  # website: readable by anyone
    "ir.config_parameter": frozenset(["value"]),  # of a parameter named like a credential only
    # mail: Odoo 11 lets every employee read mail.mail; a reset mail stays queued while no SMTP server answers.
    "mail.mail": frozenset(["body_html"]),  # of a mail carrying a sign-up token only
    "mail.message": frozenset(["body"]),  # of a message carrying a sign-up token only (a mail.mail's body too)
}
# On every model that has such a field: portal access tokens (portal.mixin, sale.order, account.invoice ...).
SECRET_FIELD_NAMES = frozenset(["access_token"])
# Random tokens: a search by their exact value finds only what the caller holds already, and
# Odoo's own code does one (signup_prepare keeps a new token unique): no bisection.
EXACT_MATCH_TOKENS = frozenset(["signup_token", "access_token"])
# A parameter whose key has one of these words ("database.secret", "google_drive_client_secret" ...).
SECRET_PARAMETER_WORDS = frozenset(["secret", "password", "passwd", "pwd", "pass", "token", "key"])
_WORD_SEPARATORS = re.compile(r"[._\-\s]+")
_revealed = threading.local()
_secrets_of_model_class = weakref.WeakKeyDictionary()  # model class: ((password fields, field count), secret fields)


def user_private_fields():
    """Odoo 11's password fields of res.users, as the installed apps extend them."""
    return frozenset(res_users.USER_PRIVATE_FIELDS)


def is_secret_field(field):
    """True if `field` (a field object of any model) holds a secret or is related to one."""
    if field.name in SECRET_FIELD_NAMES or field.name in SECRET_FIELDS.get(field.model_name, ()):
        return True
    if field.model_name == "res.users" and field.name in user_private_fields():
        return True
    return bool(field.related) and field.related_field is not None and is_secret_field(field.related_field)


def secret_field_names(model):
    """Names of the fields of `model` that hold a secret: known per model class
    (every search asks) while its fields and the password fields stay the same."""
    state = (user_private_fields(), len(model._fields))
    known = _secrets_of_model_class.get(type(model))
    if known is None or known[0] != state:
        known = (state, frozenset(name for name, field in model._fields.items() if is_secret_field(field)))
        _secrets_of_model_class[type(model)] = known
    return known[1]


def is_secret_parameter(key):
    """A system parameter named like a credential: any of its words is one of SECRET_PARAMETER_WORDS."""
    return bool(SECRET_PARAMETER_WORDS.intersection(_WORD_SEPARATORS.split((key or "").lower())))


def _live_signup_tokens(env):
    if "signup_token" not in env["res.partner"]._fields:
        return []
    env.cr.execute("SELECT signup_token FROM res_partner WHERE signup_token IS NOT NULL AND signup_token != ''")
    return [token for token, in env.cr.fetchall()]


# The column that carries a mail's text, where a sign-up or reset link sits.
MAIL_BODY_COLUMNS = {"mail.mail": "body_html", "mail.message": "body"}


def carries_a_live_token(records):
    """True if a mail or message among `records` carries a live sign-up or reset
    token. Read in SQL: the ORM's cache would keep the revealed body."""
    column = MAIL_BODY_COLUMNS.get(records._name)
    tokens = column and records.ids and _live_signup_tokens(records.env)
    if not tokens:
        return False
    records.env.cr.execute(  # pylint: disable=sql-injection
        "SELECT {column} FROM {table} WHERE id IN %s".format(column=column, table=records._table),
        [tuple(records.ids)],
    )
    return any(token in (body or "") for body, in records.env.cr.fetchall() for token in tokens)


def _holds_a_secret(records, name):
    """The records of `records` whose cached value of `name` is a secret (some secrets depend on the record)."""
    with_value = records.filtered(lambda record: record._cache.has_value(name) and record._cache.get_value(name))
    if records._name == "ir.config_parameter":
        return with_value.filtered(lambda param: is_secret_parameter(param.key))
    if records._name in ("mail.mail", "mail.message"):
        tokens = _live_signup_tokens(records.env)
        return with_value.filtered(lambda mail: any(token in mail._cache.get_value(name) for token in tokens))
    return with_value


def hide_secrets(records, field_names):
    """Replace, in the cache of `records` just read, every secret among `field_names` by False."""
    if getattr(_revealed, "depth", 0):
        return
    for name in secret_field_names(records).intersection(field_names):
        for record in _holds_a_secret(records, name):
            record._cache[name] = False


@contextlib.contextmanager
def revealed():
    """Where the server itself needs a secret during a key's call and the value
    goes nowhere the caller sees: a process-wide cache (ir.config_parameter's
    _get_param, which masking would poison for every later call), the SMTP login."""
    _revealed.depth = getattr(_revealed, "depth", 0) + 1
    try:
        yield
    finally:
        _revealed.depth -= 1


def is_exact_token_match(term):
    """A domain term that compares a random token (the path's last field) with given strings."""
    if len(term) != 3 or term[1] not in ("=", "in"):
        return False
    values = term[2] if isinstance(term[2], (list, tuple)) else [term[2]]
    return term[0].split(".")[-1] in EXACT_MATCH_TOKENS and bool(values) and all(
        isinstance(value, str) and value for value in values)


def secret_names_in_path(model, path):
    """The secret fields that the domain path `path` ("user_ids.password_crypt") goes through, from `model`."""
    found = []
    for name in path.split("."):
        field = model._fields.get(name)
        if field is None:
            break
        if is_secret_field(field):
            found.append("%s.%s" % (model._name, name))
        if not field.relational:
            break
        model = model.env[field.comodel_name]
    return found
