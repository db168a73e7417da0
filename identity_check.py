"""Ask for the user's password again before sensitive actions, as native Odoo 14+ does."""
import functools
import time

from odoo.http import request

from .rpc_patches import is_rpc_call

IDENTITY_CHECK_SECONDS = 10 * 60  # a confirmed password is trusted this long, as in native Odoo
SESSION_KEY = "auth_apikeys.identity_checked"


def remember_identity_checked(env):
    """Note in the web session that its user just typed their password."""
    if request and not is_rpc_call():
        request.session[SESSION_KEY] = {"db": env.cr.dbname, "uid": env.uid, "sid": request.session.sid,
                                        "at": time.time()}


def identity_checked_recently(env):
    """True if this web session's user confirmed their password in it, on this
    database, within ten minutes. Never over RPC, whatever cookie it sends."""
    if not request or is_rpc_call():
        return False
    checked = request.session.get(SESSION_KEY)
    return (
        isinstance(checked, dict)
        and (checked.get("db"), checked.get("uid"), checked.get("sid")) == (env.cr.dbname, env.uid, request.session.sid)
        and checked.get("at", 0) > time.time() - IDENTITY_CHECK_SECONDS
    )


def check_identity(method):
    """Run `method` only if the user confirmed their password in this web
    session within the last ten minutes; otherwise ask for it first and run
    `method` afterwards."""

    @functools.wraps(method)
    def wrapper(self):
        if identity_checked_recently(self.env):
            return method(self)
        return self.env["res.users.identitycheck"]._ask_before(self, method.__name__)

    wrapper.requires_identity_check = True
    return wrapper
