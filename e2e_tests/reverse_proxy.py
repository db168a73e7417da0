"""Debian's nginx in front of several Odoo servers, as a real deployment runs it.

The tests start nginx themselves, in the foreground, with a configuration of
their own in a temporary folder (pid file, temporary files), on a free
loopback port: the system's nginx service and its configuration are never
touched. Its error and access logs go to one file in artifacts/."""
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from odoo_servers import ARTIFACTS, OdooServer, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin may be missing from a user's PATH

# The configuration the README shows. Odoo 11 takes the client's address from
# X-Forwarded-For only with --proxy-mode AND when the request carries
# X-Forwarded-Host. $http_host is the Host the client sent, port included: the
# proxy listens on a port other than 80 here, and Odoo builds its redirects
# from that header ($host, without the port, is right on 80 and 443).
CONFIGURATION = """\
{user}
worker_processes 2;
pid {folder}/nginx.pid;
error_log {log} notice;
events {{
    worker_connections 512;
}}
http {{
    log_format upstream '$remote_addr "$request" $status -> $upstream_addr';
    access_log {log} upstream;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 64m;

    # Round-robin, no stickiness: any request may reach any server.
    upstream odoo {{
{servers}
    }}
    upstream odoo_longpolling {{
{longpolling}
    }}

    server {{
        listen 127.0.0.1:{port};
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_read_timeout 120s;

        location /longpolling {{
            proxy_pass http://odoo_longpolling;
        }}
        location / {{
            proxy_pass http://odoo;
        }}
    }}
}}
"""


class ReverseProxy:
    """nginx on a free loopback port, balancing round-robin over `backends`
    (OdooServer objects; those with workers also get /longpolling)."""

    def __init__(self, backends, name="proxy"):
        self.backends = list(backends)
        self.port = free_port()
        self.url = "http://127.0.0.1:%s" % self.port
        self.folder = Path(tempfile.mkdtemp(prefix="auth_apikeys-nginx-"))
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / ("nginx-%s.log" % name)
        self.log_path.write_text("")
        self.log_file = open(self.log_path, "a")
        self.conf = self.folder / "nginx.conf"
        self.conf.write_text(CONFIGURATION.format(
            # Run as root, nginx would run its workers as `nobody`, who cannot
            # enter this private folder; as anyone else it runs them as itself.
            user="user root;" if os.geteuid() == 0 else "",
            folder=self.folder, log=self.log_path, port=self.port,
            servers=self._servers(lambda backend: backend.port),
            longpolling=self._servers(lambda backend: backend.longpolling_port or backend.port),
        ))
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-c", str(self.conf), "-e", str(self.log_path), "-g", "daemon off;"],
            stdout=self.log_file, stderr=subprocess.STDOUT,
        )
        self.wait_until_serving()

    def _servers(self, port):
        return "\n".join("        server 127.0.0.1:%s;" % port(backend) for backend in self.backends)

    def wait_until_serving(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.process.poll() is None, "nginx exited, see %s" % self.log_path
            try:
                urllib.request.urlopen(self.url + "/web/webclient/version_info", b"{}", timeout=10).close()
                return
            except urllib.error.HTTPError:
                return  # nginx answers (the backends may not, yet)
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise AssertionError("nginx did not serve within %ss, see %s" % (timeout, self.log_path))

    def log(self):
        return self.log_path.read_text()

    def upstreams_serving(self, path):
        """The backend addresses (host:port) nginx passed requests for `path` to."""
        needle = " %s " % path
        return {line.rsplit("-> ", 1)[1] for line in self.log().splitlines() if needle in line and "-> " in line}

    def stop(self):
        self.process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()
        shutil.rmtree(str(self.folder), ignore_errors=True)


class ThroughTheProxy(OdooServer):
    """The servers behind `proxy`, as a client sees them: OdooServer's clients
    (XML-RPC, JSON-RPC, admin calls, WebClient, the browser's WebPage) at the
    proxy's URL. Starts and stops nothing."""

    def __init__(self, proxy, db):  # pylint: disable=super-init-not-called
        self.proxy, self.db, self.url = proxy, db, proxy.url
        self.log_path, self.log_file = proxy.log_path, proxy.log_file

    def stop(self):
        pass
