"""How much API keys cost on the hot path, measured side by side in one run.

`make bench` runs this against real Odoo servers (threaded and --workers=2) on
a fresh database and prints a table with the targets it meets or misses. The
figures also go to bench/results.json and a plot to docs/bench.png.
Password and key runs alternate in short rounds, so machine noise hits both.
"""
# The report on stdout is what this tool is for.
# pylint: disable=print-used
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "e2e_tests"))

from odoo_servers import ADMIN_UID, ODOO, OdooServer, WebClient, loop_while_deleting  # noqa: E402

DB = "apikeys_bench"
LARGE_DB = "apikeys_bench_large"  # the same, plus 100,000 keys of 1,000 users
ROUNDS, ROUND_SECONDS = 4, 1.5
LATENCY_SAMPLES = 150


def create_databases():
    for db in (DB, LARGE_DB):
        subprocess.run(["dropdb", "--if-exists", db], check=True)
    subprocess.run([ODOO, "-d", DB, "-i", "auth_apikeys", "--stop-after-init", "--log-level=warn"], check=True)
    # The benchmark fails no login on purpose, but keep the cooldown out of the way.
    psql("UPDATE ir_config_parameter SET value = '1000000' WHERE key = 'auth_apikeys.login_cooldown_after'")
    subprocess.run(["createdb", "-T", DB, LARGE_DB], check=True)


def psql(query, db=DB):
    return subprocess.run(["psql", "-qtAc", query, db], check=True, capture_output=True, text=True).stdout.strip()


def search_count(server, uid, secret):
    """The same call over XML-RPC, with a password or a key."""
    proxy = xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/object")
    return lambda: proxy.execute_kw(DB, uid, secret, "res.partner", "search_count", [[]])


