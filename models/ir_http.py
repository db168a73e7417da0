import json

from odoo import models
from odoo.exceptions import AccessDenied
from odoo.http import request

from ..request_layer import json2_door
from ..request_layer.auth_rules import bearer_token, check_key_still_valid
from ..request_layer.bearer_routes import (
    BearerRefusal, answer_without_session, forget_bearer_key, mark_bearer_request, session_may_be_used,
)


class IrHttp(models.AbstractModel):
    """Odoo 18's `auth='bearer'` routes (request_layer/bearer_routes.py): the
    same key rules as every other door, and a web session only where no other
    site can send it."""

    _inherit = "ir.http"

    @classmethod
    def _dispatch(cls):
        try:
            return super(IrHttp, cls)._dispatch()
        finally:
            forget_bearer_key()

    @classmethod
    def _handle_exception(cls, exception):
        """A bearer route's refusal answers JSON as it is: no traceback, no web session."""
        if isinstance(exception, BearerRefusal):
            answer_without_session(request.httprequest)
            return exception.response
        return super(IrHttp, cls)._handle_exception(exception)

    @classmethod
    def _auth_method_bearer(cls):
        if bearer_token(request.httprequest) is not None:
            return cls._auth_by_bearer_key()
        if request.session.uid and session_may_be_used(request.httprequest, request.validate_csrf):
            return cls._auth_method_user()
        raise cls._refusal(json2_door.unauthorized(
            "User not authenticated, use an API Key with a Bearer Authorization header."))

    @classmethod
    def _auth_by_bearer_key(cls):
        """The key's user, once the key and its row are valid in this request's transaction."""
        try:
            call_key = json2_door.authenticate(request.httprequest, request.registry)
        except json2_door.Json2Error as error:
            raise cls._refusal(error)
        try:
            check_key_still_valid(request.cr, call_key)
        except AccessDenied:
            raise cls._refusal(json2_door.unauthorized("Invalid apikey"))
        if request.session.uid and request.session.uid != call_key.user_id:
            raise cls._refusal(json2_door.Json2Error(403, "odoo.exceptions.AccessDenied",
                                                     "Session user does not match the used apikey."))
        if call_key.read_only and not cls._route_only_reads():
            raise cls._refusal(json2_door.Json2Error(403, "odoo.exceptions.AccessError",
                                                     "This API key is read-only: it cannot reach a route that writes."))
        request.uid = call_key.user_id
        mark_bearer_request(request.httprequest, call_key)

    @classmethod
    def _route_only_reads(cls):
        rule, _arguments = cls._find_handler(return_rule=True)
        return bool(rule.endpoint.routing.get("readonly"))

    @classmethod
    def _refusal(cls, error):
        """A refusal as JSON-2 answers it (401 with WWW-Authenticate, 429 with Retry-After): 19.0's error object
        on an http route, a JSON-RPC error holding it on a json route."""
        response = json2_door.error_response(error)
        if request._request_type == "json":
            envelope = {"jsonrpc": "2.0", "id": request.jsonrequest.get("id"),
                        "error": {"code": error.status, "message": error.message, "data": json.loads(response.data)}}
            response = json2_door.json_response(envelope, status=error.status, headers=error.headers)
        return BearerRefusal(response=response)
