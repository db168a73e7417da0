"""Real Odoo servers, started as separate processes, and clients that talk to
them the way scripts and the web client do: XML-RPC, JSON-RPC, web sessions.

Used by the end-to-end tests (through conftest.py) and by the benchmarks."""
import functools
import http.client
import http.cookiejar
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.error
import urllib.request
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# The Odoo launcher the servers start from: .venv's beside the runner's Python,
# or another, e.g. AUTH_APIKEYS_ODOO=.venv36/bin/odoo (Odoo 11 on Python 3.6).
ODOO = os.environ.get("AUTH_APIKEYS_ODOO") or str(Path(sys.executable).with_name("odoo"))
TEMPLATE_DB = os.environ.get("AUTH_APIKEYS_TEMPLATE_DB", "apikeys_template")
# The same with Odoo's apps (mail, portal, website, sale, crm ...) installed before the addon, and
# installed after it (devenv/test.sh); empty when the run skips them (AUTH_APIKEYS_APPS=0).
APPS_TEMPLATE_DB = os.environ.get("AUTH_APIKEYS_APPS_TEMPLATE_DB", "")
APPS_AFTER_TEMPLATE_DB = os.environ.get("AUTH_APIKEYS_APPS_AFTER_TEMPLATE_DB", "")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ADMIN_UID = 1  # admin in Odoo 11 demo data
MASTER_PASSWORD = uuid.uuid4().hex  # of every test server unless a test says otherwise: never Odoo's `admin`
TEST_ADDONS = Path(__file__).resolve().parent / "addons"  # addons for the tests only, never installed elsewhere
DROP_DATABASES = Path(__file__).resolve().parent.parent / "devenv" / "drop_databases.sh"


