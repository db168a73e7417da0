"""Ask for the user's password again before sensitive actions, as native Odoo 14+ does."""
import functools
import time

from odoo.http import request

IDENTITY_CHECK_SECONDS = 10 * 60  # a confirmed password is trusted this long, as in native Odoo
SESSION_KEY = "auth_apikeys.identity_checked_at"


def check_identity(method):
    """Run `method` only if the user confirmed their password in this web
    session within the last ten minutes; otherwise ask for it first and run
    `method` afterwards. Without a web session (RPC), always ask."""

    @functools.wraps(method)
    def wrapper(self):
        checked_at = request.session.get(SESSION_KEY, 0) if request else 0
        if checked_at > time.time() - IDENTITY_CHECK_SECONDS:
            return method(self)
        return self.env["res.users.identitycheck"]._ask_before(self, method.__name__)

    wrapper.requires_identity_check = True
    return wrapper
