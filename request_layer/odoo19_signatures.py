"""Odoo 19.0's parameter names on Odoo 11's methods, in one table.

JSON-2 clients name every argument, with 19.0's names (``search(domain, ...)``,
``create(vals_list)``); Odoo 11 calls them otherwise (``search(args, ...)``,
``create(vals)``), and its overrides call them as they like (``vals``,
``values``, ``data``). For the methods below, JSON-2 binds the named arguments
to 19.0's signature and passes them by position, in Odoo 11's ``BaseModel``
order, so whatever an override calls its parameters; ``/doc-bearer`` publishes
the same names. Any other method is bound to its own signature.
"""
import inspect

_REQUIRED = inspect.Parameter.empty


def _signature(*parameters):
    """A signature from names and (name, default) pairs, after `self`."""
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)]
    for parameter in parameters:
        name, default = parameter if isinstance(parameter, tuple) else (parameter, _REQUIRED)
        params.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default))
    return inspect.Signature(params)


def _create(records, vals_list):
    """19.0's create takes one dict or a list of them, and answers their records."""
    created = records.browse()
    for vals in [vals_list] if isinstance(vals_list, dict) else vals_list:
        created |= records.create(vals)
    return created


def _search_count(records, domain, limit=None):
    """Odoo 11 counts without a limit: 19.0's count stops at it."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError("search_count: the limit must be a non-negative integer")
    count = records.search_count(domain)
    return count if limit is None else min(count, limit)


def _context_get(records):
    """19.0 says who the caller is there too: clients read their user id from it."""
    return dict(records.context_get(), uid=records.env.uid)


# method -> (19.0's signature, how to call it on Odoo 11 or None: by position, in this order)
ODOO19_METHODS = {
    "search": (_signature("domain", ("offset", 0), ("limit", None), ("order", None)), None),
    "search_count": (_signature("domain", ("limit", None)), _search_count),
    "search_read": (_signature(("domain", None), ("fields", None), ("offset", 0), ("limit", None),
                               ("order", None)), None),
    "read": (_signature(("fields", None), ("load", "_classic_read")), None),
    "read_group": (_signature("domain", "fields", "groupby", ("offset", 0), ("limit", None), ("orderby", False),
                              ("lazy", True)), None),
    "name_search": (_signature(("name", ""), ("domain", None), ("operator", "ilike"), ("limit", 100)), None),
    "name_get": (_signature(), None),
    "fields_get": (_signature(("allfields", None), ("attributes", None)), None),
    "default_get": (_signature("fields"), None),
    "create": (_signature("vals_list"), _create),
    "write": (_signature("vals"), None),
    "copy": (_signature(("default", None)), None),
    "unlink": (_signature(), None),
    "exists": (_signature(), None),
}
MODEL_METHODS = {"res.users": {"context_get": (_signature(), _context_get)}}
MODEL_LEVEL = frozenset(["search", "search_count", "search_read", "read_group", "name_search", "fields_get",
                         "default_get", "create"])  # @api.model in 19.0: no ids
MODEL_LEVEL_APIS = ("model", "model_cr", "model_cr_context")  # Odoo 11's decorators of methods that take no ids


def signature_of(records, method):
    """(signature, caller, model-level) of `method` as JSON-2 clients call it; caller None: by position."""
    table = MODEL_METHODS.get(records._name, {})
    if method in table or method in ODOO19_METHODS:
        signature, caller = table.get(method) or ODOO19_METHODS[method]
        return signature, caller, method in MODEL_LEVEL or method in table
    function = getattr(type(records), method)
    return inspect.signature(function), None, getattr(function, "_api", None) in MODEL_LEVEL_APIS


class ArgumentsDoNotBind(TypeError):
    """Named arguments that a method's signature cannot take: `problem` and the parameter's name."""

    def __init__(self, problem, name):
        super(ArgumentsDoNotBind, self).__init__(problem, name)
        self.problem, self.name = problem, name


def bind(records, method, kwargs):
    """A function of no argument that calls `method` on `records` with `kwargs`,
    named as in 19.0. Raises ArgumentsDoNotBind for an argument too many or missing."""
    signature, caller, _model_level = signature_of(records, method)
    _check_binds(signature, kwargs)
    bound = signature.bind(records, **kwargs)
    if caller:
        return lambda: caller(*bound.args, **bound.kwargs)
    if method in ODOO19_METHODS:
        bound.apply_defaults()
        return lambda: getattr(records, method)(*bound.args[1:])
    return lambda: getattr(records, method)(**kwargs)


def _check_binds(signature, kwargs):
    parameters = list(signature.parameters.values())[1:]  # after self
    kinds = {parameter.kind for parameter in parameters}
    by_name = {parameter.name: parameter for parameter in parameters
               if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)}
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        for name in kwargs:
            if name not in by_name:
                raise ArgumentsDoNotBind("unexpected", name)
    for parameter in parameters:
        if parameter.kind == parameter.POSITIONAL_ONLY or (
                parameter.default is _REQUIRED and parameter.name in by_name and parameter.name not in kwargs):
            raise ArgumentsDoNotBind("missing", parameter.name)
