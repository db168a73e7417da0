"""Start Odoo 11 from .venv with this checkout on the addons path.

Installed as ``.venv/bin/odoo`` by ``devenv/setup.sh``; takes Odoo's usual
command line (``-d``, ``-i``, ``-u``, ``--workers``, ``shell`` ...).
"""
import configparser
import os
import sys

VENV = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
EXTRA_ADDONS = os.path.join(VENV, "addons")  # holds the `auth_apikeys` link to this checkout


def config_file(args):
    """The configuration file named by `-c FILE`, `-cFILE`, `--config FILE` or `--config=FILE`, or None."""
    for position, arg in enumerate(args):
        if arg in ("-c", "--config"):
            return args[position + 1] if position + 1 < len(args) else None
        if arg.startswith(("--config=", "-c")):
            return arg.split("=", 1)[1] if arg.startswith("--config=") else arg[2:]
    return None


def addons_path_chosen(args):
    """True when the command line or its configuration file names an addons path."""
    if any(arg.startswith("--addons-path") for arg in args):
        return True
    parser = configparser.RawConfigParser()
    parser.read([config_file(args) or os.devnull])
    return parser.has_option("options", "addons_path")


def with_addons_path(args):
    """Add our addons folder unless the caller chose an addons path."""
    if addons_path_chosen(args):
        return args
    import odoo

    addons_path = "--addons-path=%s,%s" % (odoo.addons.__path__[0], EXTRA_ADDONS)
    if args and not args[0].startswith("-"):  # a sub-command: `odoo shell -d db`
        return args[:1] + [addons_path] + args[1:]
    return [addons_path] + args


def main():
    os.environ["PATH"] = os.path.join(VENV, "bin") + os.pathsep + os.environ.get("PATH", "")
    # Odoo 11's own switch (odoo/http.py, load_addons): by default the first HTTP request imports
    # every addon on the path while the server loads its registry in another thread, and the
    # registry can then miss models ("Model 'sale.order' does not exist in registry", seen with
    # the apps on the path). Later Odoo versions never preload; neither do we.
    os.environ.setdefault("ODOO_PRELOAD_ADDONS", "no")
    import odoo.cli

    sys.argv[1:] = with_addons_path(sys.argv[1:])
    odoo.cli.main()


if __name__ == "__main__":
    main()
