"""Several servers behind a real reverse proxy: Debian's nginx balancing,
round-robin and without stickiness, two prefork Odoo servers (--workers=2
--proxy-mode) that share one database and one data folder (filestore and web
sessions), as a cluster behind a load balancer runs.

Through the proxy: a key made in the web client works everywhere, a deleted
key is refused by every server and worker, the servers see the client's
address (not the proxy's), and a login cooldown holds for the whole cluster,
across a restart too."""
import re
import shutil
import tempfile
import time
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from playwright.sync_api import expect, sync_playwright

from browser import FailureRecorder, checked_page, launch, warm_up
from odoo_servers import OdooServer, copy_template
from reverse_proxy import ReverseProxy, ThroughTheProxy

# The cooldown of the whole module: 4 failures within a minute, then 20 s (long
# enough to restart a server in the middle of it).
AFTER, WINDOW, DURATION = 4, 60, 20
CALLS = 12  # through the proxy: enough for round-robin to reach both servers, and their workers


class Cluster:
    def __init__(self, backends, proxy, odoo):
        self.backends, self.proxy, self.odoo = backends, proxy, odoo


@pytest.fixture(scope="module")
def cluster(request):
    FailureRecorder.register(request.config)
    with ExitStack() as stack:
        db = copy_template("proxy")
        data_dir = tempfile.mkdtemp(prefix="auth_apikeys-data-")  # one data folder, as a shared volume
        stack.callback(shutil.rmtree, data_dir, True)

        def start(name):
            return OdooServer(db, workers=2, name=name, proxy_mode=True, data_dir=data_dir)

        with ThreadPoolExecutor(2) as pool:
            starting = [pool.submit(start, name) for name in ("proxy-a", "proxy-b")]
        backends = []
        for future in starting:  # stop whatever started, even if the other did not
            if future.exception() is None:
                backends.append(future.result())
                stack.callback(future.result().stop)
        for future in starting:
            future.result()
        proxy = ReverseProxy(backends, name=db)
        stack.callback(proxy.stop)
        odoo = ThroughTheProxy(proxy, db)
        # Set before any process counts a failure (each caches the parameters it reads).
        odoo.set_param("auth_apikeys.login_cooldown_after", AFTER)
        odoo.set_param("auth_apikeys.login_cooldown_window", WINDOW)
        odoo.set_param("auth_apikeys.login_cooldown_duration", DURATION)
        yield Cluster(backends, proxy, odoo)


def upstream(backend):
    return "127.0.0.1:%s" % backend.port


def new_user(server):
    password = "pw-%s" % uuid.uuid4().hex
    login, uid = server.create_user(password)
    return login, uid, password


def authenticate(server, login, secret, address="127.0.0.1"):
    """XML-RPC common.authenticate from `address`: the uid, False, or the fault's message."""
    try:
        return server.xmlrpc("common", address=address).authenticate(server.db, login, secret, {})
    except xmlrpc.client.Fault as fault:
        return fault.faultString.strip().splitlines()[-1]


def count_partners(server, uid, secret, address="127.0.0.1"):
    """XML-RPC execute_kw from `address`: the count, or the fault's message."""
    try:
        return server.xmlrpc("object", address=address).execute_kw(
            server.db, uid, secret, "res.partner", "search_count", [[]])
    except xmlrpc.client.Fault as fault:
        return fault.faultString.strip().splitlines()[-1]


def accepted(server, uid, secret, count, address, threads=6):
    """`count` concurrent search_count calls from `address`; how many were accepted."""
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: count_partners(server, uid, secret, address), range(count)))
    return sum(isinstance(result, int) for result in results)


def workers_serving(backend, since, path="/xmlrpc/2/object"):
    """The worker pids of `backend` that served `path` since the log was `since` long."""
    log = backend.log()[since:]
    return {int(pid) for pid in re.findall(r"^\S+ \S+ (\d+) INFO .*POST %s" % re.escape(path), log, re.M)}


def marks(cluster):
    """Where each log is now: what follows is what the next steps did."""
    return [len(backend.log()) for backend in cluster.backends], len(cluster.proxy.log())


# --- 1. A key made in the web client, through the proxy -----------------------------------------


@pytest.fixture(scope="module")
def browser(cluster):
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        warm_up(chromium, cluster.odoo)
        yield chromium
        chromium.close()


@pytest.fixture
def web(request, browser, cluster):
    yield from checked_page(request, browser, cluster.odoo)


