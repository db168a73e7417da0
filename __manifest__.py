{
    "name": "API Keys",
    "summary": "Per-user API keys for XML-RPC and JSON-RPC, as in Odoo 14+",
    "version": "11.0.1.0.0",
    "category": "Extra Tools",
    "license": "LGPL-3",
    "author": "auth_apikeys contributors",
    "website": "https://github.com/auth-apikeys/auth_apikeys",
    "depends": ["base", "web"],
    "data": [],
    "installable": True,
}
