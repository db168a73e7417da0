"""How the request layer wraps Odoo's own functions: once each, however often the addon is loaded."""
import functools


def patch(module, name, wrap):
    """Replace `module.name` by `wrap(original)`, once per `wrap` (the registry may load twice)."""
    original = getattr(module, name)
    applied = getattr(original, "auth_apikeys_patches", frozenset())
    if wrap.__name__ not in applied:
        wrapper = functools.wraps(original)(wrap(original))
        wrapper.auth_apikeys_patches = applied | {wrap.__name__}
        setattr(module, name, wrapper)