def test_a_key_made_in_the_web_client_works_through_the_proxy_and_on_every_server(cluster, web):
    odoo = cluster.odoo
    login, uid, password = new_user(odoo)
    _, proxy_mark = marks(cluster)

    # Preferences > Account Security > New API Key, at the proxy's address; no request sticks to a server.
    web.login(login, password)
    preferences = web.open_account_security()
    preferences.locator("button[name=api_key_wizard]").click()
    web.confirm_password(password)
    describe = web.dialog("New API Key")
    describe.locator("input[name=name]").fill("Behind nginx")
    describe.locator("button[name=make_key]").click()
    ready = web.dialog("API Key Ready")
    key = web.read_key(ready)
    ready.locator("button", has_text="Done").click()
    expect(web.key_rows(web.account_security(), "Behind nginx")).to_have_count(1)
    web_requests = [line for line in cluster.proxy.log()[proxy_mark:].splitlines() if '"POST /web/' in line]
    assert {upstream(backend) for backend in cluster.backends} <= {line.rsplit("-> ", 1)[1] for line in web_requests}, (
        "the web client's requests must have gone to both servers, sharing one session")

    # Through the proxy: XML-RPC and JSON-RPC.
    assert authenticate(odoo, login, key) == uid
    assert count_partners(odoo, uid, key) > 0
    assert odoo.jsonrpc("common", "login", odoo.db, login, key) == uid
    assert odoo.jsonrpc("object", "execute_kw", odoo.db, uid, key, "res.partner", "search_count", [[]]) > 0
    # On every server directly.
    for backend in cluster.backends:
        assert authenticate(backend, login, key) == uid, backend.url
        assert count_partners(backend, uid, key) > 0, backend.url
        assert backend.jsonrpc("common", "login", backend.db, login, key) == uid, backend.url


# --- 2. Revocation ------------------------------------------------------------------------------


def test_a_deleted_key_is_refused_whichever_server_and_worker_serves_the_call(cluster):
    odoo = cluster.odoo
    address = "127.0.0.40"  # its refused calls count towards a cooldown: nobody else's business
    user = odoo.logged_in_user()
    key = user.web.new_api_key(user.uid, user.password, "revoked behind the proxy")
    backend_marks, proxy_mark = marks(cluster)

    # Every server, and every worker of each, has accepted (and cached) the key.
    assert accepted(odoo, user.uid, key, 40, address) == 40
    for backend in cluster.backends:
        assert accepted(backend, user.uid, key, 20, address) == 20
    for backend, since in zip(cluster.backends, backend_marks):
        assert len(workers_serving(backend, since)) == 2, "both workers of %s must have served the key" % backend.url
    served = {line.rsplit("-> ", 1)[1] for line in cluster.proxy.log()[proxy_mark:].splitlines()
              if line.startswith(address + " ") and "/xmlrpc/2/object" in line}
    assert served == {upstream(backend) for backend in cluster.backends}

    key_id = user.web.call_kw("res.users.apikeys", "search", [[]])[0]
    user.web.delete_api_key(key_id, user.password)  # through the proxy too

    assert accepted(odoo, user.uid, key, 40, address) == 0
    for backend in cluster.backends:
        assert accepted(backend, user.uid, key, 20, address) == 0
    # The password is unaffected.
    assert accepted(odoo, user.uid, user.password, 8, "127.0.0.41") == 8


# --- 3. The client's address --------------------------------------------------------------------


def test_the_servers_see_the_clients_address_not_the_proxys(cluster):
    odoo = cluster.odoo
    user = odoo.logged_in_user()
    clients = ["127.0.0.51", "127.0.0.52", "127.0.0.53", "127.0.0.54"]
    backend_marks, proxy_mark = marks(cluster)
    for number, address in enumerate(clients):
        description = "used from %s" % address
        key = user.web.new_api_key(user.uid, user.password, description)
        if number % 2:
            assert odoo.jsonrpc("common", "login", odoo.db, user.login, key, address=address) == user.uid
        else:
            assert authenticate(odoo, user.login, key, address) == user.uid
        key_id = odoo.admin("res.users.apikeys", "search", [("name", "=", description)])[0]
        assert odoo.admin("res.users.apikeys", "read", [key_id], ["last_used_ip"])[0]["last_used_ip"] == address
        logs = "".join(backend.log()[since:] for backend, since in zip(cluster.backends, backend_marks))
        assert "Login successful with API key #%s for db:%s login:%s from %s" % (
            key_id, odoo.db, user.login, address) in logs
    nginx = cluster.proxy.log()[proxy_mark:]
    for address in clients:  # nginx saw each client, and passed its calls on
        assert re.search(r"^%s \"POST /(xmlrpc/2/common|jsonrpc) " % re.escape(address), nginx, re.M), address
    # No server warns of an X-Forwarded-For that it ignores.
    for backend in cluster.backends:
        assert "Odoo ignores it" not in backend.log()


