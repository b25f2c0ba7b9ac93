"""A real nginx in front of a real gunicorn on 127.0.0.1, as deploy/nginx.conf lays them out.

Random free ports, a temporary nginx configuration that uses the shipped one's redaction block
and proxy headers, gunicorn with the shipped ``gunicorn.conf.py`` on the test database; both are
started and stopped by the test. Clients can connect from different loopback addresses
(127.0.0.2, 127.0.0.3, ...), so nginx sees different clients as it would on the internet.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import _database_url, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SHIPPED_NGINX = ROOT / "deploy" / "nginx.conf"


def nginx_binary() -> str:
    """nginx, or a clear stop: under CI a missing nginx fails the test, elsewhere it is skipped with the command."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    message = "nginx is not installed: apt-get install -y nginx"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def shipped_redaction_block() -> str:
    text = SHIPPED_NGINX.read_text()
    return text[text.index("# --- Secrets in URLs: begin") : text.index("# --- Secrets in URLs: end")]


def shipped_proxy_headers() -> list[str]:
    """The ``proxy_set_header`` lines of the shipped HTTPS server (X-Forwarded-For, X-Request-ID, ...)."""
    text = SHIPPED_NGINX.read_text()
    https = text[text.index("listen 443") :]
    return sorted(set(re.findall(r"^\s*(proxy_set_header [^;]+;)", https, re.MULTILINE)))


@dataclass
class Stack:
    port: int
    folder: Path
    gunicorn_log: Path

    def request(self, method: str, path: str, *, source: str = "127.0.0.1", body=None, headers=None):
        """One HTTP request to nginx from ``source`` (a loopback address); (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(source, 0))
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def nginx_access_log(self) -> str:
        return (self.folder / "access.log").read_text()

    def gunicorn_output(self) -> str:
        return self.gunicorn_log.read_text(errors="replace")


@contextmanager
def nginx_and_gunicorn(folder: Path, extra_env: dict | None = None):
    """Start gunicorn (test settings, the test database) and nginx in front; stop both after."""
    from django.conf import settings

    nginx = nginx_binary()
    folder.mkdir(parents=True, exist_ok=True)
    gunicorn_port, nginx_port = free_port(), free_port()
    env = (
        os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "stockdata.settings.test",
            "DATABASE_URL": _database_url(),
            "STOCKDATA_TEST_RUN_DIR": str(settings.TEST_RUN_DIR),
            "GUNICORN_BIND": f"127.0.0.1:{gunicorn_port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "2",
            "GUNICORN_ACCESSLOG": "-",
            "LOG_FORMAT": "json",
            "STOCKDATA_TRUSTED_PROXIES": "1",  # as docs/DEPLOY.md sets it behind nginx
            "AXES_ENABLED": "true",
            "PYTHONUNBUFFERED": "1",
        }
        | (extra_env or {})
    )
    gunicorn_log = folder / "gunicorn.log"
    headers = "\n        ".join(shipped_proxy_headers())
    (folder / "nginx.conf").write_text(
        f"""
user root;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 64; }}
http {{
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    {shipped_redaction_block()}
    server {{
        listen 127.0.0.1:{nginx_port};
        access_log {folder}/access.log stockdata_redacted;
        location / {{
        {headers}
            proxy_http_version 1.1;
            proxy_pass http://127.0.0.1:{gunicorn_port};
        }}
    }}
}}
"""
    )
    with gunicorn_log.open("w") as log:
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "stockdata.wsgi", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    proxy = subprocess.Popen(
        [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(gunicorn_port, 60)
        wait_for_port(nginx_port, 30)
        yield Stack(port=nginx_port, folder=folder, gunicorn_log=gunicorn_log)
    finally:
        for proc in (proxy, gunicorn):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
