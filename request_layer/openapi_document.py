"""An OpenAPI 3.1 document of the JSON-2 endpoints, for the key's user (no Odoo version has one).

It describes ``POST /json/2/<model>/<method>`` for the ORM methods of
odoo19_signatures (the names JSON-2 binds) on each model the user may read:
request bodies from the methods' parameters, records from the fields
``fields_get`` shows that user, 19.0's error object, the bearer scheme.
Other public methods are callable too; ``/doc-bearer/<model>.json`` lists them.
"""
from .api_description import fields_shown, readable_models
from .odoo19_signatures import MODEL_METHODS, ODOO19_METHODS, signature_of

OPENAPI_VERSION = "3.1.0"
ERROR_STATUSES = {"400": "The body is not JSON", "401": "No key, or not a valid one", "403": "Access refused",
                  "404": "No such model, method, record or database", "409": "A concurrent update: try again",
                  "413": "The body is too large", "415": "The body is not application/json",
                  "422": "Arguments the method cannot take, or a user error", "429": "A login cooldown"}
NAMES = {"type": "array", "items": {"type": "string"}}
PARAMETERS = {  # JSON schemas of 19.0's parameters, by name
    "domain": {"type": "array", "description": "A search domain: [field, operator, value] terms, '&', '|', '!'"},
    "offset": {"type": "integer", "minimum": 0},
    "limit": {"type": ["integer", "null"], "minimum": 0},
    "order": {"type": ["string", "null"], "description": "e.g. \"name desc, id\""},
    "fields": {"anyOf": [NAMES, {"type": "null"}]},
    "allfields": {"anyOf": [NAMES, {"type": "null"}]},
    "attributes": {"anyOf": [NAMES, {"type": "null"}]},
    "load": {"type": ["string", "null"], "enum": ["_classic_read", "_classic_write", None]},
    "groupby": {"anyOf": [{"type": "string"}, NAMES]},
    "orderby": {"type": ["string", "boolean"]},
    "lazy": {"type": "boolean"},
    "name": {"type": "string"},
    "operator": {"type": "string"},
    "vals": {"type": "object"},
    "vals_list": {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
    "default": {"type": ["object", "null"]},
}
IDS = {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 2 ** 31 - 1}}
NAMED_ID = {"type": "array", "items": {"type": ["integer", "string"]}, "minItems": 2, "maxItems": 2}  # [id, name]
RESULTS = {  # JSON schemas of the methods' results
    "search": IDS, "create": IDS, "copy": IDS, "exists": IDS,
    "search_count": {"type": "integer", "minimum": 0},
    "write": {"type": "boolean"}, "unlink": {"type": "boolean"},
    "name_search": {"type": "array", "items": NAMED_ID},
    "name_get": {"type": "array", "items": NAMED_ID},
    "fields_get": {"type": "object"}, "default_get": {"type": "object"}, "context_get": {"type": "object"},
    "read_group": {"type": "array", "items": {"type": "object"}},
}
FALSE = {"const": False}  # what Odoo reads for an empty value
FIELD_TYPES = {  # JSON schemas of the values `read` gives, by field type
    "boolean": {"type": "boolean"},
    "integer": {"anyOf": [{"type": "integer"}, FALSE]},
    "float": {"anyOf": [{"type": "number"}, FALSE]},
    "monetary": {"anyOf": [{"type": "number"}, FALSE]},
    "one2many": IDS, "many2many": IDS,
    "selection": {"anyOf": [{"type": "string"}, {"type": "integer"}, FALSE]},
    "many2one": {"anyOf": [NAMED_ID, {"type": "integer"}, FALSE]},
}
TEXT = {"anyOf": [{"type": "string"}, FALSE]}  # char, text, html, date, datetime, binary, reference ...


def document(env, server_url, models=None):
    """The document for `env`'s user: of `models` (names) among those they may read, or of all of them."""
    readable = readable_models(env)
    chosen = [model for model in readable if models is None or model in models]
    paths, schemas = {}, {"Error": _error_schema()}
    for model in chosen:
        records = env[model]
        fields = fields_shown(records, ["type", "string"])
        if fields is None:
            continue
        schemas[_record_name(model)] = _record_schema(records, fields)
        for method in _methods(records):
            paths["/json/2/%s/%s" % (model, method)] = {"post": _operation(records, method)}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Odoo 11 JSON-2 API", "version": "11.0",
                 "description": "Odoo 19's External JSON-2 API on Odoo 11 (auth_apikeys), for the key's user."},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API key made in Preferences > Account Security"}},
            "schemas": schemas,
            "responses": {status: {"description": text, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                for status, text in ERROR_STATUSES.items()},
            "parameters": {"database": {"name": "X-Odoo-Database", "in": "header", "required": False,
                                        "schema": {"type": "string"},
                                        "description": "The database, when the server serves several"}},
        },
    }


def _methods(records):
    table = dict(ODOO19_METHODS, **MODEL_METHODS.get(records._name, {}))
    return sorted(name for name in table if callable(getattr(type(records), name, None)))


def _operation(records, method):
    signature, _caller, model_level = signature_of(records, method)
    parameters = list(signature.parameters.values())[1:]
    properties = {parameter.name: PARAMETERS.get(parameter.name, {}) for parameter in parameters}
    if not model_level:
        properties["ids"] = IDS
    properties["context"] = {"type": "object"}
    required = [parameter.name for parameter in parameters if parameter.default is parameter.empty]
    if not model_level:
        required.insert(0, "ids")
    body = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        body["required"] = required
    return {
        "operationId": "%s.%s" % (records._name, method),
        "summary": "%s%s" % (method, str(signature.replace(parameters=parameters))),
        "tags": [records._name],
        "parameters": [{"$ref": "#/components/parameters/database"}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": dict({"200": {"description": "The result", "content": {
            "application/json": {"schema": _result_schema(records, method)}}}},
            **{status: {"$ref": "#/components/responses/%s" % status} for status in ERROR_STATUSES}),
    }


def _result_schema(records, method):
    if method in ("read", "search_read"):
        return {"type": "array", "items": {"$ref": "#/components/schemas/%s" % _record_name(records._name)}}
    return RESULTS.get(method, {})


def _record_name(model):
    return model.replace(".", "_")


def _record_schema(records, fields):
    properties = {name: dict(FIELD_TYPES.get(field["type"], TEXT), title=field["string"])
                  for name, field in sorted(fields.items())}
    properties["id"] = {"type": "integer"}
    return {"type": "object", "title": records._description or records._name, "properties": properties,
            "required": ["id"]}


def _error_schema():
    return {"type": "object", "required": ["name", "message", "arguments", "context", "debug"],
            "properties": {"name": {"type": "string"}, "message": {"type": "string"},
                           "arguments": {"type": "array"}, "context": {"type": "object"},
                           "debug": {"type": "string", "description": "Always empty: the server log has it"}}}
