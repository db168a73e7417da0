{
    "name": "auth_apikeys: bearer routes under test",
    "summary": "Routes with auth='bearer', for auth_apikeys' end-to-end tests only: never install it elsewhere",
    "version": "11.0.1.0.0",
    "category": "Hidden",
    "license": "LGPL-3",
    "author": "auth_apikeys contributors",
    "depends": ["auth_apikeys"],
    "installable": True,
}
