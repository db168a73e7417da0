"""The master password opens Odoo's `db` service (create, drop, dump and restore
any database): guessing it is counted per client address, as logins are.

After as many failures from one address within a window as the login cooldown
allows by default, that address is refused for as long, without checking.
There is no database at hand, so failures are counted in memory, in a table
shared by the processes of one server: it is made when the addon is imported,
and the addon is loaded server-wide (README), so before Odoo's prefork server
forks its workers. Each server counts its own failures, and a restart forgets
them.

A server that runs with Odoo 11's default master password, `admin`, says so
once in its log.
"""
import ctypes
import logging
import mmap
import multiprocessing
import time

import odoo.addons.base.res.res_users
import odoo.service.db
from odoo import _
from odoo.tools import config

from .auth_rules import COOLDOWN_DEFAULTS
from .current_call import remote_address
from .errors import LoginCooldownError
from .patching import patch

_logger = logging.getLogger(__name__)

SLOTS = 1024  # addresses tracked at once; beyond, the one whose window started first is forgotten


class _Address(ctypes.Structure):
    _fields_ = [
        ("address", ctypes.c_char * 64),
        ("attempts", ctypes.c_int),  # failures, and attempts being checked, in the current window
        ("window_start", ctypes.c_double),
        ("refused_until", ctypes.c_double),
    ]


_table = (_Address * SLOTS).from_buffer(mmap.mmap(-1, ctypes.sizeof(_Address) * SLOTS))  # shared after fork
_lock = multiprocessing.Lock()  # a semaphore: shared after fork too


def _slot(address, now):
    """The slot of `address`, taking over a free or the oldest one."""
    free = oldest = None
    for slot in _table:
        if slot.address == address:
            return slot
        if slot.refused_until < now and slot.window_start < now - COOLDOWN_DEFAULTS["window"] and free is None:
            free = slot
        if oldest is None or slot.window_start < oldest.window_start:
            oldest = slot
    slot = free or oldest
    slot.address, slot.attempts, slot.window_start, slot.refused_until = address, 0, now, 0.0
    return slot


def _begin_attempt(address):
    """Count the attempt before it is checked, so that concurrent attempts cannot
    outrun the count; seconds left to wait if the address may not try now, else 0."""
    now = time.time()
    with _lock:
        slot = _slot(address, now)
        if slot.refused_until >= now:
            return int(slot.refused_until - now) + 1
        if slot.refused_until or slot.window_start < now - COOLDOWN_DEFAULTS["window"]:
            slot.attempts, slot.window_start, slot.refused_until = 0, now, 0.0
        if slot.attempts >= COOLDOWN_DEFAULTS["after"]:
            return COOLDOWN_DEFAULTS["duration"]
        slot.attempts += 1
        return 0


def _end_attempt(address, failed):
    """A success is not counted; a failure that reaches the limit starts the address's cooldown."""
    with _lock:
        slot = _slot(address, time.time())
        if not failed:
            slot.attempts = max(0, slot.attempts - 1)
        elif slot.attempts >= COOLDOWN_DEFAULTS["after"] and not slot.refused_until:
            slot.refused_until = time.time() + COOLDOWN_DEFAULTS["duration"]
            return True
    return False


def _counted_per_address(check_super):
    def wrapper(passwd):
        address = remote_address()
        key = address.encode("utf-8", "replace")[:64]
        wait = _begin_attempt(key)
        if wait:
            _logger.info("Master password not checked for %s: too many failures, %s seconds left", address, wait)
            raise LoginCooldownError(
                _("Too many failed master password attempts from your address: try again in %s seconds.") % wait)
        try:
            result = check_super(passwd)
        except Exception:
            if _end_attempt(key, failed=True):
                _logger.warning("Master password: %s failures from %s within %s seconds, refused for %s seconds",
                                COOLDOWN_DEFAULTS["after"], address, COOLDOWN_DEFAULTS["window"],
                                COOLDOWN_DEFAULTS["duration"])
            else:
                _logger.info("Master password: a failure from %s", address)
            raise
        _end_attempt(key, failed=False)
        return result

    return wrapper


def warn_if_default():
    """Once per process, when it serves (not for a --stop-after-init run)."""
    if not config["stop_after_init"] and config.verify_admin_password("admin"):
        _logger.warning("This server's master password is Odoo's default, 'admin': anyone who reaches it can "
                        "dump, drop or restore every database. Set admin_passwd in its configuration file.")


def apply():
    warn_if_default()
    patch(odoo.service.db, "check_super", _counted_per_address)
    patch(odoo.addons.base.res.res_users, "check_super", _counted_per_address)
