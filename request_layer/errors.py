"""The refusals the request layer and the models raise, each with its own words for the client."""
from odoo.exceptions import AccessDenied, UserError


class MalformedRequest(UserError):
    """A request that cannot be served as sent: said to the client, without a traceback."""


class InvalidArguments(MalformedRequest):
    """The call's arguments made Odoo's code fail: the client's mistake, said plainly."""


class LoginCooldownError(AccessDenied):
    """An AccessDenied that says why (Odoo 11's own takes no message), and for how long (JSON-2's Retry-After)."""

    def __init__(self, message, seconds_left=None):
        Exception.__init__(self, message)
        self.seconds_left = seconds_left
