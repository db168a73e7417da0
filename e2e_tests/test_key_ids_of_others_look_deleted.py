"""On res.users.apikeys, the id of another user's key answers exactly like an id that does not
exist, by every route and method: nobody learns which key ids exist."""
import json
import xmlrpc.client

import pytest

from odoo_servers import JsonRpcError, OdooServer, copy_template

NO_SUCH_ID = 10 ** 6


@pytest.fixture(scope="module", params=[0, 2], ids=["threaded", "prefork"])
def setting(request):
    """A plain user with a key (made in the web client, so the session has confirmed its
    password), and the id of another user's key."""
    server = OdooServer(copy_template("key_ids_%s" % request.param), workers=request.param,
                        name="key-ids-%s" % request.param)
    other = server.logged_in_user()
    other.web.new_api_key(other.uid, other.password, "someone else's")
    other_key_id = other.web.call_kw("res.users.apikeys", "search", [[]])[0]
    user = server.logged_in_user()
    key = user.web.new_api_key(user.uid, user.password, "mine")
    own_key_id = user.web.call_kw("res.users.apikeys", "search", [[]])[0]
    yield server, user, key, own_key_id, other_key_id
    server.stop()


def calls(key_id, own_key_id):
    """(method, args) that name `key_id`, as a client may send them."""
    return [
        ("read", [[key_id]]), ("read", [[key_id], ["name", "user_id"]]), ("read", [[own_key_id, key_id], ["name"]]),
        ("write", [[key_id], {"name": "renamed"}]), ("unlink", [[key_id]]), ("remove", [[key_id]]),
        ("name_get", [[key_id]]), ("exists", [[key_id]]), ("get_metadata", [[key_id]]), ("copy", [[key_id]]),
        ("check_access_rule", [[key_id], "read"]), ("check_access_rule", [[key_id], "write"]),
        ("export_data", [[key_id], ["name", "user_id/id"]]), ("search_count", [[("id", "=", key_id)]]),
        ("search_read", [[("id", "=", key_id)], ["name"]]),
    ]


def answer(call):
    """What the client sees: the result, or the whole error. The password dialog's own new
    record id (a sequence, the same for any id asked about) is left out."""
    try:
        result = call()
    except xmlrpc.client.Fault as fault:
        return "fault", fault.faultCode, fault.faultString
    except JsonRpcError as error:
        return "error", json.dumps(error.error, sort_keys=True)
    except KeyError:  # Odoo 11 sends no "result" for None
        result = None
    if isinstance(result, dict) and result.get("res_model") == "res.users.identitycheck":
        result = dict(result, res_id="the dialog's")
    return "result", json.dumps(result, sort_keys=True)


def routes(server, user, key):
    """Every way a client calls a method: XML-RPC and /jsonrpc with the key, the web client's session."""
    return {
        "xmlrpc": lambda method, args: server.execute_kw(user.uid, key, "res.users.apikeys", method, args),
        "jsonrpc": lambda method, args: server.jsonrpc("object", "execute_kw", server.db, user.uid, key,
                                                       "res.users.apikeys", method, args),
        "call_kw": lambda method, args: user.web.call_kw("res.users.apikeys", method, args),
        "call_button": lambda method, args: user.web.call_button("res.users.apikeys", method, args[0]),
    }


def test_another_users_key_id_answers_as_one_that_does_not_exist(setting):
    server, user, key, own_key_id, other_key_id = setting
    differences = []
    for route, send in routes(server, user, key).items():
        methods = calls(other_key_id, own_key_id) if route != "call_button" else [("remove", [[other_key_id]])]
        for (method, args), (_same, missing_args) in zip(methods, calls(NO_SUCH_ID, own_key_id)):
            others = answer(lambda: send(method, args))
            missing = answer(lambda: send(method, missing_args))
            if others != missing:
                differences.append("%s %s: %r != %r" % (route, method, others[:3], missing[:3]))
    assert not differences, "\n".join(differences)
    assert user.web.call_kw("res.users.apikeys", "search_count", [[]]) == 1  # its own key is left alone
    assert server.admin("res.users.apikeys", "search_count", [("id", "=", other_key_id)]) == 1
