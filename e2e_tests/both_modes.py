"""A module's own server in each mode: threaded (Odoo's default) and --workers=2."""
import pytest

from odoo_servers import OdooServer, copy_template


def server_in_both_modes(name):
    """A module-scoped fixture: a fresh database and server named `name`, once per mode; its log is the module's."""

    @pytest.fixture(scope="module", params=[0, 2], ids=["workers=0", "workers=2"])
    def any_server(request):
        odoo = OdooServer(copy_template("%s_w%s" % (name, request.param)), workers=request.param,
                          name="%s-w%s" % (name, request.param))
        yield odoo
        odoo.stop()

    return any_server
