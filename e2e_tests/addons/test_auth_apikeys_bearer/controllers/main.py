"""Routes as an integrator writes them with Odoo 18's auth='bearer': one that only reads, one that writes,
in both of Odoo 11's request types."""
import json

from odoo import http
from odoo.http import request


def _whoami():
    return {"uid": request.env.uid, "login": request.env.user.login}


def _rename(name):
    request.env.user.partner_id.write({"comment": name})
    return {"uid": request.env.uid, "comment": request.env.user.partner_id.comment}


class BearerRoutes(http.Controller):
    @http.route("/test_bearer/whoami", type="http", auth="bearer", csrf=False, methods=["GET", "POST"],
                readonly=True)
    def whoami(self, **_kw):
        return request.make_response(json.dumps(_whoami()), [("Content-Type", "application/json")])

    @http.route("/test_bearer/rename", type="http", auth="bearer", csrf=False, methods=["POST"])
    def rename(self, name="renamed", **_kw):
        return request.make_response(json.dumps(_rename(name)), [("Content-Type", "application/json")])

    @http.route("/test_bearer/json/whoami", type="json", auth="bearer", readonly=True)
    def json_whoami(self, **_kw):
        return _whoami()

    @http.route("/test_bearer/json/rename", type="json", auth="bearer")
    def json_rename(self, name="renamed", **_kw):
        return _rename(name)
