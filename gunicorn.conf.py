"""gunicorn settings for Stockdata's web process. Every value can be set from the environment.

    gunicorn stockdata.wsgi -c gunicorn.conf.py

Run it behind a reverse proxy (deploy/nginx.conf) that terminates TLS, buffers request
bodies and sets X-Forwarded-Proto. Logs go to stdout/stderr, one JSON object per line
unless LOG_FORMAT=plain; the access line carries the X-Request-ID Django set, so it joins
the application's own ``stockdata.request`` line.
"""

import multiprocessing
import os
import sys

from gunicorn import glogging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stockdata.redaction import redact


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# --- Where and how many ------------------------------------------------------------------------

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:" + os.environ.get("PORT", "8000")).split(",")
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
# Threads let a worker keep serving while one thread streams a large private download.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 4)
# Workers heartbeat through a file here; /dev/shm avoids stalls on slow container disks.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or ("/dev/shm" if os.path.isdir("/dev/shm") else None)
# Own the Django settings choice here so a unit file cannot forget it.
raw_env = [f"DJANGO_SETTINGS_MODULE={os.environ.get('DJANGO_SETTINGS_MODULE', 'stockdata.settings.production')}"]

# --- Timeouts and recycling --------------------------------------------------------------------

# A request still running after this many seconds gets its worker killed and restarted.
timeout = _int("GUNICORN_TIMEOUT", 60)
# On SIGTERM (deploys, systemctl stop) requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Restart each worker after about this many requests; the jitter keeps them from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# --- Request limits (the proxy enforces the body size: client_max_body_size) --------------------

limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# --- Proxy --------------------------------------------------------------------------------------

# Trust X-Forwarded-Proto/For only from the proxy on this host (a list of IPs or CIDRs).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips

# --- Logs ----------------------------------------------------------------------------------------

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # "-" is stdout; empty turns it off
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
capture_output = False


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with consent and download secrets cut out of the access line (request
    line, path, query, Referer and every header atom): ``/consent/<selector>.[redacted]/``."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


class JsonLogger(RedactingLogger):
    """gunicorn's own lines (access and error) as JSON objects, one per line."""

    def setup(self, cfg):
        super().setup(cfg)
        from pythonjsonlogger.json import JsonFormatter

        formatter = JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = {name.lower(): value for name, value in resp.headers}
        path = redact(environ.get("PATH_INFO", ""))
        self.access_log.info(
            "%s %s %s",
            environ.get("REQUEST_METHOD"),
            path,
            status,
            extra={
                "remote_addr": environ.get("REMOTE_ADDR", "-"),
                "method": environ.get("REQUEST_METHOD"),
                "path": path,
                "query": redact(environ.get("QUERY_STRING", "")),
                "protocol": environ.get("SERVER_PROTOCOL"),
                "status": int(status),
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "request_id": headers.get("x-request-id", "-"),
                "referer": redact(environ.get("HTTP_REFERER", "-")),
                "user_agent": environ.get("HTTP_USER_AGENT", "-"),
            },
        )


# Both log formats redact secrets in paths (stockdata.redaction).
logger_class = JsonLogger if os.environ.get("LOG_FORMAT", "json") == "json" else RedactingLogger

# gunicorn's control socket (gunicornc) is off: the unit files manage the process with signals.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "") == ""
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
