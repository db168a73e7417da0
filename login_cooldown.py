"""Refuse authentication attempts from an address that failed too often.

Like Odoo 16's login cooldown, counted per address in each server process:
after `auth_apikeys.login_cooldown_after` failures within
`auth_apikeys.login_cooldown_window` seconds, attempts from that address are
refused for `auth_apikeys.login_cooldown_duration` seconds, without checking
them, so guessing stops paying off.
"""
import logging
import threading
import time

from odoo.exceptions import AccessDenied

_logger = logging.getLogger(__name__)

DEFAULTS = {"after": 10, "window": 60, "duration": 60}
MAX_ADDRESSES = 10000  # beyond this, addresses whose window and cooldown are over are forgotten


class LoginCooldownError(AccessDenied):
    """An AccessDenied that says why (Odoo 11's own takes no message)."""

    def __init__(self, message):
        Exception.__init__(self, message)


class LoginCooldown(object):
    """Failure counts of one database, per client address."""

    def __init__(self):
        self._lock = threading.Lock()
        self._failures = {}  # address -> [count, first failure time, blocked until]

    def blocked_for(self, address):
        """Seconds left in the cooldown of `address`, or 0."""
        state = self._failures.get(address)
        return max(0, int(state[2] - time.time() + 0.999)) if state else 0

    def record_failure(self, address, settings):
        """Count a failed attempt; start the cooldown at the threshold."""
        now = time.time()
        with self._lock:
            if len(self._failures) > MAX_ADDRESSES:
                self._forget_idle(now, settings["window"])
            state = self._failures.get(address)
            if state is None or now - state[1] > settings["window"]:
                state = self._failures[address] = [0, now, 0]
            state[0] += 1
            if state[0] >= settings["after"] and state[2] <= now:
                state[2] = now + settings["duration"]
                state[0], state[1] = 0, now
                _logger.warning(
                    "Login cooldown: %s failed %s times within %ss, refused for %ss",
                    address, settings["after"], settings["window"], settings["duration"],
                )

    def _forget_idle(self, now, window):
        """Keep memory bounded when many addresses fail a few times each."""
        for address, (_count, first, blocked_until) in list(self._failures.items()):
            if blocked_until <= now and now - first > window:
                del self._failures[address]


def read_settings(env):
    """The thresholds from the system parameters, falling back to the defaults."""
    get = env["ir.config_parameter"].sudo().get_param
    settings = {}
    for name, default in DEFAULTS.items():
        try:
            settings[name] = max(1, int(get("auth_apikeys.login_cooldown_%s" % name, default)))
        except ValueError:
            settings[name] = default
    return settings
