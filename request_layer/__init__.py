"""How requests reach Odoo 11 with API keys: the doors and their rules.

- ``auth_rules``: what a credential may stand for and what a key's call may
  do, the rules every door applies.
- ``current_call``: the call being served (its address, database, key).
- ``rpc_patches``: the XML-RPC and JSON-RPC doors.
- ``json2_door`` (routes in ``controllers/json2.py``): Odoo 19's JSON-2.
- ``bearer_routes`` (rules in ``models/ir_http.py``): ``auth='bearer'`` routes of any addon.
- ``malformed_requests``, ``client_errors``: plain answers, no traceback, no echo.
- ``master_password``: guessing it counted per address.
- ``safe_logging``: one line per record, no credential in a failed query.
- ``after_response``: security e-mails leave once the request is over.
"""
from . import (
    after_response, bearer_routes, client_errors, malformed_requests, master_password, rpc_patches, safe_logging,
)


def apply():
    """Wrap Odoo's functions, once, as the addon is imported (it is loaded server-wide)."""
    rpc_patches.apply()
    malformed_requests.apply()
    master_password.apply()
    client_errors.apply()
    safe_logging.apply()
    bearer_routes.apply()
    after_response.apply()
