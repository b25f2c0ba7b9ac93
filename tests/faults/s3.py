"""S3 for the fault tests: moto's server behind a TCP proxy the test can cut and restore.

Cutting the proxy is what a client sees when the S3 server goes away (connections refused,
open ones reset) while moto keeps its objects, so the same bucket is there when it is back.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

from botocore.config import Config


def s3_storages(endpoint: str, bucket: str, current: dict) -> dict:
    """STORAGES on ``bucket`` at ``endpoint``, laid out as production's (private/ and public/).
    One connection attempt per call: a test waits for our handling, not for botocore's backoff."""
    options = dict(
        bucket_name=bucket,
        endpoint_url=endpoint,
        access_key="testing",
        secret_key="testing",
        region_name="ap-northeast-1",
        signature_version="s3v4",
        addressing_style="path",
        file_overwrite=False,
        client_config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=3, read_timeout=10),
    )
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": options
            | {"location": "private", "default_acl": "private", "querystring_auth": True, "querystring_expire": 600},
        },
        "public": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": options | {"location": "public", "querystring_auth": False},
        },
        "staticfiles": current["staticfiles"],
    }


class TcpProxy:
    """Forwards 127.0.0.1:<port> to 127.0.0.1:<target>; ``stop()`` refuses and resets, ``start()`` restores."""

    def __init__(self, target_port: int, port: int):
        self.target_port, self.port = target_port, port
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        with self.lock:
            live, self.sockets = list(self.sockets), set()
        for s in live:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
                s.close()
            except OSError:
                pass

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            with self.lock:
                self.sockets.difference_update((src, dst))
