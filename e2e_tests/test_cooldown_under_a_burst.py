"""Guesses sent at the same instant from one address: no more than the threshold are judged,
whichever servers and workers serve them."""
import threading
import xmlrpc.client

import pytest

from odoo_servers import OdooServer, copy_template

AFTER, BURST = 5, 40
REFUSED = "refused by the cooldown"


@pytest.fixture(scope="module")
def servers():
    """A threaded server and a --workers=2 one on one database, the cooldown after 5 failures."""
    db = copy_template("burst")
    threaded, prefork = OdooServer(db, name="burst-threaded"), OdooServer(db, workers=2, name="burst-prefork")
    threaded.set_param("auth_apikeys.login_cooldown_after", AFTER)
    threaded.set_param("auth_apikeys.login_cooldown_window", 600)
    threaded.set_param("auth_apikeys.login_cooldown_duration", 600)
    yield {"threaded": [threaded], "prefork": [prefork], "two servers": [threaded, prefork]}
    threaded.stop()
    prefork.stop()


def burst(servers, login, passwords, address):
    """Every password sent at once from `address`, spread over `servers`: the answers, in order."""
    answers = [None] * len(passwords)
    start = threading.Barrier(len(passwords))

    def guess(slot):
        server = servers[slot % len(servers)]
        common = server.xmlrpc("common", address=address)
        start.wait()
        try:
            answers[slot] = common.authenticate(server.db, login, passwords[slot], {})
        except xmlrpc.client.Fault as fault:
            answers[slot] = REFUSED if "Too many failed logins" in fault.faultString else fault.faultString

    threads = [threading.Thread(target=guess, args=(slot,)) for slot in range(len(passwords))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


CASES = {"threaded": "127.0.0.61", "prefork": "127.0.0.62", "two servers": "127.0.0.63"}


@pytest.mark.parametrize("which", list(CASES))
def test_a_burst_of_guesses_is_judged_no_further_than_the_threshold(servers, which):
    first = servers[which][0]
    user = first.logged_in_user()
    address = CASES[which]
    passwords = ["guess-%s" % number for number in range(BURST)]
    passwords.insert(BURST // 2, user.password)

    answers = burst(servers[which], user.login, passwords, address)

    wrong = [answer for password, answer in zip(passwords, answers) if password != user.password]
    right = answers[passwords.index(user.password)]
    assert wrong.count(False) == AFTER, "%s wrong passwords judged" % wrong.count(False)
    assert wrong.count(REFUSED) == BURST - AFTER, set(wrong)
    assert right in (user.uid, REFUSED)
    rows = first.admin("res.users.login.cooldown", "search_read", [("address", "=", address)], ["blocked_until"])
    assert len(rows) == 1 and rows[0]["blocked_until"], "the shared table holds the cooldown"
    for server in servers[which]:
        assert "could not serialize" not in server.log()