def _ephemeral_ports():
    """The range the kernel draws the local ports of outgoing connections from."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
        low, high = ports.read().split()
    return int(low), int(high)


_handed_out = set()


def free_port():
    """A loopback port nothing listens on, below the ephemeral range: a port that
    bind(0) picks lies inside it, where any outgoing connection, even a test's
    own connect() polling for the server, may take it before the server binds it
    (a prefork Odoo then exits with "Address already in use")."""
    low = _ephemeral_ports()[0]
    while True:
        port = random.randrange(max(1024, low - 12000), low)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


# The databases this run copied from a template, dropped at its end (conftest.py).
COPIED = []


def drop_databases(*names):
    """Drop databases a test made, and the filestores Odoo made for them (devenv/drop_databases.sh)."""
    subprocess.run(["bash", str(DROP_DATABASES)] + list(names), check=False)


def drop_copies():
    """Drop the databases this run copied."""
    drop_databases(*sorted(set(COPIED)))
    COPIED.clear()


def copy_template(name, template=TEMPLATE_DB):
    """A fresh database with the addon and demo data, copied from the one `make test` built
    (or from `template`, one of the apps templates).

    Tests fail logins on purpose, all from 127.0.0.1: the login cooldown is
    pushed out of their way (the cooldown tests set their own thresholds).
    Named after the template, so that two checkouts can run their suites at once."""
    name = "%s_%s" % (template, name)
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", "-T", template, name], check=True)
    COPIED.append(name)
    subprocess.run(
        ["psql", "-qc", "UPDATE ir_config_parameter SET value = '100000' "
         "WHERE key = 'auth_apikeys.login_cooldown_after'", name],
        check=True,
    )
    return name


class OdooServer:
    """An Odoo server process on its own port, logging to a file we can read."""

    def __init__(self, db, workers=0, name=None, db_host=None, db_port=None, db_filter=None, proxy_mode=False,
                 data_dir=None, master_password=MASTER_PASSWORD, wait=True, install=(), cron_threads=0):
        """`master_password` None: Odoo's default. `wait` False: return as soon as the process is started.
        `install`: addons of e2e_tests/addons to install first (then on the addons path). `cron_threads`:
        none by default, so that scheduled actions run only when a test runs them."""
        self.db = db
        self.port = free_port()
        self.url = "http://127.0.0.1:%s" % self.port
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / ("server-%s-%s.log" % (db, name or self.port))
        self.log_file = open(self.log_path, "w")
        self.config_path = self.log_path.with_suffix(".conf")
        write_config(self.config_path, master_password)
        args = [
            ODOO, "-c", str(self.config_path),
            "-d", db, "--db-filter", db_filter or "^%s$" % db, "--http-port", str(self.port),
            "--workers", str(workers), "--max-cron-threads", str(cron_threads), "--log-level", "info",
        ]
        self.longpolling_port = free_port() if workers else None
        if workers:
            args += ["--longpolling-port", str(self.longpolling_port)]
        if db_host:  # another PostgreSQL than the machine's
            args += ["--db_host", db_host, "--db_port", str(db_port)]
        if proxy_mode:  # behind a reverse proxy (e2e_tests/reverse_proxy.py)
            args += ["--proxy-mode"]
        if data_dir:  # filestore and web sessions, e.g. shared by several servers
            args += ["--data-dir", str(data_dir)]
        if install:
            args += ["--addons-path", "%s,%s" % (launcher_addons_path(), TEST_ADDONS), "-i", ",".join(install)]
        self.args = args
        self.process = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT)
        if wait:
            self.wait_until_serving()

    def wait_until_serving(self, timeout=90):
        """Poll a JSON route that renders nothing: a page would compile the
        web assets, slow on a busy machine, and a poll that gives up leaves that
        request running (Odoo 11 then deadlocks with a module uninstall)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.assert_running()
            try:
                post_json(self.url + "/web/webclient/version_info", {"jsonrpc": "2.0", "method": "call", "params": {}})
                return
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                time.sleep(0.3)
        raise AssertionError("Odoo did not serve within %ss, see %s" % (timeout, self.log_path))

    def assert_running(self):
        """Fail with the exit code and the end of the server's log, which CI prints."""
        code = self.process.poll()
        if code is not None:
            self.log_file.flush()
            tail = "\n".join(self.log_path.read_text().splitlines()[-15:])
            raise AssertionError("Odoo exited with %s, see %s; its log ends:\n%s" % (code, self.log_path, tail))

    def wait_until_accepting(self, timeout=90):
        """Poll connect() only: the moment the port accepts a connection, before any request is served."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.assert_running()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
                return
            except OSError:
                time.sleep(0.01)
        raise AssertionError("Odoo did not listen within %ss, see %s" % (timeout, self.log_path))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()

    def restart(self):
        """Stop the server, then start it again with the same options, ports and log file."""
        self.stop()
        self.log_file = open(self.log_path, "a")
        self.process = subprocess.Popen(self.args, stdout=self.log_file, stderr=subprocess.STDOUT)
        self.wait_until_serving()

    def log(self):
        self.log_file.flush()
        return self.log_path.read_text()

    def xmlrpc(self, service, versioned=True, address=None):
        """An XML-RPC proxy; its connections leave from the loopback `address` if given."""
        return xmlrpc.client.ServerProxy("%s/xmlrpc/%s%s" % (self.url, "2/" if versioned else "", service),
                                         transport=FromAddress(address) if address else None)

    def jsonrpc(self, service, method, *args, address=None):
        """POST /jsonrpc; returns the result or raises JsonRpcError."""
        body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
        return post_json(self.url + "/jsonrpc", body, opener_from(address) if address else None)

    def execute_kw(self, uid, secret, model, method, args, kwargs=None):
        return self.xmlrpc("object").execute_kw(self.db, uid, secret, model, method, args, kwargs or {})

    def admin(self, model, method, *args, **kwargs):
        return self.execute_kw(ADMIN_UID, "admin", model, method, list(args), kwargs)

    def set_param(self, key, value):
        self.admin("ir.config_parameter", "set_param", key, str(value))

    def logged_in_user(self, address="127.0.0.1", groups=None):
        """A new user with its own password, logged in to the web client from `address`."""
        password = "pw-%s" % uuid.uuid4().hex
        login, uid = self.create_user(password, groups)
        web = WebClient(self, address)
        assert web.authenticate(login, password)["uid"] == uid
        return types.SimpleNamespace(login=login, uid=uid, password=password, web=web)

    def create_user(self, password, groups=None):
        """A new user with its own password, internal unless `groups` (XML ids) says otherwise: (login, uid)."""
        login = "user-%s" % uuid.uuid4().hex[:10]
        values = {"name": login, "login": login, "password": password}
        if groups:
            group_ids = [self.admin("ir.model.data", "xmlid_to_res_id", xmlid) for xmlid in groups]
            values["groups_id"] = [(6, 0, group_ids)]
        uid = self.admin("res.users", "create", values)
        return login, uid


@functools.lru_cache()
def launcher_addons_path():
    """The addons path ODOO's launcher gives Odoo by default: Odoo's addons, then this addon's folder."""
    venv = Path(ODOO).resolve().parent.parent
    where = "import odoo.addons; print(odoo.addons.__path__[0])"
    odoo_addons = subprocess.run([str(venv / "bin" / "python"), "-c", where], check=True, capture_output=True,
                                 text=True).stdout.strip()
    return "%s,%s" % (odoo_addons, venv / "addons")


def write_config(path, master_password):
    """The configuration file of a test server, readable by its owner only: the addon loaded
    server-wide (README) and the server's master password (Odoo's default if None)."""
    lines = ["[options]", "server_wide_modules = web,auth_apikeys"]
    if master_password is not None:
        lines.append("admin_passwd = %s" % master_password)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n")