# --- 4. and 5. One login cooldown for the cluster -------------------------------------------------


def fail_through_the_proxy(cluster, login, address):
    """AFTER wrong passwords from `address`, spread by round-robin over the servers."""
    _, proxy_mark = marks(cluster)
    for guess in range(AFTER):
        assert authenticate(cluster.odoo, login, "guess-%s" % guess, address) is False
    served = {line.rsplit("-> ", 1)[1] for line in cluster.proxy.log()[proxy_mark:].splitlines()
              if line.startswith(address + " ")}
    assert served == {upstream(backend) for backend in cluster.backends}, "the failures must reach both servers"


def right_password_everywhere(cluster, login, uid, password, address, calls, logins_only=False):
    """The right password from `address`, `calls` times through the proxy and on
    each server directly, to log in and (unless `logins_only`) to call:
    {where: (accepted, refused by the cooldown, other)}."""
    outcomes = {}
    for where, server in [("proxy", cluster.odoo)] + [("server %s" % b.port, b) for b in cluster.backends]:
        answers = []  # True for accepted, else the answer
        for _ in range(calls):
            answer = authenticate(server, login, password, address)
            answers.append(answer == uid or answer)
            if not logins_only:
                answer = count_partners(server, uid, password, address)
                answers.append(type(answer) is int or answer)
        outcomes[where] = (
            answers.count(True), sum("Too many failed logins" in str(a) for a in answers),
            [a for a in answers if a is not True and "Too many failed logins" not in str(a)],
        )
    return outcomes


def refused_everywhere(cluster, login, uid, password, address, calls=CALLS):
    """Whether every login was refused by the cooldown; else the outcomes. A login
    always hashes the password, so it always reads the cooldown that the servers
    share; a call with a password a worker has cached reads only what that
    worker remembers, and learns the cooldown at its first uncached attempt."""
    outcomes = right_password_everywhere(cluster, login, uid, password, address, calls, logins_only=True)
    return all(accepted == 0 and not other for accepted, _refused, other in outcomes.values()) or outcomes


def accepted_everywhere(cluster, login, uid, password, address, calls=4):
    """Whether every one of those calls was accepted; else the outcomes."""
    outcomes = right_password_everywhere(cluster, login, uid, password, address, calls)
    return all(refused == 0 and not other for _accepted, refused, other in outcomes.values()) or outcomes


def test_failures_spread_over_the_servers_start_one_cooldown_for_the_whole_cluster(cluster):
    odoo = cluster.odoo
    login, uid, password = new_user(odoo)
    attacker, bystander = "127.0.0.61", "127.0.0.62"
    assert accepted_everywhere(cluster, login, uid, password, attacker) is True  # and cached by the servers

    fail_through_the_proxy(cluster, login, attacker)
    started = time.time()
    # Not one of the servers' workers lets the right password log in.
    assert refused_everywhere(cluster, login, uid, password, attacker) is True, (
        "%s failures from %s through the proxy must start the cooldown on every server and worker" % (AFTER, attacker))
    assert any("Login cooldown: %s failed %s times" % (attacker, AFTER) in backend.log()
               for backend in cluster.backends)
    assert accepted_everywhere(cluster, login, uid, password, bystander) is True

    time.sleep(max(0, started + DURATION + 1 - time.time()))
    assert accepted_everywhere(cluster, login, uid, password, attacker) is True, "the cooldown must end everywhere"


def test_a_server_restarted_during_a_cooldown_keeps_it(cluster):
    odoo = cluster.odoo
    login, uid, password = new_user(odoo)
    attacker = "127.0.0.71"
    restarted = cluster.backends[-1]

    fail_through_the_proxy(cluster, login, attacker)
    started = time.time()
    assert refused_everywhere(cluster, login, uid, password, attacker, calls=4) is True

    restarted.restart()
    assert time.time() < started + DURATION - 2, "the restart took too long for this cooldown"
    first = authenticate(restarted, login, password, attacker)
    assert "Too many failed logins" in str(first), "the restarted server's first answer: %r" % (first,)
    assert refused_everywhere(cluster, login, uid, password, attacker, calls=4) is True
