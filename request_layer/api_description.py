"""What JSON-2 tells a key holder about the models: 19.0's ``/doc-bearer``
documents, built for the key's user.

Better than 19.0, which shows them to administrators only: any key holder
gets the models their user may read, with the fields ``fields_get`` shows
that user, and the public methods only. Each method's parameters are the
names JSON-2 binds (odoo19_signatures), in order: clients that call with
positional arguments map them by this order.
"""
import inspect
import json

from odoo.exceptions import AccessError
from odoo.models import regex_private

from .auth_rules import NOT_CALLABLE_REMOTELY
from .odoo19_signatures import signature_of


def index(env):
    """19.0's /doc-bearer/index.json: the installed modules in dependency order, and the readable models."""
    models = []
    for model in readable_models(env):
        records = env[model]
        fields = fields_shown(records, ["string"])
        if fields is None:
            continue
        models.append({"model": model, "name": records._description or model,
                       "fields": {name: {"string": field["string"]} for name, field in sorted(fields.items())},
                       "methods": public_methods(records)})
    return {"modules": modules_in_dependency_order(env), "models": models}


def model_document(env, model):
    """19.0's /doc-bearer/<model>.json, or None for a model the user may not read."""
    if model not in env.registry or not may_read(env, model):
        return None
    records = env[model]
    described = fields_shown(records)
    if described is None:
        return None
    modules = _modules_of_fields(env, model)
    fields = {name: dict(field, module=modules.get(name, "base")) for name, field in sorted(described.items())}
    return {"model": model, "name": records._description or model, "doc": None, "fields": fields,
            "methods": {name: describe_method(records, name) for name in public_methods(records)}}


def readable_models(env):
    """The models of the registry the user may read, by name."""
    return sorted(name for name in env.registry.models if may_read(env, name))


def may_read(env, model):
    return not env.registry[model]._abstract and env[model].check_access_rights("read", raise_exception=False)


def fields_shown(records, attributes=None):
    """`fields_get` as the user sees it, or None where it names records the user may not read (a selection of
    modules ...): such a model is left out."""
    try:
        return records.fields_get(attributes=attributes)
    except AccessError:
        return None


def public_methods(records):
    """The methods a client may call on `records`, by name."""
    model_class = type(records)
    refused = NOT_CALLABLE_REMOTELY.get(records._name, frozenset())
    return sorted(name for name in dir(model_class)
                  if not regex_private.match(name) and name not in refused
                  and inspect.isfunction(getattr(model_class, name, None)) and name not in records._fields)


def describe_method(records, name):
    """A method as 19.0 describes it: its signature, its ordered parameters, `api` with "model" when it takes no
    ids, and where it comes from."""
    signature, _caller, model_level = signature_of(records, name)
    parameters = [parameter for parameter in signature.parameters.values()][1:]  # after self
    described = {}
    for parameter in parameters:
        entry = {}
        if parameter.kind != parameter.POSITIONAL_OR_KEYWORD:
            entry["kind"] = parameter.kind.name
        if parameter.default is not parameter.empty and _is_json(parameter.default):
            entry["default"] = parameter.default
        described[parameter.name] = entry
    text = str(signature.replace(parameters=parameters, return_annotation=signature.empty))
    return {"signature": text, "parameters": described, "return": {}, "api": ["model"] if model_level else [],
            "model": records._name, "module": _module_of_method(records, name)}


def _is_json(value):
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _module_of_method(records, name):
    """The addon whose class of the model first defines `name`, "core" for Odoo's BaseModel."""
    for model_class in reversed(type(records).__mro__):
        if name in vars(model_class):
            module = getattr(model_class, "_module", None)
            return module or "core"
    return "core"


def _modules_of_fields(env, model):
    """The addon that introduced each field of `model` (the first to name it)."""
    env.cr.execute("""SELECT f.name, d.module FROM ir_model_fields f
                        JOIN ir_model_data d ON d.model = 'ir.model.fields' AND d.res_id = f.id
                       WHERE f.model = %s ORDER BY d.id DESC""", [model])
    return dict(env.cr.fetchall())


def modules_in_dependency_order(env):
    """Installed modules, each after those it depends on (ties by name)."""
    env.cr.execute("""SELECT m.name, d.name FROM ir_module_module m
                        LEFT JOIN ir_module_module_dependency d ON d.module_id = m.id
                       WHERE m.state = 'installed'""")
    depends = {}
    for module, dependency in env.cr.fetchall():
        depends.setdefault(module, set())
        if dependency:
            depends[module].add(dependency)
    ordered, placed = [], set()
    while len(placed) < len(depends):
        ready = sorted(module for module, needs in depends.items()
                       if module not in placed and needs & set(depends) <= placed)
        if not ready:  # a dependency cycle: the rest by name
            ready = sorted(set(depends) - placed)
        ordered.extend(ready)
        placed.update(ready)
    return ordered
