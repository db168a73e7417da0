"""What a credential may stand for and what a key's call may do: the rules
every door applies (XML-RPC, JSON-RPC, JSON-2, the web client's own calls).

Who is calling is decided in ``models/res_users.py`` (``check``, ``_login``,
``_check_bearer_key``); this module says, for the call that follows, what
holding a key allows. A key is strictly less than a password: it stands for
the password only while a door checks the call's own credentials, a
read-only key calls read methods only, and some methods and fields no key's
call reaches, whatever the path.
"""
import re

import odoo.api
from odoo import SUPERUSER_ID, _
from odoo.exceptions import AccessDenied, AccessError
from odoo.models import regex_private

from .current_call import is_authenticating, is_rpc_call
from .errors import MalformedRequest

RPC_SCOPE = "rpc"  # native Odoo's scope for keys used over XML-RPC and JSON-RPC
READ_ONLY_SCOPE = "rpc:read"  # not native: after an upgrade native Odoo refuses these keys rather than widen them
RPC_SCOPES = (RPC_SCOPE, READ_ONLY_SCOPE)  # what a key may have to be used over RPC

KEY_PATTERN = re.compile(r"[0-9a-f]{40}\Z")
BEARER = re.compile(r"bearer\s+(.+)", re.IGNORECASE)  # 19.0's Authorization header, its scheme in any case
MAX_CREDENTIAL_LENGTH = 4096  # passlib raises an error beyond this
# Failed credentials from one address before a cooldown, within the window, and its length (seconds);
# system parameters auth_apikeys.login_cooldown_* override them for logins.
COOLDOWN_DEFAULTS = {"after": 10, "window": 60, "duration": 60}

READ_METHODS = frozenset([
    "search", "search_read", "read", "search_count", "name_get", "name_search",
    "fields_get", "default_get", "read_group",
])
# What a read-only key may call beyond reading: nothing that widens what it can do.
READ_ONLY_KEY_METHODS = {"res.users.apikeys": frozenset(["rotate", "revoke_current"]),
                         "res.users": frozenset(["context_get"])}
# Public in Odoo 11 for historical reasons, but each one tests a password (of
# any user, for `check` and `authenticate`) or the master password: private
# as in Odoo 14+, so that no client can guess through them.
NOT_CALLABLE_REMOTELY = {"res.users": frozenset(["authenticate", "check", "check_credentials", "check_super"])}
# What decides where a password reset goes, or who else may sign in as the user (auth_oauth): a key's
# call never changes them on its own user (nor the e-mail address of that user's partner).
RECOVERY_FIELDS = frozenset(["login", "email", "partner_id", "oauth_uid", "oauth_provider_id"])
# Worth a password: auth_signup's token sets one. A key's call never reads it
# nor names it (a domain would bisect it), whatever the path: orm_guards/secret_fields.py
# names every secret and models/base.py keeps them from keys; this scan is a backstop.
KEY_FORBIDDEN_FIELDS = frozenset(["signup_token"])
# No Odoo call nests or weighs this much; a key's call beyond is refused unread.
MAX_CALL_DEPTH, MAX_CALL_ITEMS = 100, 10 ** 6


def looks_like_api_key(credential):
    return isinstance(credential, str) and KEY_PATTERN.match(credential) is not None


def bearer_token(httprequest):
    """The token of the request's `Authorization: bearer` header, or None. Only a key may be there."""
    match = BEARER.match(httprequest.headers.get("Authorization", ""))
    return match.group(1) if match else None


def is_usable_credential(credential):
    """Odoo 11 answers other types, a NUL byte or a huge string with a traceback,
    and an empty password may match an empty password column: refuse them plainly."""
    return (
        isinstance(credential, str) and 0 < len(credential) <= MAX_CREDENTIAL_LENGTH and "\x00" not in credential
        and is_encodable(credential)
    )


def is_encodable(text):
    """False for a string with a lone surrogate ("\\ud800" in JSON): hashing it
    raised an error that carried the whole string back to the client."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def key_may_authenticate():
    """True only while the RPC layer checks the credentials a call came with,
    over XML-RPC or /jsonrpc. Anywhere else (change_password, the password
    dialog, web logins, any addon's own password check) a key is no password."""
    return is_authenticating() and is_rpc_call()


def refuse_if_not_callable_remotely(model, method):
    """Every door, for every caller: the methods that test a password."""
    if method in NOT_CALLABLE_REMOTELY.get(model, ()):
        raise AccessError(_("%(model)s.%(method)s cannot be called remotely.") % {"model": model, "method": method})


def refuse_private_method(method):
    """Odoo 11's rule for XML-RPC (a leading underscore, or `init`), for the doors that call methods themselves."""
    if not isinstance(method, str) or regex_private.match(method):
        raise AccessError(_("Private methods cannot be called remotely."))


def check_key_call(cr, call_key, model, method, args, kwargs):
    """The rules for a call that `call_key` (current_call.CallKey) authenticated,
    in the call's own transaction, before the method runs."""
    check_key_still_valid(cr, call_key)
    check_key_may_call(call_key, model, method, args, kwargs)


def check_key_may_call(call_key, model, method, args, kwargs):
    """What a valid key may call: never a forbidden field, only read methods for a read-only key."""
    if names_key_forbidden_field(args, kwargs):
        raise AccessError(_("An API key cannot read or search sign-up and password reset tokens."))
    if call_key.read_only and not is_read_method(model, method):
        message = _("This API key is read-only: it cannot call %(method)s on %(model)s.")
        raise AccessError(message % {"method": method, "model": model})


def check_key_still_valid(cr, call_key):
    """A key accepted from the process's cache: its row must be unchanged, as this transaction sees it."""
    if call_key.recheck and not _still_valid(cr, call_key):
        raise AccessDenied()


def is_read_method(model, method):
    """What a read-only key may call."""
    return method in READ_METHODS or method in READ_ONLY_KEY_METHODS.get(model, ())


def _still_valid(cr, call_key):
    """A key accepted from the process's cache: its row unchanged, seen by this transaction."""
    keys = odoo.api.Environment(cr, SUPERUSER_ID, {})["res.users.apikeys"]
    return keys._still_valid_for_call(call_key)


def names_key_forbidden_field(args, kw):
    """True if a string anywhere in the call (dict keys too) names a field of
    KEY_FORBIDDEN_FIELDS. A walk bounded in depth and size, not repr(): a call
    nested too deep or too large is refused plainly instead of exhausting the stack."""
    stack, items = [(args, 0), (kw, 0)], 0
    while stack:
        value, depth = stack.pop()
        items += 1
        if depth > MAX_CALL_DEPTH or items > MAX_CALL_ITEMS:
            raise MalformedRequest(_("Malformed call: arguments nested deeper than %(depth)s levels or more "
                                     "than %(items)s values.") % {"depth": MAX_CALL_DEPTH, "items": MAX_CALL_ITEMS})
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((item, depth + 1) for item in value)
        elif not isinstance(value, (bool, int, float, type(None))):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            if any(name in text for name in KEY_FORBIDDEN_FIELDS):
                return True
    return False
