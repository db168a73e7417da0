"""A module's own server in each mode: threaded (Odoo's default) and --workers=2."""
import pytest

from odoo_servers import APPS_TEMPLATE_DB, OdooServer, copy_template


def server_in_both_modes(name):
    """A module-scoped fixture: a fresh database and server named `name`, once per mode; its log is the module's."""

    @pytest.fixture(scope="module", params=[0, 2], ids=["workers=0", "workers=2"])
    def any_server(request):
        odoo = OdooServer(copy_template("%s_w%s" % (name, request.param)), workers=request.param,
                          name="%s-w%s" % (name, request.param))
        yield odoo
        odoo.stop()

    return any_server


def apps_server_in_both_modes(name):
    """The same on the apps database; threaded, the session's `apps_server` (conftest.py)."""

    @pytest.fixture(scope="module", params=["workers=0", "workers=2"])
    def any_apps_server(request, apps_server):
        if request.param == "workers=0":
            yield apps_server
            return
        odoo = OdooServer(copy_template(name, APPS_TEMPLATE_DB), workers=2, name=name)
        yield odoo
        odoo.stop()

    return any_apps_server
