"""Raw requests for the hostile-input tests: bodies that client libraries refuse
to build (huge ints over XML-RPC, nesting deeper than Python's recursion limit,
broken JSON), posted as they are, and the server's answer read as it is."""
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from xml.sax.saxutils import escape


class Nested:
    """`leaf` inside `depth` lists: [[[...leaf...]]], written out without recursion."""

    def __init__(self, depth, leaf):
        self.depth, self.leaf = depth, leaf

    def __repr__(self):
        return "Nested(%d, %r)" % (self.depth, self.leaf)


def post(url, body, content_type="application/json", opener=None):
    """POST `body` (bytes): returns (HTTP status, body as text), whatever the status."""
    request = urllib.request.Request(url, body, {"Content-Type": content_type})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=120) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def post_chunked(url, body, content_type="text/xml"):
    """POST `body` with Transfer-Encoding: chunked and no Content-Length."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    try:
        # one chunk: the server may answer and close before reading the body, and a
        # client still sending would see its answer lost to a connection reset
        connection.request("POST", parts.path, iter([body]), {"Content-Type": content_type,
                                                              "Transfer-Encoding": "chunked"}, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def xmlrpc_value(value):
    """An XML-RPC <value>, for every Python value: ints of any size, None, nan and
    infinities included (xmlrpc.client refuses the first two; Python's server reads them)."""
    out = []
    _write_xmlrpc(value, out)
    return "".join(out)


def _write_xmlrpc(value, out):
    if isinstance(value, Nested):
        out.append("<value><array><data>" * value.depth)
        _write_xmlrpc(value.leaf, out)
        out.append("</data></array></value>" * value.depth)
    elif value is None:
        out.append("<value><nil/></value>")
    elif isinstance(value, bool):
        out.append("<value><boolean>%d</boolean></value>" % value)
    elif isinstance(value, int):
        out.append("<value><int>%d</int></value>" % value)
    elif isinstance(value, float):
        out.append("<value><double>%r</double></value>" % value)
    elif isinstance(value, str):
        out.append("<value><string>%s</string></value>" % escape(value))
    elif isinstance(value, (list, tuple)):
        out.append("<value><array><data>")
        for item in value:
            _write_xmlrpc(item, out)
        out.append("</data></array></value>")
    elif isinstance(value, dict):
        out.append("<value><struct>")
        for name, item in value.items():
            out.append("<member><name>%s</name>" % escape(name))
            _write_xmlrpc(item, out)
            out.append("</member>")
        out.append("</struct></value>")
    else:
        raise TypeError("no XML-RPC form for %r" % (value,))


def xmlrpc_call(method, params):
    """The body of an XML-RPC call of `method` with `params`, as bytes."""
    values = "".join("<param>%s</param>" % xmlrpc_value(param) for param in params)
    return ("<?xml version='1.0'?>\n<methodCall><methodName>%s</methodName><params>%s</params></methodCall>"
            % (escape(method), values)).encode("utf-8")


def json_text(value):
    """JSON text for every Python value, Nested included; nan and infinities as
    Python's json module writes (and reads) them."""
    if isinstance(value, Nested):
        return "[" * value.depth + json_text(value.leaf) + "]" * value.depth
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(json_text(item) for item in value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (json.dumps(str(k)), json_text(v)) for k, v in value.items())
    return json.dumps(value)  # nan and infinities as NaN, Infinity, -Infinity


def jsonrpc_body(params):
    """A JSON-RPC 2.0 call with `params` (any value), as bytes."""
    return ('{"jsonrpc": "2.0", "method": "call", "id": 1, "params": %s}' % json_text(params)).encode("utf-8")


def strings_in(value):
    """Every string inside `value` (dict keys too): what a leak would show."""
    stack, found = [value], []
    while stack:
        item = stack.pop()
        if isinstance(item, Nested):
            stack.append(item.leaf)
        elif isinstance(item, str):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return found
