"""Odoo 18's ``auth='bearer'`` for the routes of any addon, on Odoo 11.

A route declared ``@http.route(..., auth='bearer')`` (type ``http`` with
``csrf=False``, or type ``json``) runs as the user of the key in its
``Authorization: bearer`` header; without one, it accepts the web session
only for a top-level navigation of a browser (19.0's ``Sec-Fetch-*`` rule)
or with Odoo's CSRF token, never one named by ``?session_id=`` or
``X-Openerp-Session-Id``: Odoo 11 sets its session cookie without SameSite,
so a form on another site must not run as the user. A read-only key reaches
a route only if it says it only reads (``readonly=True``). The rules are
``models/ir_http.py``'s; here, what the request layer does for them.
"""
import werkzeug.exceptions

import odoo.http

from .current_call import NO_KEY, set_current_api_key
from .patching import patch

SESSIONLESS = "auth_apikeys.sessionless"  # in the WSGI environ of a request answered without a web session
NAVIGATION = {"Sec-Fetch-Dest": ("document",), "Sec-Fetch-Mode": ("navigate",),
              "Sec-Fetch-Site": ("none", "same-origin"), "Sec-Fetch-User": ("?1",)}


def mark_bearer_request(httprequest, call_key):
    """The request runs as the key's user: no web session is saved or sent back for it."""
    answer_without_session(httprequest)
    set_current_api_key(call_key)


def answer_without_session(httprequest):
    """No web session is saved or sent back for this request (a bearer key's, or a refusal)."""
    httprequest.environ[SESSIONLESS] = True


class BearerRefusal(werkzeug.exceptions.HTTPException):
    """A refusal of a bearer route, answered with its own (JSON) response, without a web session."""


def forget_bearer_key():
    """Once the request is served: the serving thread serves other requests next."""
    set_current_api_key(NO_KEY)


def session_may_be_used(httprequest, csrf_token_is_valid):
    """A web session reaches a bearer route only from its cookie, for a top-level navigation or with a valid
    CSRF token (a `csrf_token` parameter or an X-CSRF-Token header)."""
    if httprequest.args.get("session_id") or httprequest.headers.get("X-Openerp-Session-Id"):
        return False
    if all(httprequest.headers.get(name) in allowed for name, allowed in NAVIGATION.items()):
        return True
    token = httprequest.headers.get("X-CSRF-Token") or httprequest.values.get("csrf_token")
    return bool(token) and csrf_token_is_valid(token)


def _no_session_for_bearer_requests(get_response):
    def wrapper(self, httprequest, result, explicit_session):
        if httprequest.environ.get(SESSIONLESS):
            httprequest.session.modified = False  # not saved
            explicit_session = True  # no cookie set
        return get_response(self, httprequest, result, explicit_session)

    return wrapper


def apply():
    patch(odoo.http.Root, "get_response", _no_session_for_bearer_requests)