def json2_search_count(server, key):
    """The same call over JSON-2, one connection per client as XML-RPC's proxy keeps."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Authorization": "bearer %s" % key, "X-Odoo-Database": DB, "Content-Type": "application/json"}

    def call():
        connection.request("POST", "/json/2/res.partner/search_count", b'{"domain": []}', headers)
        answer = connection.getresponse()
        assert answer.status == 200, answer.read()
        return json.loads(answer.read())

    return call


def calls_per_second(calls, clients):
    """Alternate short rounds per way of calling (`calls`: name -> a factory of a
    client's call); return {name: calls per second}, and under "rounds" the
    per-round rates, to show the machine's noise."""
    done = {name: 0 for name in calls}
    spent = {name: 0.0 for name in calls}
    rounds = {name: [] for name in calls}
    for _ in range(ROUNDS):
        for name, make_call in calls.items():
            stop = time.perf_counter() + ROUND_SECONDS
            counts = [0] * clients

            def loop(slot):
                call = make_call()
                while time.perf_counter() < stop:
                    call()
                    counts[slot] += 1

            start = time.perf_counter()
            threads = [threading.Thread(target=loop, args=(slot,)) for slot in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            spent[name] += time.perf_counter() - start
            done[name] += sum(counts)
            rounds[name].append(sum(counts) / (time.perf_counter() - start))
    rates = {name: done[name] / spent[name] for name in calls}
    rates["rounds"] = rounds
    return rates


def authenticate_latencies(server, login, secrets, samples=LATENCY_SAMPLES):
    """Alternate single authenticate calls; return {secret name: [seconds]}.
    Secrets named "wrong ..." must fail, the others succeed."""
    common = xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/common")
    timings = {name: [] for name in secrets}
    for _ in range(samples):
        for name, secret in secrets.items():
            start = time.perf_counter()
            uid = common.authenticate(DB, login, secret, {})
            timings[name].append(time.perf_counter() - start)
            assert bool(uid) != name.startswith("wrong"), name
    return timings


def summary(seconds):
    ordered = sorted(seconds)
    return {"median_ms": 1000 * statistics.median(ordered), "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))]}


def alternating_key_latencies(setups, rounds):
    """Authenticate with a key on each server in turn, `rounds` times: {label: [seconds]}.

    `setups` maps a label to (server, login, keys); with one key, every round reuses
    it (repeated use); with as many keys as rounds, each is used once (first use)."""
    timings = {label: [] for label in setups}
    for n in range(rounds):
        for label, (server, login, keys) in setups.items():
            common = xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/common")
            start = time.perf_counter()
            assert common.authenticate(server.db, login, keys[n % len(keys)], {})
            timings[label].append(time.perf_counter() - start)
    return timings


def bench_user(server, login, password):
    """The same user in each database: returns (uid, a logged-in WebClient)."""
    uid = server.admin("res.users", "create", {"name": login, "login": login, "password": password})
    web = WebClient(server)
    web.authenticate(login, password)
    return uid, web


def make_keys(web, uid, password, count):
    return [web.new_api_key(uid, password, "bench %s" % n) for n in range(count)]


def add_bulk_keys(users=1000, keys=100000, db=LARGE_DB):
    """1,000 users owning 100,000 keys. They share one hash (hashing 100,000 keys
    would take minutes) but each has its own random index, as real keys do."""
    psql(
        "INSERT INTO res_users (login, partner_id, company_id, active, share) "
        "SELECT 'bench-' || n, (SELECT partner_id FROM res_users WHERE id = %d), 1, true, false "
        "FROM generate_series(1, %d) n" % (ADMIN_UID, users), db,
    )
    psql(
        "INSERT INTO res_users_apikeys (name, user_id, scope, index, key) "
        "SELECT 'bulk ' || n, u.id, NULL, substr(md5(random()::text), 1, 8), "
        "(SELECT key FROM res_users_apikeys LIMIT 1) "
        "FROM generate_series(1, %d) n JOIN res_users u ON u.login = 'bench-' || (1 + n %% %d)" % (keys, users), db,
    )
    psql("ANALYZE res_users_apikeys", db)
    return int(psql("SELECT count(*) FROM res_users_apikeys", db))


def revocation(server, web, uid, password, clients=4):
    """Delete a key while clients loop on it; count calls accepted after the delete committed."""
    key = web.new_api_key(uid, password, "revoked under load")
    key_id = web.call_kw("res.users.apikeys", "search", [[("name", "=", "revoked under load")]])[0]
    accepted, refused, delay = loop_while_deleting(
        server, uid, key, lambda: web.delete_api_key(key_id, password), clients)
    return {
        "calls_sent_after_delete_and_accepted": accepted,
        "clients_refused": refused,
        "clients": clients,
        "ms_to_first_refusal": None if delay is None else 1000 * delay,
    }


def main():
    create_databases()
    results = {"throughput": {}, "authenticate": {}, "table_size": {}, "revocation": {}}
    threaded = OdooServer(DB, workers=0, name="bench-threaded")
    prefork = OdooServer(DB, workers=2, name="bench-prefork")
    large = OdooServer(LARGE_DB, workers=0, name="bench-large")
    try:
        login, password = "bench-user", "bench-%s" % uuid.uuid4().hex
        uid, web = bench_user(threaded, login, password)
        key = web.new_api_key(uid, password, "bench")
        secrets = {"password": password, "key": key}

        for label, server in (("workers=0", threaded), ("workers=2", prefork)):
            calls = {"password": lambda server=server: search_count(server, uid, password),
                     "key": lambda server=server: search_count(server, uid, key),
                     "key, JSON-2": lambda server=server: json2_search_count(server, key)}
            for clients in (1, 8):
                rates = calls_per_second(calls, clients)
                for ratio, (over, under) in (("ratio", ("key", "password")), ("json2_ratio", ("key, JSON-2", "key"))):
                    round_ratios = [a / b for a, b in zip(rates["rounds"][over], rates["rounds"][under])]
                    rates[ratio] = rates[over] / rates[under]
                    rates[ratio + "_min"], rates[ratio + "_max"] = min(round_ratios), max(round_ratios)
                results["throughput"]["%s, %d client%s" % (label, clients, "s" if clients > 1 else "")] = rates

        wrong = {"wrong password": "not-" + password, "wrong key": uuid.uuid4().hex + "01234567"}
        timings = authenticate_latencies(threaded, login, dict(secrets, **wrong))
        timings.update(authenticate_latencies(threaded, "nobody-%s" % uuid.uuid4().hex[:8], {"wrong login": password}))
        results["authenticate"] = {name: summary(values) for name, values in timings.items()}
        results["authenticate"]["ratio_median"] = (
            results["authenticate"]["key"]["median_ms"] / results["authenticate"]["password"]["median_ms"]
        )

        # Table size: the same user and keys' use on two servers, one per database, call for call.
        large_uid, large_web = bench_user(large, login, password)
        first_use = {"small": make_keys(web, uid, password, 30), "large": make_keys(large_web, large_uid, password, 30)}
        large_key = large_web.new_api_key(large_uid, password, "bench")
        counts = {"small": int(psql("SELECT count(*) FROM res_users_apikeys")), "large": add_bulk_keys()}
        repeat = alternating_key_latencies(
            {"small": (threaded, login, [key]), "large": (large, login, [large_key])}, 200)
        first = alternating_key_latencies(
            {"small": (threaded, login, first_use["small"]), "large": (large, login, first_use["large"])}, 30)
        results["table_size"] = {"keys_small": counts["small"], "keys_large": counts["large"]}
        for kind, timings in (("repeat", repeat), ("first_use", first)):
            for size in ("small", "large"):
                results["table_size"].setdefault(size, {})[kind] = summary(timings[size])
            results["table_size"]["ratio_" + kind] = (
                results["table_size"]["large"][kind]["median_ms"] / results["table_size"]["small"][kind]["median_ms"])

        results["revocation"] = {
            "workers=2": revocation(prefork, web, uid, password),
            "workers=0": revocation(threaded, web, uid, password),
        }
    finally:
        for server in (threaded, prefork, large):
            server.stop()

    report(results)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, ROOT / "docs" / "bench.png")


def verdict(ok):
    return "meets" if ok else "MISSES"


def report(results):
    print("\nCalls per second, res.partner search_count: XML-RPC execute_kw with a password and a key, JSON-2")
    print("%-24s %10s %10s %8s %13s   target key/password >= 0.95" % ("", "password", "key", "ratio", "rounds"))
    for label, rates in results["throughput"].items():
        print("%-24s %10.0f %10.0f %8.2f   %.2f–%.2f   %s" % (
            label, rates["password"], rates["key"], rates["ratio"], rates["ratio_min"], rates["ratio_max"],
            verdict(rates["ratio"] >= 0.95)))
    print("%-24s %10s %10s %8s %13s" % ("", "key", "JSON-2", "ratio", "rounds"))
    for label, rates in results["throughput"].items():
        print("%-24s %10.0f %10.0f %8.2f   %.2f–%.2f" % (
            label, rates["key"], rates["key, JSON-2"], rates["json2_ratio"], rates["json2_ratio_min"],
            rates["json2_ratio_max"]))

    auth = results["authenticate"]
    print("\ncommon.authenticate latency (ms)      median      p95")
    for name in ("password", "key", "wrong password", "wrong key"):
        print("  %-34s %8.2f %8.2f" % (name, auth[name]["median_ms"], auth[name]["p95_ms"]))
    print("  key / password (median): %.2f   target <= 0.25: %s" % (
        auth["ratio_median"], verdict(auth["ratio_median"] <= 0.25)))
    print("  a failed attempt (counted in PostgreSQL) / a good password (median): %.2f" % (
        auth["wrong password"]["median_ms"] / auth["password"]["median_ms"]))
    unknown_ratio = auth["wrong login"]["median_ms"] / auth["wrong password"]["median_ms"]
    print("  a login that does not exist / a wrong password (median): %.2f   target 0.8–1.25: %s" % (
        unknown_ratio, verdict(0.8 <= unknown_ratio <= 1.25)))

    size = results["table_size"]
    print("\nKey authenticate latency by table size, two servers called in turn (median ms)")
    print("  %-48s %8d %10d   ratio" % ("keys in the table:", size["keys_small"], size["keys_large"]))
    for kind in ("repeat", "first_use"):
        ratio = size["ratio_" + kind]
        print("  %-48s %8.2f %10.2f %7.2f   target <= 1.1: %s" % (
            "repeated use" if kind == "repeat" else "first use (index lookup + hash)",
            size["small"][kind]["median_ms"], size["large"][kind]["median_ms"], ratio, verdict(ratio <= 1.1)))

    print("\nRevocation under load (clients looping on the key while it is deleted)")
    for label, rev in results["revocation"].items():
        accepted, refused = rev["calls_sent_after_delete_and_accepted"], rev["clients_refused"]
        delay = rev["ms_to_first_refusal"]
        print("  %-10s calls accepted after the delete: %d; clients refused: %d of %d; first refusal %s ms after"
              "   target: next call: %s" % (
                  label, accepted, refused, rev["clients"], "-" if delay is None else "%.1f" % delay,
                  verdict(accepted == 0 and refused == rev["clients"])))


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    labels = list(results["throughput"])
    positions = range(len(labels))
    bars = ((-0.27, "password", "password"), (0, "key", "API key"), (0.27, "key, JSON-2", "API key, JSON-2"))
    for offset, name, legend in bars:
        left.bar([p + offset for p in positions], [results["throughput"][x][name] for x in labels], 0.27,
                 label=legend)
    left.set_xticks(list(positions))
    left.set_xticklabels(labels, rotation=15, fontsize=8)
    left.set_ylabel("search_count calls / s")
    left.set_title("Throughput")
    left.legend()
    auth = results["authenticate"]
    right.bar(["password", "API key"], [auth["password"]["median_ms"], auth["key"]["median_ms"]],
              color=["tab:blue", "tab:orange"])
    right.set_ylabel("ms (median)")
    right.set_title("common.authenticate latency")
    figure.tight_layout()
    path.parent.mkdir(exist_ok=True)
    figure.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
