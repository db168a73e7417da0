"""A PostgreSQL cluster of the tests' own, in a temporary folder: a test may
restart it without dropping every other connection to the machine's cluster."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from odoo_servers import ARTIFACTS, free_port


def newest_binaries():
    """Debian's binaries of the newest PostgreSQL installed."""
    initdb = max(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: float(path.split("/")[4]))
    return Path(initdb).parent


class PrivatePostgres:
    """initdb and pg_ctl run as `postgres` under root (PostgreSQL refuses to run
    as root), else as the current user. Its superuser is named after the current
    user (Odoo refuses the `postgres` role). It listens only on a unix socket in
    its folder, with peer authentication: no other local user can use it."""

    def __init__(self, name):
        self.name = name
        self.bin = newest_binaries()
        self.folder = tempfile.mkdtemp(prefix="auth_apikeys_pg_")
        self.data = os.path.join(self.folder, "data")
        self.log_path = os.path.join(self.folder, "postgres.log")
        self.port = free_port()  # names the socket: no TCP
        if os.getuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")

    def start(self):
        """initdb, then start; the settings go to postgresql.conf so that restart() keeps them."""
        user = pwd.getpwuid(os.getuid()).pw_name
        self.as_owner("initdb", "-D", self.data, "-U", user, "-E", "UTF8", "--locale=C.UTF-8",
                      "--auth-local=peer", "--auth-host=reject")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("port = %s\nunix_socket_directories = '%s'\nlisten_addresses = ''\n" % (self.port, self.folder))
        self.as_owner("pg_ctl", "start", "-w", "-D", self.data, "-l", self.log_path)

    def restart(self):
        self.as_owner("pg_ctl", "restart", "-w", "-m", "fast", "-D", self.data, "-l", self.log_path)

    def stop(self):
        """Stop the cluster if it runs, keep its log in artifacts/, remove the folder."""
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.as_owner("pg_ctl", "stop", "-w", "-m", "fast", "-D", self.data)
        if os.path.exists(self.log_path):
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(self.log_path, ARTIFACTS / ("postgres-%s.log" % self.name))
        shutil.rmtree(self.folder)

    def copy_database(self, db):
        """Copy a database of the machine's cluster here, under the same name.

        Its filestore is not copied, as with createdb -T: RPC calls read no attachment."""
        dump = os.path.join(self.folder, "%s.dump" % db)
        subprocess.run(["pg_dump", "-Fc", "-f", dump, db], check=True)
        subprocess.run(
            [str(self.bin / "pg_restore"), "--create", "--exit-on-error", "-h", self.folder, "-p", str(self.port),
             "-d", "postgres", dump],
            check=True,
        )
        return db

    def as_owner(self, command, *args):
        """Run a PostgreSQL binary as the cluster's owner, quietly unless it fails."""
        runuser = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        argv = runuser + [str(self.bin / command), *args]
        subprocess.run(argv, cwd=self.folder, stdout=subprocess.DEVNULL, check=True)