def loop_while_deleting(server, uid, key, delete, clients=4):
    """`clients` loop on `key` (execute_kw search_count) while `delete()` runs;
    each stops at its first refusal. Returns (how many calls sent after
    delete() returned were accepted, how many clients were refused, seconds
    from delete()'s return to the first refusal or None)."""
    deleted_at, accepted_after, refused_at = [None], [], []
    stop = threading.Event()

    def loop():
        proxy = server.xmlrpc("object")
        while not stop.is_set():
            sent = time.perf_counter()
            try:
                proxy.execute_kw(server.db, uid, key, "res.partner", "search_count", [[]])
                if deleted_at[0] is not None and sent > deleted_at[0]:
                    accepted_after.append(sent)
            except xmlrpc.client.Fault:
                refused_at.append(time.perf_counter())
                return

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(loop) for _ in range(clients)]
        time.sleep(1.0)
        delete()
        deleted_at[0] = time.perf_counter()
        time.sleep(1.5)
        stop.set()
        for future in futures:
            future.result()
    return len(accepted_after), len(refused_at), (min(refused_at) - deleted_at[0]) if refused_at else None


class FromAddress(xmlrpc.client.Transport):
    """An XML-RPC transport whose connections leave from a chosen loopback address."""

    def __init__(self, address):
        super().__init__()
        self.address = address

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.source_address = (self.address, 0)
        return connection


class _FromAddressHandler(urllib.request.HTTPHandler):
    def __init__(self, address):
        super().__init__()
        self.address = address

    def http_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.address, 0)), req)


def opener_from(address, *handlers):
    """A urllib opener whose connections leave from the loopback `address`."""
    return urllib.request.build_opener(_FromAddressHandler(address), *handlers)


class JsonRpcError(Exception):
    def __init__(self, error):
        super().__init__(error.get("data", {}).get("message") or error.get("message"))
        self.error = error


def post_json(url, body, opener=None):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with (opener or urllib.request.build_opener()).open(request, timeout=60) as response:
        reply = json.load(response)
    if "error" in reply:
        raise JsonRpcError(reply["error"])
    return reply["result"]


class WebClient:
    """What the web client does over HTTP, with a session cookie."""

    def __init__(self, server, address="127.0.0.1"):
        self.server = server
        self.cookies = http.cookiejar.CookieJar()
        self.opener = opener_from(address, urllib.request.HTTPCookieProcessor(self.cookies))

    def json(self, path, params):
        body = {"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}
        return post_json(self.server.url + path, body, self.opener)

    def authenticate(self, login, password):
        return self.json("/web/session/authenticate", {"db": self.server.db, "login": login, "password": password})

    def session_uid(self):
        """The user id of this web session, or None when it is not logged in."""
        try:
            return self.json("/web/session/get_session_info", {}).get("uid")
        except JsonRpcError as error:
            if error.error["data"]["name"] == "odoo.http.SessionExpiredException":
                return None
            raise

    def form_login(self, login, password):
        """Log in through the /web/login page; returns the page's HTML."""
        page = self.opener.open(self.server.url + "/web/login?db=%s" % self.server.db).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"login": login, "password": password, "csrf_token": token, "db": self.server.db})
        return self.opener.open(self.server.url + "/web/login", data.encode()).read().decode()

    def call_kw(self, model, method, args, kwargs=None):
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        return self.json("/web/dataset/call_kw/%s/%s" % (model, method), params)

    def call_button(self, model, method, ids):
        params = {"model": model, "method": method, "args": [ids]}
        return self.json("/web/dataset/call_button", params)

    def change_password(self, old, new):
        """The web client's Change Password dialog: returns its answer ({'new_password'} or {'error'})."""
        fields = [{"name": "old_pwd", "value": old}, {"name": "new_password", "value": new},
                  {"name": "confirm_pwd", "value": new}]
        return self.json("/web/session/change_password", {"fields": fields})

    def confirm_password(self, action, password):
        """Type the password in the Security Control dialog and confirm it."""
        assert action["res_model"] == "res.users.identitycheck", action
        self.call_kw("res.users.identitycheck", "write", [[action["res_id"]], {"password": password}])
        return self.call_button("res.users.identitycheck", "run_check", [action["res_id"]])

    def new_api_key(self, uid, password, description, **choices):
        """Preferences > Account Security > New API Key > password > description > Generate Key.

        `choices` are the dialog's other fields: access, duration, expiration_date."""
        action = self.call_button("res.users", "api_key_wizard", [uid])
        if action["res_model"] == "res.users.identitycheck":
            action = self.confirm_password(action, password)
        assert action["res_model"] == "res.users.apikeys.description", action
        values = dict({"name": description}, **choices)
        wizard_id = self.call_kw("res.users.apikeys.description", "create", [values],
                                 {"context": action.get("context", {})})
        shown = self.call_button("res.users.apikeys.description", "make_key", [wizard_id])
        assert shown["res_model"] == "res.users.apikeys.show", shown
        return shown["context"]["default_key"]

    def delete_api_key(self, key_id, password):
        """The trash button on a key in the list, confirming the password if asked."""
        action = self.call_button("res.users.apikeys", "remove", [key_id])
        if action.get("res_model") == "res.users.identitycheck":
            action = self.confirm_password(action, password)
        return action
